#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# shunt cluster demo (make cluster-demo): the three-node lab of
# tests/lib/cluster.sh (nodes with pods, a fabric, a router and an
# external client in network namespaces, a fake Kubernetes API server,
# one shuntd per node). Requests from the external client go to the
# NodePort of each node; the demo prints which pod on which node
# answered and the source address each pod saw (SNAT for pods of other
# nodes, the client's own address for the node's pods and for
# externalTrafficPolicy Local and DSR). Everything is removed at the end,
# also on error or Ctrl-C.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
P=shcdemo
LAB=tests/lib/cluster.sh
REQUESTS=${DEMO_REQUESTS:-12}

[[ $(id -u) -eq 0 ]] || {
	echo "cluster-demo: run as root (BPF and network namespaces)" >&2
	exit 1
}

cleanup() { "$LAB" down "$P" >/dev/null 2>&1 || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Building the lab: 3 nodes x 2 pods, fabric, router, external client, API server, 3 agents"
"$LAB" up "$P"
eval "$("$LAB" env "$P")"
echo "  external client  $CLUSTER_EXT_IP4 (behind the router)"
echo "  nodes            n1 $CLUSTER_N1_IP4, n2 $CLUSTER_N2_IP4, n3 $CLUSTER_N3_IP4"
echo "  pods             n1p1 $CLUSTER_N1P1_IP4  n1p2 $CLUSTER_N1P2_IP4"
echo "                   n2p1 $CLUSTER_N2P1_IP4  n2p2 $CLUSTER_N2P2_IP4"
echo "                   n3p1 $CLUSTER_N3P1_IP4  n3p2 $CLUSTER_N3P2_IP4"
echo "  Services         lab/web NodePort 30080 (externalTrafficPolicy Cluster, 6 pods)"
echo "                   lab/web-local NodePort 30081 (Local, 6 pods)"
echo "                   lab/web-dsr NodePort 30085 (Cluster, 6 pods, shunt.dev/lb-mode: dsr)"

# REQUESTS new connections to NODE_IP:PORT; a line per pod and source.
table() { # NODE_IP PORT
	local i
	for ((i = 0; i < REQUESTS; i++)); do
		ip netns exec "$CLUSTER_EXT" curl -s -m 2 "http://$1:$2/whoami" ||
			echo "(failed) -"
	done | awk '{src = $2; sub(/:[0-9]+$/, "", src); print $1, src}' |
		sort | uniq -c |
		awk '{printf "  %3d x  pod %-5s on node %-3s saw source %s\n", $1, $2, substr($2, 1, 2), $3}'
}

for port in 30080 30081 30085; do
	for n in 1 2 3; do
		ip_var="CLUSTER_N${n}_IP4"
		step "$REQUESTS requests from the external client to n$n ${!ip_var}:$port"
		table "${!ip_var}" "$port"
	done
done

for n in 1 2; do
	step "Node n$n's NAT counters (shuntctl stats)"
	ns_var="CLUSTER_N${n}" pin_var="CLUSTER_N${n}_PIN"
	nsenter --net="/run/netns/${!ns_var}" "$BUILD/shuntctl" -p "${!pin_var}" stats |
		grep -E ' (snat_new|nat_fwd|nat_rev|dsr_new|dsr_opt_sent|dsr_in) ' || true
done
step "Done; removing the lab"
