#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# shunt demo (make demo): a client, a node running shunt and three
# backends, each in its own network namespace, joined by veth pairs.
# Real HTTP requests to a service VIP are balanced by shunt on the node,
# whose own forwarding is switched off (iptables FORWARD policy DROP).
# Everything is removed at the end, also on error or Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
P=shdemo
VIP=10.96.0.10
VIP6=fd00:96::10
PIN=/sys/fs/bpf/shunt-demo
SHUNTCTL="$BUILD/shuntctl -n ${P}node --pin-root $PIN"
REQUESTS=${DEMO_REQUESTS:-600}

[[ $(id -u) -eq 0 ]] || { echo "demo: run as root (BPF and network namespaces)" >&2; exit 1; }

cleanup() {
	$SHUNTCTL unload >/dev/null 2>&1 || "$BUILD/shuntctl" --pin-root $PIN unload >/dev/null 2>&1 || true
	tests/lib/topo.sh down $P >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

# N requests, each on a new connection; prints "count backend" lines.
distribution() {
	local url=$1 n=$2 args=() i
	for ((i = 0; i < n; i++)); do args+=("$url"); done
	ip netns exec ${P}client curl -s --max-time 30 -H 'Connection: close' "${args[@]}" |
		sort | uniq -c | awk '{printf "  %-4s %5d requests\n", $2, $1}'
}

step "Topology: ${P}client -- ${P}node -- ${P}be1..3 (veth), HTTP servers on the backends"
tests/lib/topo.sh up $P 3 >/dev/null
echo "  client 10.200.1.2  ->  node (shunt)  ->  be1 10.200.11.2, be2 10.200.12.2, be3 10.200.13.2 :8080"

step "The node's kernel forwarding is blocked: only shunt moves service traffic"
run ip netns exec ${P}node iptables -P FORWARD DROP
run ip netns exec ${P}node ip6tables -P FORWARD DROP

step "Attach shunt to the node's interfaces (auto: tc on veth, XDP on physical NICs)"
run $SHUNTCTL attach c0 b1 b2 b3

step "Service $VIP:80/tcp -> be1, be2 (weight 1) and be3 (weight 2)"
run $SHUNTCTL service add $VIP:80/tcp
run $SHUNTCTL backend add $VIP:80/tcp 10.200.11.2:8080
run $SHUNTCTL backend add $VIP:80/tcp 10.200.12.2:8080
run $SHUNTCTL backend add $VIP:80/tcp 10.200.13.2:8080 --weight 2
run $SHUNTCTL service add "[$VIP6]:80/tcp"
run $SHUNTCTL backend add "[$VIP6]:80/tcp" "[fd00:200:11::2]:8080"
run $SHUNTCTL backend add "[$VIP6]:80/tcp" "[fd00:200:12::2]:8080"
run $SHUNTCTL service list

step "$REQUESTS HTTP requests from the client to http://$VIP/, a new connection each"
distribution "http://$VIP/" "$REQUESTS"

step "What a backend sees: the client's own address"
run ip netns exec ${P}client curl -s "http://$VIP/whoami"

step "IPv6: 100 requests to http://[$VIP6]/"
distribution "http://[$VIP6]/" 100

step "Drain be3: it takes no new connections"
run $SHUNTCTL backend set $VIP:80/tcp 10.200.13.2:8080 --drain
distribution "http://$VIP/" 200

step "Counters (shuntctl stats)"
run $SHUNTCTL stats | grep -Ev '^  [a-z_0-9]+ +0$'

step "A few conntrack entries (shuntctl ct list)"
$SHUNTCTL ct list | awk 'NR <= 6'

step "Cleaning up"
echo "  (shuntctl unload; namespaces deleted)"
