#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Helpers shared by the namespace labs (tests/lib/topo.sh, one node;
# tests/lib/cluster.sh, several): namespaces, veth pairs, addresses, and
# ending the processes that run in a namespace. Sourced, not run.

ns_exists() {
	[[ -e /run/netns/$1 ]]
}

nsx() {
	local ns=$1

	shift
	ip netns exec "$ns" "$@"
}

# Running, not a zombie.
pid_alive() {
	local state

	state=$(awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null) ||
		return 1
	[[ -n $state && $state != Z ]]
}

ns_id() {
	stat -L -c '%d:%i' "$1" 2>/dev/null
}

# pid $1 runs in namespace $2 (so it is still ours: pids get reused).
pid_in_ns() {
	local id

	pid_alive "$1" || return 1
	id=$(ns_id "/run/netns/$2") || return 1
	[[ $(ns_id "/proc/$1/ns/net") == "$id" ]]
}

# SIGTERM, then SIGKILL after a second, a pid running in namespace $2.
kill_pid_in_ns() {
	local pid=$1 ns=$2 i

	pid_in_ns "$pid" "$ns" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.02
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# Our own process and its ancestors: never killed, wherever they are.
self_pids() {
	local pid=$$

	while ((pid > 1)); do
		echo "$pid"
		pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" \
			2>/dev/null) || break
		[[ -n $pid ]] || break
	done
}

# Whatever still runs in one of our namespaces keeps it (and its veths)
# alive after "ip netns del": end it.
kill_ns_procs() {
	local ns=$1 self pid

	self=" $(self_pids | tr '\n' ' ') "
	for pid in $(ip netns pids "$ns" 2>/dev/null); do
		if [[ $self != *" $pid "* ]]; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
}

ns_create() {
	local ns=$1

	ip netns add "$ns"
	# No reverse-path filter; no DAD, also for link-local addresses, so
	# IPv6 works at once.
	nsx "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.accept_dad=0 \
		net.ipv6.conf.default.accept_dad=0
	ip -n "$ns" link set lo up
}

# veth pair: $2 in namespace $1 <-> $4 in namespace $3.
veth_create() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
	ip -n "$1" link set "$2" up
	ip -n "$3" link set "$4" up
}

addr_add() {
	local ns=$1 dev=$2 a4=$3 a6=$4

	ip -n "$ns" addr add "$a4" dev "$dev"
	ip -n "$ns" -6 addr add "$a6" dev "$dev" nodad
}
