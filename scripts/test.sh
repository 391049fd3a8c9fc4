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
# One package at a time: several OVN clusters with 1 s Raft election timers on a
# 2-core machine at once can miss elections and make the tests flaky.
MICROOVN_BIN=$PWD/bin go test -p 1 -count=1 -timeout 80m -v ./tests/...
