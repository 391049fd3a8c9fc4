#!/bin/bash
# Start TLS-secured clustered OVN on one node by hand, with no MicroOVN involved. This
# is the baseline that `make bench` measures MicroOVN against. Run it as root inside
# the node's network namespace:
#
#   baseline.sh bootstrap ROOT ADDRESS ENCAP_IP NAME CA_DIR
#   baseline.sh join      ROOT ADDRESS ENCAP_IP NAME CA_DIR PEER_ADDRESS...
#   baseline.sh chassis   ROOT ADDRESS ENCAP_IP NAME CA_DIR CENTRAL_ADDRESS...
#   baseline.sh restart   ROOT ADDRESS ENCAP_IP NAME CA_DIR CENTRAL_ADDRESS...
#
# bootstrap creates a CA in CA_DIR and one-server Raft clusters for the Northbound and
# Southbound databases. join issues this node's certificates from the CA in CA_DIR and
# joins the Raft clusters of the PEER_ADDRESS members as a further central member.
# chassis runs only Open vSwitch and ovn-controller against the CENTRAL_ADDRESS members.
# restart starts the processes of a central member again from its existing files, for
# example after they were killed; CENTRAL_ADDRESS lists every central member.
#
# Files go where MicroOVN puts them (ROOT/data/pki, ROOT/data/central/db,
# ROOT/run/{switch,central,ovn}, ROOT/logs), so one set of checks reads both kinds of
# node. Every process is started with --detach and a pid file under ROOT/run. The script
# returns once ovn-controller has started, and prints "phase NAME UNIX_TIME" on stdout
# after each step so that the caller can see where the time goes.
set -euo pipefail

NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
SB_SCHEMA=/usr/share/ovn/ovn-sb.ovsschema
SWITCH_SCHEMA=/usr/share/openvswitch/vswitch.ovsschema
# Upper bound on polls of the Southbound for SB_Global, 50 ms apart (30 s).
SB_GLOBAL_POLLS=600

usage() {
	sed -n '6,9p' "$0" | sed 's/^# *//' >&2
	exit 2
}

phase() {
	echo "phase $1 $EPOCHREALTIME"
}

# endpoint PROTO ADDRESS PORT prints PROTO:ADDRESS:PORT with an IPv6 address in brackets.
endpoint() {
	case $2 in
	*:*) echo "$1:[$2]:$3" ;;
	*) echo "$1:$2:$3" ;;
	esac
}

# remotes PORT ADDRESS... prints the comma-separated ssl endpoints of ADDRESS... on PORT.
remotes() {
	local port=$1 list="" address
	shift
	for address in "$@"; do
		list+="${list:+,}$(endpoint ssl "$address" "$port")"
	done
	echo "$list"
}

# issue SERVICE creates a P-384 key and a certificate for SERVICE signed by the CA, in
# one openssl run. The configuration marks the certificate as no CA.
issue() {
	local key=$PKI/$1-privkey.pem
	(
		umask 077
		openssl req -config "$PKI/leaf.cnf" -x509 -newkey ec \
			-pkeyopt ec_paramgen_curve:secp384r1 -noenc -keyout "$key" -subj "/CN=$NAME" \
			-CA "$CA_DIR/cacert.pem" -CAkey "$CA_DIR/cakey.pem" -days 730 \
			-out "$PKI/$1-cert.pem"
	)
}

write_leaf_config() {
	cat >"$PKI/leaf.cnf" <<-'EOF'
		[req]
		distinguished_name = subject
		x509_extensions = leaf
		[subject]
		[leaf]
		basicConstraints = critical, CA:FALSE
		subjectKeyIdentifier = hash
		authorityKeyIdentifier = keyid
	EOF
}

create_ca() {
	mkdir -p "$CA_DIR"
	(
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:secp384r1 -noenc \
			-keyout "$CA_DIR/cakey.pem" -subj "/CN=baseline OVN CA" -days 3650 \
			-out "$CA_DIR/cacert.pem"
	)
}

# tls SERVICE prints the TLS options of a process that presents SERVICE's certificate.
tls() {
	echo "--private-key=$PKI/$1-privkey.pem --certificate=$PKI/$1-cert.pem" \
		"--ca-cert=$PKI/cacert.pem"
}

# daemon NAME RUN_DIR PROGRAM ARG... starts PROGRAM detached with the pid file, control
# socket and log file of process NAME.
daemon() {
	local name=$1 run=$2 program=$3
	shift 3
	"$program" --detach --no-chdir --pidfile="$run/$name.pid" --unixctl="$run/$name.ctl" \
		--log-file="$LOGS/$name.log" "$@"
}

# start_switch starts the Open vSwitch database, created first when missing, and
# ovs-vswitchd.
start_switch() {
	local fresh=false
	if [[ ! -e $SWITCH_DB/conf.db ]]; then
		ovsdb-tool create "$SWITCH_DB/conf.db" "$SWITCH_SCHEMA"
		fresh=true
	fi
	daemon ovsdb-server "$SWITCH_RUN" ovsdb-server --remote="punix:$SWITCH_RUN/db.sock" \
		"$SWITCH_DB/conf.db"
	if [[ $fresh == true ]]; then
		ovs-vsctl --db="unix:$SWITCH_RUN/db.sock" --timeout=10 --no-wait init
	fi
	daemon ovs-vswitchd "$SWITCH_RUN" ovs-vswitchd "unix:$SWITCH_RUN/db.sock"
	phase switch
}

# start_database nb|sb bootstrap|join|restart PEER_ADDRESS... creates or joins the Raft
# cluster of one database, unless restart finds its file, and starts its server.
start_database() {
	local short=$1 mode=$2 schema port raft_port name peers=() address
	shift 2
	if [[ $short == nb ]]; then
		schema=$NB_SCHEMA port=6641 raft_port=6643 name=OVN_Northbound
	else
		schema=$SB_SCHEMA port=6642 raft_port=6644 name=OVN_Southbound
	fi

	local file=$CENTRAL_DB/ovn${short}_db.db
	local self
	self=$(endpoint ssl "$ADDRESS" "$raft_port")
	if [[ $mode == restart ]]; then
		[[ -e $file ]] || { echo "baseline.sh: missing $file" >&2; return 1; }
	elif [[ $mode == bootstrap ]]; then
		ovsdb-tool create-cluster "$file" "$schema" "$self"
	else
		for address in "$@"; do
			peers+=("$(endpoint ssl "$address" "$raft_port")")
		done
		ovsdb-tool join-cluster "$file" "$name" "$self" "${peers[@]}"
	fi

	# shellcheck disable=SC2046 # tls prints separate options on purpose
	daemon "ovn${short}_db" "$CENTRAL_RUN" ovsdb-server \
		--remote="punix:$CENTRAL_RUN/ovn${short}_db.sock" \
		--remote="$(endpoint pssl "$port" "$ADDRESS")" $(tls "ovn$short") "$file"
	phase "$short"
}

# start_northd CENTRAL_ADDRESS... starts ovn-northd against every central member.
start_northd() {
	# shellcheck disable=SC2046
	daemon ovn-northd "$OVN_RUN" ovn-northd --ovnnb-db="$(remotes 6641 "$@")" \
		--ovnsb-db="$(remotes 6642 "$@")" $(tls ovn-northd)
	phase northd
}

# wait_sb_global polls the local Southbound until ovn-northd has created its SB_Global
# row: ovn-controller 23.03 crashes when it connects to a Southbound without one.
wait_sb_global() {
	local poll out
	for ((poll = 0; poll < SB_GLOBAL_POLLS; poll++)); do
		out=$(ovn-sbctl --db="unix:$CENTRAL_RUN/ovnsb_db.sock" --timeout=2 --bare \
			--columns=_uuid list SB_Global 2>/dev/null || true)
		if [[ -n $out ]]; then
			phase sb_global
			return 0
		fi
		sleep 0.05
	done
	echo "baseline.sh: the Southbound has no SB_Global row after $((SB_GLOBAL_POLLS / 20)) s" >&2
	return 1
}

# start_controller CENTRAL_ADDRESS... configures the chassis and starts ovn-controller.
start_controller() {
	local datapath=system
	[[ -d /sys/module/openvswitch ]] || datapath=netdev
	ovs-vsctl --db="unix:$SWITCH_RUN/db.sock" --timeout=10 set open_vswitch . \
		"external_ids:system-id=$NAME" "external_ids:hostname=$NAME" \
		"external_ids:ovn-remote=\"$(remotes 6642 "$@")\"" \
		external_ids:ovn-encap-type=geneve "external_ids:ovn-encap-ip=$ENCAP_IP" \
		"external_ids:ovn-bridge-datapath-type=$datapath"
	# ovn-controller 23.03 has no --unixctl option, so it is started without daemon().
	# shellcheck disable=SC2046
	ovn-controller --detach --no-chdir --pidfile="$OVN_RUN/ovn-controller.pid" \
		--log-file="$LOGS/ovn-controller.log" $(tls ovn-controller) "unix:$SWITCH_RUN/db.sock"
	phase controller
}

[[ $# -ge 6 ]] || usage
MODE=$1 ROOT=$2 ADDRESS=$3 ENCAP_IP=$4 NAME=$5 CA_DIR=$6
shift 6
case $MODE in
bootstrap) [[ $# -eq 0 ]] || usage ;;
join | chassis | restart) [[ $# -ge 1 ]] || usage ;;
*) usage ;;
esac

PKI=$ROOT/data/pki
CENTRAL_DB=$ROOT/data/central/db
SWITCH_DB=$ROOT/data/switch/db
SWITCH_RUN=$ROOT/run/switch
CENTRAL_RUN=$ROOT/run/central
OVN_RUN=$ROOT/run/ovn
LOGS=$ROOT/logs
mkdir -p "$PKI" "$CENTRAL_DB" "$SWITCH_DB" "$SWITCH_RUN" "$CENTRAL_RUN" "$OVN_RUN" "$LOGS"
chmod 700 "$PKI"

# The run folders take the sockets that the programs create by default, such as the
# bridge management sockets of ovs-vswitchd, which must not land in the machine's own
# /var/run/openvswitch.
export OVS_RUNDIR=$SWITCH_RUN OVS_DBDIR=$SWITCH_DB OVS_LOGDIR=$LOGS
export OVN_RUNDIR=$OVN_RUN OVN_DBDIR=$CENTRAL_DB OVN_LOGDIR=$LOGS

phase start
if [[ $MODE == bootstrap ]]; then
	create_ca
fi
if [[ $MODE != restart ]]; then
	cp "$CA_DIR/cacert.pem" "$PKI/cacert.pem"
	write_leaf_config
	services=(ovn-controller client)
	[[ $MODE == chassis ]] || services+=(ovnnb ovnsb ovn-northd)
	for service in "${services[@]}"; do
		issue "$service"
	done
	phase certificates
fi

start_switch
case $MODE in
bootstrap)
	start_database nb bootstrap
	start_database sb bootstrap
	start_northd "$ADDRESS"
	wait_sb_global
	start_controller "$ADDRESS"
	;;
join)
	start_database nb join "$@"
	start_database sb join "$@"
	start_northd "$@" "$ADDRESS"
	start_controller "$@" "$ADDRESS"
	;;
chassis)
	start_controller "$@"
	;;
restart)
	start_database nb restart
	start_database sb restart
	start_northd "$@"
	start_controller "$@"
	;;
esac
