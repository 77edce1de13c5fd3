#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# HTTP requests/s through the veth topology (tests/lib/topo.sh): client ->
# node -> one backend running shunt-httpd, measured with wrk from the
# client, keep-alive and with a new connection per request, for:
#
#   direct        the client asks the backend's own IP; the node's kernel
#                 forwards (the baseline: plain forwarding)
#   iptables      the client asks the VIP; kube-proxy-style iptables DNAT
#                 (KUBE-SERVICES -> KUBE-SVC -> KUBE-SEP chains) + conntrack
#   shunt-tc      the client asks the VIP; shunt at tc ingress (auto mode
#                 on veth), FORWARD policy DROP
#   shunt-xdp     the same with native XDP; the peers get GRO on and tx
#                 checksum offload off first (docs/datapath.md), so this runs
#                 last in each round and the others are re-measured without
#                 those changes in the next round
#
# Scenarios are interleaved: every round runs each once; the report gives
# the median of the rounds and the ratio to direct forwarding.
#
#   ROUNDS (5)  DURATION (10 s)  CONNECTIONS (32)  THREADS (1)
#   OUT (bench/results)  SCENARIOS ("direct iptables shunt-tc shunt-xdp")
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export BUILD
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
OUT=${OUT:-bench/results}
SCENARIOS=${SCENARIOS:-direct iptables shunt-tc shunt-xdp}
P=shbench
VIP=10.96.0.10
BE=10.200.11.2
PIN=/sys/fs/bpf/shunt-bench
CTL="$BUILD/shuntctl -n ${P}node --pin-root $PIN"
NODE="ip netns exec ${P}node"
CLIENT="ip netns exec ${P}client"

[[ $(id -u) -eq 0 ]] || { echo "http-bench: run as root" >&2; exit 1; }
command -v wrk >/dev/null || { echo "http-bench: wrk missing (make deps)" >&2; exit 1; }

cleanup() {
	$CTL unload >/dev/null 2>&1 || true
	tests/lib/topo.sh down $P >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kube_proxy_rules() {
	$NODE iptables -t nat -N KUBE-SERVICES
	$NODE iptables -t nat -N KUBE-SVC-BENCH
	$NODE iptables -t nat -N KUBE-SEP-BENCH
	$NODE iptables -t nat -A PREROUTING -j KUBE-SERVICES
	$NODE iptables -t nat -A KUBE-SERVICES -d $VIP/32 -p tcp --dport 80 -j KUBE-SVC-BENCH
	$NODE iptables -t nat -A KUBE-SVC-BENCH -j KUBE-SEP-BENCH
	$NODE iptables -t nat -A KUBE-SEP-BENCH -p tcp -j DNAT --to-destination $BE:8080
}

reset_node() {
	$CTL unload >/dev/null 2>&1 || true
	$NODE iptables -t nat -F
	$NODE iptables -t nat -X
	$NODE iptables -P FORWARD ACCEPT
}

setup() {
	reset_node
	case $1 in
	direct) URL=http://$BE:8080/ ;;
	iptables)
		kube_proxy_rules
		URL=http://$VIP/
		;;
	shunt-tc | shunt-xdp)
		if [[ $1 == shunt-xdp ]]; then
			for ns in ${P}client ${P}be1; do
				ip netns exec $ns ethtool -K eth0 tx off gro on >/dev/null
			done
		fi
		$CTL attach c0 b1 --mode "${1#shunt-}" >/dev/null
		$CTL service add $VIP:80/tcp
		$CTL backend add $VIP:80/tcp $BE:8080
		$NODE iptables -P FORWARD DROP
		URL=http://$VIP/
		;;
	esac
}

# The peers' offloads as topo.sh leaves them (veth defaults).
restore_peers() {
	for ns in ${P}client ${P}be1; do
		ip netns exec $ns ethtool -K eth0 tx on gro off >/dev/null
	done
}

# wrk requests/s; $2 = ka or close.
measure() {
	local hdr=() out
	[[ $2 == close ]] && hdr=(-H "Connection: close")
	out=$($CLIENT wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" "${hdr[@]}" "$URL" 2>&1)
	if grep -q 'Socket errors' <<<"$out"; then
		echo "$out" | grep 'Socket errors' | sed "s/^/  [$1 $2] /" >&2
	fi
	awk '/^Requests\/sec:/ {print $2}' <<<"$out"
}

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

mkdir -p "$OUT"
RAW=$OUT/http-raw.csv
echo "round,scenario,mode,requests_per_s" >"$RAW"

tests/lib/topo.sh up $P 1 >/dev/null
$CLIENT sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
for ((r = 1; r <= ROUNDS; r++)); do
	for s in $SCENARIOS; do
		setup "$s"
		for m in ka close; do
			v=$(measure "$s" "$m")
			echo "$r,$s,$m,${v:-0}" >>"$RAW"
			printf '  round %d %-10s %-5s %10s req/s\n' "$r" "$s" "$m" "${v:-FAILED}" >&2
		done
		[[ $s == shunt-xdp ]] && restore_peers
	done
done

CSV=$OUT/http.csv
echo "scenario,keepalive_rps,keepalive_ratio,close_rps,close_ratio" >"$CSV"
base_ka=$(awk -F, '$2=="direct" && $3=="ka" {print $4}' "$RAW" | median)
base_cl=$(awk -F, '$2=="direct" && $3=="close" {print $4}' "$RAW" | median)
{
	echo "| scenario | keep-alive req/s | vs direct | new connection req/s | vs direct |"
	echo "|---|---:|---:|---:|---:|"
	for s in $SCENARIOS; do
		ka=$(awk -F, -v s="$s" '$2==s && $3=="ka" {print $4}' "$RAW" | median)
		cl=$(awk -F, -v s="$s" '$2==s && $3=="close" {print $4}' "$RAW" | median)
		rka=$(awk -v a="$ka" -v b="$base_ka" 'BEGIN {printf "%.2f", b ? a / b : 0}')
		rcl=$(awk -v a="$cl" -v b="$base_cl" 'BEGIN {printf "%.2f", b ? a / b : 0}')
		echo "$s,$ka,$rka,$cl,$rcl" >>"$CSV"
		printf '| %s | %.0f | %s | %.0f | %s |\n' "$s" "$ka" "$rka" "$cl" "$rcl"
	done
} | tee "$OUT/http.md"
echo "(median of $ROUNDS rounds, wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s; raw: $RAW)"
