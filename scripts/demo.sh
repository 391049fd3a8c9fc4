#!/bin/bash
# Brings up a single-node MicroOVN on 127.0.0.1 and shows it carrying a logical
# switch. Safe to run again. Run as root from the repository.
#   scripts/demo.sh         install what is missing, build, start, bootstrap, show
#   scripts/demo.sh stop    stop the node's OVN processes and microovnd, keep its data
#   scripts/demo.sh clean   stop, then delete the node's files
set -euo pipefail

cd "$(dirname "$0")/.."
export MICROOVN_STATE_DIR=${MICROOVN_STATE_DIR:-/var/lib/microovn/state}
root=$(dirname "$MICROOVN_STATE_DIR")
bin=$PWD/bin
pidfile=$root/microovnd.pid

running() {
	local pid
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	grep -qa microovnd "/proc/$pid/cmdline" 2>/dev/null
}

# ovn_running succeeds while any OVN process of the node is alive.
ovn_running() {
	local f pid
	for f in "$root"/run/*/*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null) || continue
		grep -qaF "$root/" "/proc/$pid/cmdline" 2>/dev/null && return 0
	done
	return 1
}

stop() {
	# The OVN processes outlive microovnd, and only the daemon stops them cleanly.
	if ! running && ovn_running && [ -x "$bin/microovnd" ]; then
		start
	fi
	if running; then
		"$bin/microovn" shutdown
		for _ in $(seq 50); do running || break; sleep 0.2; done
	fi
	if ovn_running; then
		echo "OVN processes of $root are still running: see $root/logs" >&2
		return 1
	fi
	echo "MicroOVN stopped; its data stays in $root"
}

start() {
	if running; then
		return
	fi
	mkdir -p "$root/logs"
	setsid "$bin/microovnd" >>"$root/logs/microovnd.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	"$bin/microovn" waitready --timeout 30
}

case ${1:-up} in
stop)
	stop
	exit 0
	;;
clean)
	stop || exit 1
	if [ -e "$root/.demo" ]; then
		rm -rf "$root"
		echo "Removed $root"
	else
		echo "$root was not made by this script; remove it yourself" >&2
	fi
	exit 0
	;;
up) ;;
*)
	echo "usage: $0 [up|stop|clean]" >&2
	exit 2
	;;
esac

scripts/deps.sh
make -s build
[ -e "$root" ] || { mkdir -p "$root" && touch "$root/.demo"; }
start

if ! "$bin/microovn" status >/dev/null 2>&1; then
	echo "Bootstrapping a new cluster on 127.0.0.1"
	"$bin/microovn" cluster bootstrap --name "$(hostname)" --address 127.0.0.1
fi

# One logical switch with one port, bound to this chassis through an internal
# port on br-int so that the Southbound shows it.
"$bin/microovn.ovn-nbctl" --may-exist ls-add demo
"$bin/microovn.ovn-nbctl" --may-exist lsp-add demo demo-port1 -- \
	lsp-set-addresses demo-port1 "0a:00:00:00:00:01 198.18.100.1"
for _ in $(seq 100); do
	[ -S "$root/run/switch/db.sock" ] && "$bin/microovn.ovs-vsctl" br-exists br-int && break
	sleep 0.2
done
"$bin/microovn.ovs-vsctl" --may-exist add-port br-int demo-port1 -- \
	set interface demo-port1 type=internal external_ids:iface-id=demo-port1
"$bin/microovn.ovn-nbctl" --timeout=30 wait-until Logical_Switch_Port demo-port1 up=true

echo
echo "== microovn.ovn-sbctl show"
"$bin/microovn.ovn-sbctl" show
echo
echo "== microovn status"
"$bin/microovn" status
echo
echo "The node's files are under $root. Use it with:"
echo "  export PATH=$bin:\$PATH MICROOVN_STATE_DIR=$MICROOVN_STATE_DIR"
echo "Stop it with 'scripts/demo.sh stop'; remove it with 'scripts/demo.sh clean'."
