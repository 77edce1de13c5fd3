#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The cluster lab: three nodes in network namespaces, each with its own
# pods, a fabric between them, an external client behind a router, one
# fake Kubernetes API server and one shuntd per node. Used by the
# multi-node tests, `make cluster-demo` and the cluster bench.
#
#   cluster.sh up PREFIX              build it, start pods, API server, agents
#   cluster.sh down PREFIX            tear it down (idempotent)
#   cluster.sh agent-start PREFIX I   start node I's shuntd (waits for a sync)
#   cluster.sh agent-stop PREFIX I    stop it (SIGTERM: the datapath stays)
#   cluster.sh agent-kill PREFIX I    SIGKILL it
#   cluster.sh control PREFIX FILE    POST a /_control op to the API server
#   cluster.sh run PREFIX I NS CMD..  run CMD in namespace NS inside node I's
#                                     cgroup (its socket-level path)
#   cluster.sh env PREFIX             shell variables, for eval
#
#            ext eth0 ---- eth1 rtr eth0 --+
#                                          |  ${PREFIX}fab: bridge br0
#   n1 eth0 ------------------------------+
#   n2 eth0 ------------------------------+
#   n3 eth0 ------------------------------+
#   nI pJ ---- eth0 nIpJ (pods J = 1, 2)
#
#   ext eth0     203.0.113.2/24      2001:db8:113::2/64   default via rtr
#   rtr eth1     203.0.113.1/24      2001:db8:113::1/64
#   rtr eth0     192.168.77.254/24   fd00:77::fe/64       (the API server)
#   nI eth0      192.168.77.I/24     fd00:77::I/64        default via rtr
#   pod nIpJ     10.244.I.(10+J)/32  fd00:244:I::(10+J)/128, default via
#                169.254.1.1 / fe80::1 (the host side pJ), as a routed CNI
#   routes       nI: 10.244.K.0/24 via 192.168.77.K (K != I); rtr: all
#
# Node I's cgroup ${CGROUP_V2_ROOT}/shunt-cluster-PREFIX/nI is where its
# agent attaches the socket-level path (--cgroup): a client started with
# `cluster.sh run` (in a pod's namespace or the node's) is balanced at
# connect(); the pods' servers and other clients use the packet path.
# Pods run shunt-httpd named "nIpJ" (GET /whoami: the peer it sees; UDP
# echo on 5353). The
# agents: shuntd --kubernetes --node-name nI --interfaces eth0,p1,p2
# --mode tc --cgroup (node I's cgroup) --pod-cidrs (node I's), pin root /sys/fs/bpf/${PREFIX}nI, metrics on
# 127.0.0.1:9470 in the node's namespace, log in the state directory
# /run/shunt-cluster/PREFIX. Extra shuntd arguments: $CLUSTER_SHUNTD_ARGS.
# The objects are tests/lib/cluster-objects.py's (Services web,
# web-local and one, their EndpointSlices).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)
# shellcheck source=tests/lib/nslib.sh
. "$SCRIPT_DIR/nslib.sh"
readonly SCRIPT_DIR REPO_ROOT
readonly STATE_ROOT=/run/shunt-cluster
readonly NODES=3 PODS=2
readonly HTTP_PORT=8080 UDP_PORT=5353
readonly API_ADDR=192.168.77.254
readonly TOKEN=cluster-lab-token
readonly READY_TIMEOUT_S=20

die() {
	echo "cluster.sh: $*" >&2
	exit 1
}

usage() {
	sed -n '/^#   cluster.sh/s/^#   /usage: /p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

bin() { # NAME: build/NAME, absolute
	local b=${BUILD:-build}

	[[ $b == /* ]] || b=$REPO_ROOT/$b
	echo "$b/$1"
}

check_prefix() {
	[[ $1 =~ ^[A-Za-z0-9]{1,10}$ ]] || die "bad PREFIX '$1' (1-10 of [A-Za-z0-9])"
}

check_node() {
	[[ $1 =~ ^[1-3]$ ]] || die "bad node '$1' (1..$NODES)"
}

state_dir() { echo "$STATE_ROOT/$1"; }
fab_ns() { echo "${1}fab"; }
cgroup_root() { awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts; }
lab_cgroup() { echo "$(cgroup_root)/shunt-cluster-$1"; }
node_cgroup() { echo "$(lab_cgroup "$1")/n$2"; }
rtr_ns() { echo "${1}rtr"; }
ext_ns() { echo "${1}ext"; }
node_ns() { echo "${1}n$2"; }
pod_ns() { echo "${1}n$2p$3"; }
pin_root() { echo "/sys/fs/bpf/${1}n$2"; }
node_ip4() { echo "192.168.77.$1"; }
node_ip6() { echo "fd00:77::$1"; }
pod_ip4() { echo "10.244.$1.$((10 + $2))"; }
pod_ip6() { echo "fd00:244:$1::$((10 + $2))"; }

all_ns() {
	local i j

	fab_ns "$1"
	rtr_ns "$1"
	ext_ns "$1"
	for ((i = 1; i <= NODES; i++)); do
		node_ns "$1" "$i"
		for ((j = 1; j <= PODS; j++)); do
			pod_ns "$1" "$i" "$j"
		done
	done
}

# --- topology ----------------------------------------------------------

forwarding() { # NS
	nsx "$1" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1
}

# Node I's fabric port: eth0 in the node, fI on the bridge.
fabric_port() { # PREFIX NS IFNAME BRIDGE_PORT
	veth_create "$2" "$3" "$(fab_ns "$1")" "$4"
	ip -n "$(fab_ns "$1")" link set "$4" master br0
}

build_fabric() {
	local p=$1 f

	f=$(fab_ns "$p")
	ns_create "$f"
	ip -n "$f" link add br0 type bridge
	ip -n "$f" link set br0 up
}

build_router() {
	local p=$1 r e i

	r=$(rtr_ns "$p")
	e=$(ext_ns "$p")
	ns_create "$r"
	ns_create "$e"
	forwarding "$r"
	fabric_port "$p" "$r" eth0 frtr
	addr_add "$r" eth0 "$API_ADDR/24" fd00:77::fe/64
	veth_create "$r" eth1 "$e" eth0
	addr_add "$r" eth1 203.0.113.1/24 2001:db8:113::1/64
	addr_add "$e" eth0 203.0.113.2/24 2001:db8:113::2/64
	ip -n "$e" route add default via 203.0.113.1
	ip -n "$e" -6 route add default via 2001:db8:113::1
	for ((i = 1; i <= NODES; i++)); do
		ip -n "$r" route add "10.244.$i.0/24" via "$(node_ip4 "$i")"
		ip -n "$r" -6 route add "fd00:244:$i::/64" via "$(node_ip6 "$i")"
	done
}

build_pod() {
	local p=$1 i=$2 j=$3 n pod

	n=$(node_ns "$p" "$i")
	pod=$(pod_ns "$p" "$i" "$j")
	ns_create "$pod"
	veth_create "$n" "p$j" "$pod" eth0
	ip -n "$n" addr add 169.254.1.1/32 dev "p$j"
	ip -n "$n" -6 addr add fe80::1/64 dev "p$j" nodad
	ip -n "$n" route add "$(pod_ip4 "$i" "$j")/32" dev "p$j"
	ip -n "$n" -6 route add "$(pod_ip6 "$i" "$j")/128" dev "p$j"
	ip -n "$pod" addr add "$(pod_ip4 "$i" "$j")/32" dev eth0
	ip -n "$pod" -6 addr add "$(pod_ip6 "$i" "$j")/128" dev eth0 nodad
	ip -n "$pod" route add 169.254.1.1 dev eth0 scope link
	ip -n "$pod" route add default via 169.254.1.1 dev eth0
	ip -n "$pod" -6 route add default via fe80::1 dev eth0
}

build_node() {
	local p=$1 i=$2 n k j

	n=$(node_ns "$p" "$i")
	ns_create "$n"
	forwarding "$n"
	fabric_port "$p" "$n" eth0 "f$i"
	addr_add "$n" eth0 "$(node_ip4 "$i")/24" "$(node_ip6 "$i")/64"
	ip -n "$n" route add default via "$API_ADDR"
	ip -n "$n" -6 route add default via fd00:77::fe
	for ((k = 1; k <= NODES; k++)); do
		((k == i)) && continue
		ip -n "$n" route add "10.244.$k.0/24" via "$(node_ip4 "$k")"
		ip -n "$n" -6 route add "fd00:244:$k::/64" via "$(node_ip6 "$k")"
	done
	for ((j = 1; j <= PODS; j++)); do
		build_pod "$p" "$i" "$j"
	done
}

# --- processes ---------------------------------------------------------

# Start CMD... in NS in the background, detached; its pid in FILE.
spawn() { # NS PIDFILE LOG CMD...
	local ns=$1 pidfile=$2 log=$3

	shift 3
	nsenter --net="/run/netns/$ns" setsid "$@" </dev/null >"$log" 2>&1 &
	echo $! >"$pidfile"
}

stop_pidfile() { # PIDFILE NS [SIGNAL]
	local f=$1 ns=$2 pid i

	[[ -r $f ]] || return 0
	pid=$(cat "$f")
	if [[ ${3:-TERM} == KILL ]]; then
		pid_in_ns "$pid" "$ns" && kill -KILL "$pid" 2>/dev/null
	else
		kill_pid_in_ns "$pid" "$ns"
	fi
	for ((i = 0; i < 100; i++)); do
		pid_alive "$pid" || break
		sleep 0.05
	done
	rm -f "$f"
}

start_pods() {
	local p=$1 dir i j ns

	dir=$(state_dir "$p")
	for ((i = 1; i <= NODES; i++)); do
		for ((j = 1; j <= PODS; j++)); do
			ns=$(pod_ns "$p" "$i" "$j")
			spawn "$ns" "$dir/httpd-n${i}p$j.pid" "$dir/httpd-n${i}p$j.log" \
				"$(bin tools/shunt-httpd)" --name "n${i}p$j" \
				--port "$HTTP_PORT" --udp-port "$UDP_PORT" --no-pdeathsig
		done
	done
}

start_api() {
	local p=$1 dir port t

	dir=$(state_dir "$p")
	spawn "$(rtr_ns "$p")" "$dir/api.pid" "$dir/api.log" \
		python3 "$REPO_ROOT/tests/k8s/fake-apiserver.py" --token "$TOKEN" \
		--bind "$API_ADDR" --detach
	for ((t = 0; t < 100; t++)); do
		port=$(head -1 "$dir/api.log" 2>/dev/null || true)
		[[ $port =~ ^[0-9]+$ ]] && break
		sleep 0.05
	done
	[[ $port =~ ^[0-9]+$ ]] || die "the fake API server did not start: $(cat "$dir/api.log")"
	echo "$port" >"$dir/api.port"
	cat >"$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: lab
clusters:
- name: lab
  cluster:
    server: http://$API_ADDR:$port
users:
- name: lab
  user:
    token: $TOKEN
contexts:
- name: lab
  context:
    cluster: lab
    user: lab
EOF
}

cmd_control() { # PREFIX FILE
	local dir

	dir=$(state_dir "$1")
	[[ -r $dir/api.port ]] || die "cluster $1 is not up"
	nsx "$(rtr_ns "$1")" curl -sf -o /dev/null -X POST \
		-H 'Content-Type: application/json' --data-binary "@$2" \
		"http://$API_ADDR:$(cat "$dir/api.port")/_control" ||
		die "the fake API server refused $2"
}

# The number of "synced source=kubernetes" lines in node I's log.
syncs() { # PREFIX I
	grep -c 'msg=synced source=kubernetes' "$(state_dir "$1")/shuntd-n$2.log" 2>/dev/null || true
}

cmd_agent_start() { # PREFIX I
	local p=$1 i=$2 dir n t
	# shellcheck disable=SC2206
	local extra=(${CLUSTER_SHUNTD_ARGS:-})

	check_node "$i"
	dir=$(state_dir "$p")
	[[ -d $dir ]] || die "cluster $p is not up"
	n=$(node_ns "$p" "$i")
	# A restart starts a new log; the old one is kept.
	if [[ -e $dir/shuntd-n$i.log ]]; then
		cat "$dir/shuntd-n$i.log" >>"$dir/shuntd-n$i.log.old"
	fi
	spawn "$n" "$dir/shuntd-n$i.pid" "$dir/shuntd-n$i.log" \
		"$(bin shuntd)" --kubernetes --insecure-http --kubeconfig "$dir/kubeconfig" \
		--node-name "n$i" --pin-root "$(pin_root "$p" "$i")" \
		--interfaces eth0,p1,p2 --mode tc --cgroup "$(node_cgroup "$p" "$i")" \
		--pod-cidrs "10.244.$i.0/24,fd00:244:$i::/64" \
		--metrics-addr 127.0.0.1:9470 "${extra[@]}"
	for ((t = 0; t < READY_TIMEOUT_S * 20; t++)); do
		(($(syncs "$p" "$i") > 0)) && return 0
		pid_alive "$(cat "$dir/shuntd-n$i.pid")" ||
			die "shuntd on n$i exited: $(tail -5 "$dir/shuntd-n$i.log")"
		sleep 0.05
	done
	die "shuntd on n$i did not sync in ${READY_TIMEOUT_S}s: $(tail -5 "$dir/shuntd-n$i.log")"
}

cmd_agent_stop() { # PREFIX I [KILL]
	check_node "$2"
	stop_pidfile "$(state_dir "$1")/shuntd-n$2.pid" "$(node_ns "$1" "$2")" "${3:-TERM}"
}

# Every pod answers from the external client (which also resolves the
# neighbours on the way).
wait_pods() {
	local p=$1 i j t got want

	for ((i = 1; i <= NODES; i++)); do
		for ((j = 1; j <= PODS; j++)); do
			want="n${i}p$j"
			for ((t = 0; t < READY_TIMEOUT_S * 10; t++)); do
				got=$(nsx "$(ext_ns "$p")" curl -s -m 0.5 \
					"http://$(pod_ip4 "$i" "$j"):$HTTP_PORT/" || true)
				[[ $got == "$want" ]] && break
				sleep 0.1
			done
			[[ $got == "$want" ]] || die "pod $want does not answer (got '$got')"
		done
	done
}

# --- commands ----------------------------------------------------------

cmd_down() {
	local p=$1 dir ns i f

	dir=$(state_dir "$p")
	for ((i = 1; i <= NODES; i++)); do
		stop_pidfile "$dir/shuntd-n$i.pid" "$(node_ns "$p" "$i")"
	done
	stop_pidfile "$dir/api.pid" "$(rtr_ns "$p")"
	for f in "$dir"/httpd-*.pid; do
		[[ -e $f ]] || continue
		ns=$(basename "$f" .pid)
		stop_pidfile "$f" "$p${ns#httpd-}"
	done
	for ns in $(all_ns "$p"); do
		ns_exists "$ns" || continue
		kill_ns_procs "$ns"
		ip netns del "$ns" 2>/dev/null || true
	done
	for ((i = 1; i <= NODES; i++)); do
		if [[ -d $(pin_root "$p" "$i") ]]; then
			"$(bin shuntctl)" --pin-root "$(pin_root "$p" "$i")" unload >/dev/null 2>&1 || true
			rm -rf "$(pin_root "$p" "$i")" 2>/dev/null || true
		fi
	done
	remove_cgroups "$p"
	rm -rf "$dir"
}

make_cgroups() {
	local p=$1 i

	[[ -n $(cgroup_root) ]] || die "no cgroup v2 mount"
	for ((i = 1; i <= NODES; i++)); do
		mkdir -p "$(node_cgroup "$p" "$i")"
	done
}

# Whatever still runs in the lab's cgroups ends first.
remove_cgroups() {
	local p=$1 d pid t

	[[ -n $(cgroup_root) && -d $(lab_cgroup "$p") ]] || return 0
	for d in "$(lab_cgroup "$p")"/n*; do
		[[ -d $d ]] || continue
		for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
	done
	for d in "$(lab_cgroup "$p")"/n* "$(lab_cgroup "$p")"; do
		[[ -d $d ]] || continue
		for ((t = 0; t < 50; t++)); do
			rmdir "$d" 2>/dev/null && break
			sleep 0.05
		done
	done
}

cmd_run() { # PREFIX I NS CMD...
	local p=$1 i=$2 ns=$3

	check_node "$i"
	shift 3
	# Into the cgroup first: `ip netns exec` mounts a sysfs of the
	# namespace over /sys, which hides the cgroup file system.
	# shellcheck disable=SC2016
	sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec ip netns exec "$@"' \
		sh "$(node_cgroup "$p" "$i")" "$ns" "$@"
}

up_exit() {
	local rc=$? p=$1

	((rc == 0)) || cmd_down "$p" >/dev/null 2>&1 || true
	return $rc
}

cmd_up() {
	local p=$1 dir i

	for f in tools/shunt-httpd shuntd shuntctl; do
		[[ -x $(bin $f) ]] || die "$(bin $f) missing: run make first"
	done
	cmd_down "$p" >/dev/null 2>&1 || true
	dir=$(state_dir "$p")
	mkdir -p "$dir"
	trap 'up_exit '"$p" EXIT
	build_fabric "$p"
	build_router "$p"
	for ((i = 1; i <= NODES; i++)); do
		build_node "$p" "$i"
	done
	start_pods "$p"
	wait_pods "$p"
	start_api "$p"
	make_cgroups "$p"
	python3 "$SCRIPT_DIR/cluster-objects.py" "$dir"
	cmd_control "$p" "$dir/services.json"
	cmd_control "$p" "$dir/slices.json"
	for ((i = 1; i <= NODES; i++)); do
		cmd_agent_start "$p" "$i"
	done
	trap - EXIT
}

kv() { printf '%s=%q\n' "$1" "$2"; }

cmd_env() {
	local p=$1 i j dir

	dir=$(state_dir "$p")
	kv CLUSTER_STATE "$dir"
	kv CLUSTER_FAB "$(fab_ns "$p")"
	kv CLUSTER_RTR "$(rtr_ns "$p")"
	kv CLUSTER_EXT "$(ext_ns "$p")"
	kv CLUSTER_EXT_IP4 203.0.113.2
	kv CLUSTER_EXT_IP6 2001:db8:113::2
	kv CLUSTER_API "http://$API_ADDR:$(cat "$dir/api.port" 2>/dev/null || echo 0)"
	kv CLUSTER_HTTP_PORT "$HTTP_PORT"
	for ((i = 1; i <= NODES; i++)); do
		kv "CLUSTER_N${i}" "$(node_ns "$p" "$i")"
		kv "CLUSTER_N${i}_IP4" "$(node_ip4 "$i")"
		kv "CLUSTER_N${i}_IP6" "$(node_ip6 "$i")"
		kv "CLUSTER_N${i}_PIN" "$(pin_root "$p" "$i")"
		kv "CLUSTER_N${i}_CGROUP" "$(node_cgroup "$p" "$i")"
		for ((j = 1; j <= PODS; j++)); do
			kv "CLUSTER_N${i}P${j}" "$(pod_ns "$p" "$i" "$j")"
			kv "CLUSTER_N${i}P${j}_IP4" "$(pod_ip4 "$i" "$j")"
			kv "CLUSTER_N${i}P${j}_IP6" "$(pod_ip6 "$i" "$j")"
		done
	done
}

main() {
	local cmd=${1:-}

	[[ $# -ge 2 ]] || usage
	check_prefix "$2"
	[[ $(id -u) -eq 0 ]] || die "run as root"
	case $cmd in
	up) cmd_up "$2" ;;
	down) cmd_down "$2" ;;
	agent-start) cmd_agent_start "$2" "${3:-}" ;;
	agent-stop) cmd_agent_stop "$2" "${3:-}" ;;
	agent-kill) cmd_agent_stop "$2" "${3:-}" KILL ;;
	control) cmd_control "$2" "${3:?control: FILE}" ;;
	env) cmd_env "$2" ;;
	run)
		shift
		[[ $# -ge 4 ]] || usage
		cmd_run "$@"
		;;
	*) usage ;;
	esac
}

main "$@"
