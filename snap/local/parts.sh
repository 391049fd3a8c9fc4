#!/bin/bash
# Build steps of the snap's parts, called from snapcraft.yaml. Kept in a script so
# that tests/packaging can run the steps that need no snapcraft.
#
# Usage:
#   parts.sh version PROJECT_DIR       print the version (git describe, as the Makefile)
#   parts.sh grade PROJECT_DIR         print stable for a clean tagged commit, else devel
#   parts.sh build SRC INSTALL VERSION build microovnd and microovn into INSTALL/bin
#   parts.sh layout INSTALL YAML       add the wrapped-tool links and the completion
#   parts.sh ovs-links INSTALL         add the links that package maintainer scripts make
set -euo pipefail

# A snap version: at most 32 characters of letters, digits and ":.+~-", starting
# and ending with a letter or digit (or "+" or "~" at the end).
snap_version_re='^[a-zA-Z0-9]([a-zA-Z0-9:.+~-]{0,30}[a-zA-Z0-9+~])?$'

# The project folder may belong to another user inside a build container, which
# git rejects unless safe.directory allows it.
git_in() {
	git -c safe.directory='*' -C "$1" "${@:2}"
}

version() {
	local dir=$1 v
	v=$(git_in "$dir" describe --tags --always --dirty 2>/dev/null || echo 0.0.0-dev)
	if ! [[ $v =~ $snap_version_re ]]; then
		echo "version \"$v\" from git describe is not a valid snap version" \
			"(at most 32 letters, digits and :.+~-): shorten the tag" >&2
		exit 1
	fi

	echo "$v"
}

grade() {
	local dir=$1
	if git_in "$dir" describe --tags --exact-match >/dev/null 2>&1 &&
		[ -z "$(git_in "$dir" status --porcelain --untracked-files=no)" ]; then
		echo stable
	else
		echo devel
	fi
}

# Build with the tags and version flag of `make build` (scripts/buildroot.sh), but
# linked against the shared libdqlite that the dqlite part staged.
build() {
	local src=$1 install=$2 version=$3
	local stage=${CRAFT_STAGE:?CRAFT_STAGE is not set: run this from snapcraft}
	mkdir -p "$install/bin"
	cd "$src"
	CGO_ENABLED=1 CGO_CFLAGS="-I$stage/usr/include" CGO_LDFLAGS="-L$stage/usr/lib" \
		go build -trimpath -tags "libsqlite3 osusergo netgo" \
		-ldflags "-X github.com/microovn/microovn/microovn/version.Version=$version" \
		-o "$install/bin/" ./cmd/microovnd ./cmd/microovn
}

# The links bin/microovn.TOOL are the commands of the wrapped-tool apps, so their
# names come from those apps in snapcraft.yaml.
layout() {
	local install=$1 yaml=$2 tools
	tools=$(sed -n 's|^ *command: *bin/microovn\.\([a-z-]*\) *$|\1|p' "$yaml")
	if [ -z "$tools" ]; then
		echo "no app in $yaml runs bin/microovn.TOOL" >&2
		exit 1
	fi

	for tool in $tools; do
		ln -sfn microovn "$install/bin/microovn.$tool"
	done

	mkdir -p "$install/completions"
	LD_LIBRARY_PATH="${CRAFT_STAGE:+$CRAFT_STAGE/usr/lib}" \
		"$install/bin/microovn" completion bash >"$install/completions/microovn.bash"
}

# openvswitch-switch installs ovs-vswitchd in /usr/lib/openvswitch-switch and its
# postinst links /usr/sbin/ovs-vswitchd to it with update-alternatives.
ovs_links() {
	local install=$1
	local target=usr/lib/openvswitch-switch/ovs-vswitchd link=usr/sbin/ovs-vswitchd
	if [ -e "$install/$link" ]; then
		return
	fi

	if [ ! -x "$install/$target" ]; then
		echo "neither $link nor $target in $install: is openvswitch-switch staged?" >&2
		exit 1
	fi

	mkdir -p "$install/usr/sbin"
	ln -s ../lib/openvswitch-switch/ovs-vswitchd "$install/$link"
}

usage() {
	echo "usage: $0 version|grade DIR | build SRC INSTALL VERSION |" \
		"layout INSTALL YAML | ovs-links INSTALL" >&2
	exit 2
}

[ $# -ge 2 ] || usage
step=$1
shift
case "$step" in
version) version "$1" ;;
grade) grade "$1" ;;
build)
	[ $# -eq 3 ] || usage
	build "$@"
	;;
layout)
	[ $# -eq 2 ] || usage
	layout "$@"
	;;
ovs-links) ovs_links "$1" ;;
*) usage ;;
esac
