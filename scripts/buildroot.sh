#!/bin/bash
# Builds the static microovnd and microovn binaries inside a Debian 13 build root.
#
# Debian 12 ships libdqlite 1.11, but go-dqlite v3 needs 1.18 or newer. Debian 13 has
# it with static archives, so the Go build runs in a Debian 13 root made once with
# mmdebstrap. The binaries are linked fully static, so they run on the Debian 12 host.
#
# Usage: buildroot.sh build|test ROOT OUTDIR VERSION
#   build  writes OUTDIR/microovnd and OUTDIR/microovn
#   test   runs go vet and the unit tests of cmd/ and microovn/ in the build root
set -euo pipefail

mode=$1
root=$2
outdir=$3
version=$4
src=$(cd "$(dirname "$0")/.." && pwd)
packages=gcc,libc6-dev,pkg-config,libdqlite-dev,libuv1-dev,liblz4-dev,libsqlite3-dev,libxxhash-dev

# One build at a time uses the root: its bind mounts sit at fixed places.
mkdir -p "$(dirname "$root")"
exec 9>"$root.lock"
flock 9

if [ ! -e "$root/.complete" ]; then
	rm -rf "$root"
	mkdir -p "$(dirname "$root")"
	# mmdebstrap reads mirror lines from standard input when it is not a terminal.
	mmdebstrap --quiet --variant=apt --include="$packages" trixie "$root" </dev/null
	touch "$root/.complete"
fi

# The build root has no network: modules come from the host's module cache.
(cd "$src" && go mod download)

goroot=$(go env GOROOT)
modcache=$(go env GOMODCACHE)
gocache=$(go env GOCACHE)
mkdir -p "$modcache" "$gocache" "$outdir"

# Every mount made below is undone on exit, also when the build fails.
mounted=()
cleanup() {
	local i
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		umount "${mounted[$i]}" 2>/dev/null || umount -l "${mounted[$i]}" || true
	done
}
trap cleanup EXIT

bind() {
	mkdir -p "$root$2"
	mount --bind "$1" "$root$2"
	mounted+=("$root$2")
}

bind "$goroot" /usr/local/go
bind "$modcache" /cache/mod
bind "$gocache" /cache/build
bind "$src" /src
bind "$(cd "$outdir" && pwd)" /out
mount -t proc proc "$root/proc"
mounted+=("$root/proc")

ldflags="-extldflags -static -X github.com/microovn/microovn/microovn/version.Version=$version"
tags="libsqlite3 osusergo netgo"
# The linker warns that getaddrinfo, dlopen and getpwuid_r need glibc's shared
# modules at run time: dqlite only ever gets numeric addresses and the user
# lookups use the pure Go code (osusergo), so those warnings are filtered out.
case "$mode" in
build) gocmd="go build -trimpath -tags '$tags' -ldflags '$ldflags' -o /out/ ./cmd/microovnd ./cmd/microovn" ;;
test) gocmd="go vet -tags '$tags' ./cmd/... ./microovn/... && go test -count=1 -tags '$tags' -ldflags '-extldflags -static' ./cmd/... ./microovn/..." ;;
*) echo "unknown mode $mode" >&2; exit 2 ;;
esac

chroot "$root" /usr/bin/env -i \
	PATH=/usr/local/go/bin:/usr/bin:/bin HOME=/root \
	GOMODCACHE=/cache/mod GOCACHE=/cache/build GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local \
	CGO_ENABLED=1 CGO_LDFLAGS="-ldqlite -luv -llz4 -lxxhash -lsqlite3 -lm" \
	/bin/bash -o pipefail -c "cd /src && { $gocmd; } 2>&1 | grep -v -e 'statically linked applications' -e 'requires at runtime the shared' -e 'warning: Using .getaddrinfo' -e ': in function .' -e '^# github.com/microovn' ; exit \${PIPESTATUS[0]}"
