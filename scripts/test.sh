#!/bin/bash
# Runs every test: go vet and the unit tests (inside the Debian 13 build root,
# where dqlite links), then the end-to-end tests against the built binaries with
# real OVN processes in network namespaces. Run as root.
set -euo pipefail

cd "$(dirname "$0")/.."
scripts/deps.sh
make -s build

echo "== unit tests"
make -s unit

echo "== end-to-end tests"
go vet ./tests/... ./bench/...
MICROOVN_BIN=$PWD/bin go test -count=1 -timeout 80m -v ./tests/...
