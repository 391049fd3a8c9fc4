#!/bin/bash
# Installs the Debian packages MicroOVN needs to build, run and test from source,
# skipping those already present. Debian 12 or newer, run as root.
set -euo pipefail

packages=(
	ovn-central ovn-host openvswitch-switch # OVN 23.03 and Open vSwitch 3.1 on Debian 12
	mmdebstrap                              # the Debian 13 build root (libdqlite 1.18)
	openssl iproute2 iputils-ping ethtool   # tests: TLS checks, network namespaces, ping
	shellcheck                              # tests: lint of the shell scripts
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if ((${#missing[@]} > 0)); then
	echo "Installing ${missing[*]}"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
fi

if ! command -v go >/dev/null; then
	echo "Go is not on PATH: install Go 1.26 or newer (for example in /usr/local/go)" >&2
	exit 1
fi
