#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The namespace topology of the veth tests, the demo and the benchmarks.
#
#   topo.sh up PREFIX [NBACKENDS]     build it (NBACKENDS 1..16, default 2)
#   topo.sh down PREFIX               tear it down (idempotent)
#   topo.sh start-httpd PREFIX I      start shunt-httpd "beI" in backend I
#   topo.sh stop-httpd PREFIX I       stop it
#   topo.sh env PREFIX [NBACKENDS]    print shell variables, for eval
#
#   ${PREFIX}client eth0 ---- c0 ${PREFIX}node b1 ---- eth0 ${PREFIX}be1
#                                              b2 ---- eth0 ${PREFIX}be2 ...
#
#   client eth0  10.200.1.2/24       fd00:200:1::2/64   default via node
#   node c0      10.200.1.1/24       fd00:200:1::1/64   forwarding on
#   node bI      10.200.(10+I).1/24  fd00:200:(10+I)::1/64
#   backend eth0 10.200.(10+I).2/24  fd00:200:(10+I)::2/64   default via node
#
# Service VIPs 10.96.0.10 and fd00:96::10 are assigned nowhere: the client
# reaches them through its default route, the node is where shunt runs.
#
# The httpd binary is $SHUNT_HTTPD, else ${BUILD:-build}/tools/shunt-httpd
# under the repository root. State (pids, logs) is kept in
# /run/shunt-topo/PREFIX.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/nslib.sh
. "$SCRIPT_DIR/nslib.sh"
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
readonly SCRIPT_DIR REPO_ROOT
readonly STATE_ROOT=/run/shunt-topo
readonly MAX_BACKENDS=16
readonly HTTP_PORT=8080
readonly UDP_PORT=5353
readonly VIP4=10.96.0.10
readonly VIP6=fd00:96::10
readonly READY_TIMEOUT_MS=5000
readonly READY_TRIES=20

die() {
	echo "topo.sh: $*" >&2
	exit 1
}

usage() {
	cat >&2 <<EOF
usage: topo.sh up PREFIX [NBACKENDS]
       topo.sh down PREFIX
       topo.sh start-httpd PREFIX I
       topo.sh stop-httpd PREFIX I
       topo.sh env PREFIX [NBACKENDS]
EOF
	exit 2
}

httpd_bin() {
	local bin=${SHUNT_HTTPD:-}

	if [[ -z $bin ]]; then
		bin=${BUILD:-build}/tools/shunt-httpd
		[[ $bin == /* ]] || bin=$REPO_ROOT/$bin
	elif [[ $bin != /* ]]; then
		bin=$PWD/$bin
	fi
	echo "$bin"
}

check_prefix() {
	[[ $1 =~ ^[A-Za-z0-9_.-]{1,32}$ ]] ||
		die "bad PREFIX '$1' (1-32 of [A-Za-z0-9_.-])"
}

check_count() {
	if ! [[ $1 =~ ^[1-9][0-9]?$ ]] || (($1 > MAX_BACKENDS)); then
		die "bad NBACKENDS '$1' (1..$MAX_BACKENDS)"
	fi
}

check_index() {
	local n

	n=$(nbackends "$1")
	if ! [[ $2 =~ ^[1-9][0-9]?$ ]] || (($2 > n)); then
		die "bad backend index '$2' (1..$n)"
	fi
}

state_dir() {
	echo "$STATE_ROOT/$1"
}

# The pid file of backend I's httpd: $dir/httpd-beI.pid.
httpd_pidfile() {
	echo "$(state_dir "$1")/httpd-be$2.pid"
}

# Backends in a topology that is up, else $2 (default 2).
nbackends() {
	local f

	f=$(state_dir "$1")/nbackends
	if [[ -r $f ]]; then
		cat "$f"
	else
		echo "${2:-2}"
	fi
}

client_ns() { echo "${1}client"; }
node_ns() { echo "${1}node"; }
backend_ns() { echo "${1}be$2"; }
backend_ip4() { echo "10.200.$((10 + $1)).2"; }
backend_ip6() { echo "fd00:200:$((10 + $1))::2"; }

# Every namespace name the topology can have, whatever its size was.
all_ns() {
	local i

	client_ns "$1"
	node_ns "$1"
	for ((i = 1; i <= MAX_BACKENDS; i++)); do
		backend_ns "$1" "$i"
	done
}

httpd_stop() {
	local f

	f=$(httpd_pidfile "$1" "$2")
	[[ -r $f ]] || return 0
	kill_pid_in_ns "$(cat "$f")" "$(backend_ns "$1" "$2")"
	rm -f "$f"
}

cmd_down() {
	local prefix=$1 dir ns i

	dir=$(state_dir "$prefix")
	# The httpds first, gently; then whatever else runs in there.
	for ((i = 1; i <= MAX_BACKENDS; i++)); do
		httpd_stop "$prefix" "$i"
	done
	for ns in $(all_ns "$prefix"); do
		ns_exists "$ns" || continue
		kill_ns_procs "$ns"
		ip netns del "$ns" 2>/dev/null || true
	done
	rm -rf "$dir"
}

default_routes() {
	ip -n "$1" route add default via "$2"
	ip -n "$1" -6 route add default via "$3"
}

build_client() {
	local p=$1 ns

	ns=$(client_ns "$p")
	veth_create "$(node_ns "$p")" c0 "$ns" eth0
	addr_add "$ns" eth0 10.200.1.2/24 fd00:200:1::2/64
	addr_add "$(node_ns "$p")" c0 10.200.1.1/24 fd00:200:1::1/64
	default_routes "$ns" 10.200.1.1 fd00:200:1::1
}

build_backend() {
	local p=$1 i=$2 ns net=$((10 + $2))

	ns=$(backend_ns "$p" "$i")
	veth_create "$(node_ns "$p")" "b$i" "$ns" eth0
	addr_add "$ns" eth0 "10.200.$net.2/24" "fd00:200:$net::2/64"
	addr_add "$(node_ns "$p")" "b$i" "10.200.$net.1/24" \
		"fd00:200:$net::1/64"
	default_routes "$ns" "10.200.$net.1" "fd00:200:$net::1"
}

httpd_running() {
	local f

	f=$(httpd_pidfile "$1" "$2")
	[[ -r $f ]] && pid_in_ns "$(cat "$f")" "$(backend_ns "$1" "$2")"
}

# $dir/pids lists every httpd pid the topology started, one a line.
pids_rewrite() {
	local dir i f

	dir=$(state_dir "$1")
	: >"$dir/pids.tmp"
	for ((i = 1; i <= MAX_BACKENDS; i++)); do
		f=$(httpd_pidfile "$1" "$i")
		if [[ -r $f ]]; then
			cat "$f" >>"$dir/pids.tmp"
		fi
	done
	mv "$dir/pids.tmp" "$dir/pids"
}

# Wait for the "listening" line, then for an answer from the client side
# (v4 and v6), which also resolves every neighbour on the way: client to
# node, node to backend and back.
httpd_wait() {
	local p=$1 i=$2 pid=$3 log=$4 t got url

	for ((t = 0; t < READY_TIMEOUT_MS; t += 20)); do
		grep -q '^shunt-httpd .* listening ' "$log" 2>/dev/null && break
		pid_alive "$pid" ||
			die "shunt-httpd be$i exited at start: $(cat "$log")"
		sleep 0.02
	done
	((t < READY_TIMEOUT_MS)) ||
		die "shunt-httpd be$i not listening after ${READY_TIMEOUT_MS}ms"
	for url in "http://$(backend_ip4 "$i"):$HTTP_PORT/" \
		"http://[$(backend_ip6 "$i")]:$HTTP_PORT/"; do
		for ((t = 0; t < READY_TRIES; t++)); do
			got=$(nsx "$(client_ns "$p")" curl -s -m 0.5 "$url") ||
				true
			[[ $got == "be$i" ]] && break
			sleep 0.1
		done
		[[ $got == "be$i" ]] ||
			die "be$i: no answer to $url from $(client_ns "$p")" \
				"(got '$got')"
	done
}

cmd_start_httpd() {
	local p=$1 i=$2 bin dir log pidfile pid

	check_index "$p" "$i"
	dir=$(state_dir "$p")
	[[ -d $dir ]] || die "topology $p is not up"
	bin=$(httpd_bin)
	[[ -x $bin ]] || die "no shunt-httpd at $bin (build it, or set" \
		"SHUNT_HTTPD)"
	pidfile=$(httpd_pidfile "$p" "$i")
	if httpd_running "$p" "$i"; then
		die "be$i: shunt-httpd already runs (pid $(cat "$pidfile"))"
	fi
	log=$dir/httpd-be$i.log
	# --no-pdeathsig: it outlives this script; "down" ends it.
	# Not through a function: $! must be the pid that becomes the httpd.
	ip netns exec "$(backend_ns "$p" "$i")" "$bin" --name "be$i" \
		--port "$HTTP_PORT" --udp-port "$UDP_PORT" --no-pdeathsig \
		</dev/null >"$log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"
	pids_rewrite "$p"
	httpd_wait "$p" "$i" "$pid" "$log"
}

cmd_stop_httpd() {
	local p=$1 i=$2

	check_index "$p" "$i"
	httpd_stop "$p" "$i"
	[[ ! -d $(state_dir "$p") ]] || pids_rewrite "$p"
}

# On a failed "up", leave nothing behind.
up_exit() {
	local rc=$? p=$1

	((rc == 0)) || cmd_down "$p"
}

cmd_up() {
	local p=$1 n=${2:-2} dir i

	check_count "$n"
	command -v curl >/dev/null || die "curl is needed"
	cmd_down "$p"
	dir=$(state_dir "$p")
	mkdir -p "$dir"
	echo "$n" >"$dir/nbackends"
	# shellcheck disable=SC2064 # $p is expanded now, on purpose
	trap "up_exit $p" EXIT
	ns_create "$(client_ns "$p")"
	ns_create "$(node_ns "$p")"
	nsx "$(node_ns "$p")" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
	for ((i = 1; i <= n; i++)); do
		ns_create "$(backend_ns "$p" "$i")"
	done
	build_client "$p"
	for ((i = 1; i <= n; i++)); do
		build_backend "$p" "$i"
	done
	for ((i = 1; i <= n; i++)); do
		cmd_start_httpd "$p" "$i"
	done
	trap - EXIT
}

# name="value" lines for eval (no value holds a quote, $ or backslash).
kv() {
	printf '%s="%s"\n' "$1" "$2"
}

ns_mac() {
	ns_exists "$1" || return 0
	ip -n "$1" -o link show dev "$2" 2>/dev/null |
		sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p'
}

cmd_env() {
	local p=$1 n i ifaces="c0"

	n=$(nbackends "$p" "${2:-2}")
	check_count "$n"
	kv PREFIX "$p"
	kv TOPO_STATE_DIR "$(state_dir "$p")"
	kv CLIENT_NS "$(client_ns "$p")"
	kv NODE_NS "$(node_ns "$p")"
	kv NBACKENDS "$n"
	kv CLIENT_IP4 10.200.1.2
	kv CLIENT_IP6 fd00:200:1::2
	kv CLIENT_IFACE eth0
	kv CLIENT_MAC "$(ns_mac "$(client_ns "$p")" eth0)"
	kv NODE_CLIENT_IFACE c0
	kv NODE_IP4 10.200.1.1
	kv NODE_IP6 fd00:200:1::1
	kv NODE_MAC_c0 "$(ns_mac "$(node_ns "$p")" c0)"
	for ((i = 1; i <= n; i++)); do
		ifaces+=" b$i"
		kv "BACKEND_NS_$i" "$(backend_ns "$p" "$i")"
		kv "BACKEND_IP4_$i" "$(backend_ip4 "$i")"
		kv "BACKEND_IP6_$i" "$(backend_ip6 "$i")"
		kv "BACKEND_MAC_$i" "$(ns_mac "$(backend_ns "$p" "$i")" eth0)"
		kv "NODE_IFACE_$i" "b$i"
		kv "NODE_IP4_$i" "10.200.$((10 + i)).1"
		kv "NODE_IP6_$i" "fd00:200:$((10 + i))::1"
		kv "NODE_MAC_b$i" "$(ns_mac "$(node_ns "$p")" "b$i")"
	done
	kv NODE_IFACES "$ifaces"
	kv VIP4 "$VIP4"
	kv VIP6 "$VIP6"
	kv HTTP_PORT "$HTTP_PORT"
	kv UDP_PORT "$UDP_PORT"
}

main() {
	local cmd=${1:-}

	[[ $# -ge 2 ]] || usage
	check_prefix "$2"
	case $cmd in
	up)
		[[ $# -le 3 ]] || usage
		cmd_up "$2" "${3:-2}"
		;;
	down)
		[[ $# -eq 2 ]] || usage
		cmd_down "$2"
		;;
	start-httpd)
		[[ $# -eq 3 ]] || usage
		cmd_start_httpd "$2" "$3"
		;;
	stop-httpd)
		[[ $# -eq 3 ]] || usage
		cmd_stop_httpd "$2" "$3"
		;;
	env)
		[[ $# -le 3 ]] || usage
		cmd_env "$2" "${3:-}"
		;;
	*)
		usage
		;;
	esac
}

main "$@"
