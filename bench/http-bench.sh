#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# HTTP requests/s and p99 latency through the veth topology
# (tests/lib/topo.sh): client -> node -> one backend running shunt-httpd
# (one thread, epoll), measured with wrk --latency from the client
# namespace, with keep-alive and with a new connection per request
# ("Connection: close", what the seed's `ab` without -k does), for:
#
#   direct        the client asks the backend's own IP; the node's kernel
#                 forwards (the baseline: plain forwarding, no netfilter)
#   iptables      the client asks the VIP; kube-proxy's iptables-mode rules
#                 for one service (bench/gen-rules.sh: KUBE-SERVICES ->
#                 KUBE-SVC -> KUBE-SEP DNAT, KUBE-FORWARD) + conntrack,
#                 loaded with iptables-restore (Debian's nft backend)
#   nftables      the client asks the VIP; kube-proxy's nftables-mode table
#                 (verdict map on daddr . proto . dport, numgen vmap, dnat)
#   nginx         the client asks nginx on the node (10.200.1.1:8000), which
#                 proxies to the backend with a new upstream connection per
#                 request (proxy_pass defaults: HTTP/1.0, no keep-alive):
#                 the seed's ingress case
#   nginx-ka      the same with an upstream keep-alive pool (keepalive 64,
#                 proxy_http_version 1.1, Connection "") on port 8001
#   shunt-tc      the client asks the VIP; shunt at tc ingress on the node
#                 (what `auto` picks on veth), node FORWARD policy DROP
#   shunt-xdp     the same with native XDP; the peers get GRO on and tx
#                 checksum offload off first (docs/datapath.md), undone after
#   shunt-sock    shunt's socket LB where the client runs: wrk runs in a
#                 cgroup (inside the client namespace) with shunt's socket
#                 programs attached; connect() to the VIP becomes a connect
#                 to the backend, and the node only forwards (as direct)
#   shunt-sock-sockmap  the same, plus sockmap for that service, with the
#                 backend's server (a second shunt-httpd on port 8081 in the
#                 backend namespace) in the cgroup too: client and backend
#                 are on one kernel like two pods of one node, and payload
#                 goes socket to socket, skipping TCP/IP, the veths and the
#                 node altogether (an upper bound, not forwarding)
#
# Every round runs every scenario once, keep-alive then close; the report
# gives the medians of the rounds and the ratio to direct forwarding.
# nginx uses one worker (like shunt-httpd and wrk -t1) and
# keepalive_requests 1000000 towards the client, so wrk's connections
# stay open as they do with the other targets.
#
#   ROUNDS (3)  DURATION (8 s)  WRK_CONNECTIONS (32)  WRK_THREADS (1)
#   OUT (bench/results)  SCENARIOS (all of the above, in that order)
# Output: $OUT/http-raw.csv (every run), $OUT/http.csv, $OUT/http.md, and
# shunt's counters after the last round: $OUT/http-stats-SCENARIO.txt.
set -euo pipefail

cd "$(dirname "$0")/.."
. bench/lib.sh
BUILD=${BUILD:-build}
export BUILD
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-32}
WRK_THREADS=${WRK_THREADS:-1}
export DURATION WRK_CONNECTIONS WRK_THREADS
OUT=${OUT:-bench/results}
SCENARIOS=${SCENARIOS:-direct iptables nftables nginx nginx-ka shunt-tc shunt-xdp shunt-sock shunt-sock-sockmap}
P=shbench
VIP=10.96.0.10
VIP_SM=10.96.0.11 # the sockmap-enabled service (-> the backend's port 8081)
BE=10.200.11.2
NODE_IP=10.200.1.1
PIN=/sys/fs/bpf/shunt-bench
PIN_SOCK=/sys/fs/bpf/shunt-bench-socklb
CTL="$BUILD/shuntctl -n ${P}node --pin-root $PIN"
SCTL="$BUILD/shuntctl --pin-root $PIN_SOCK"
CGROOT=$(cgroup2_root)
CG=$CGROOT/shunt-bench-http
TMP=$(mktemp -d /tmp/shunt-http-bench.XXXXXX)
PIDS=()

[[ $(id -u) -eq 0 ]] || { echo "http-bench: run as root" >&2; exit 1; }
for t in wrk nginx nft iptables-restore nsenter ethtool; do
	command -v $t >/dev/null || { echo "http-bench: $t missing (make deps)" >&2; exit 1; }
done
[[ -n $CGROOT ]] || { echo "http-bench: no cgroup v2 mount" >&2; exit 1; }

cleanup() {
	local p
	[[ -f $TMP/nginx.pid ]] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	$CTL unload >/dev/null 2>&1 || true
	$SCTL unload >/dev/null 2>&1 || true
	tests/lib/topo.sh down $P >/dev/null 2>&1 || true
	sleep 0.2
	cgroup_remove "$CG"
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Commands in the namespaces (nsenter, not `ip netns exec`, which remounts
# /sys and would hide /sys/fs/bpf and the cgroup tree).
node() { nsenter --net=/run/netns/${P}node "$@"; }
client() { nsenter --net=/run/netns/${P}client "$@"; }
client_cg() { nsenter --net=/run/netns/${P}client sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }

reset_node() {
	$CTL unload >/dev/null 2>&1 || true
	node nft flush ruleset # iptables-nft and kube-proxy tables alike
}

# The peers' offloads for native XDP on veth (docs/datapath.md), and back
# to the veth defaults topo.sh leaves.
peers_offload() { # xdp|default
	local ns
	for ns in ${P}client ${P}be1; do
		if [[ $1 == xdp ]]; then
			nsenter --net=/run/netns/$ns ethtool -K eth0 tx off gro on >/dev/null
		else
			nsenter --net=/run/netns/$ns ethtool -K eth0 tx on gro off >/dev/null
		fi
	done
}

setup() {
	reset_node
	RUN=client
	URL=http://$VIP/
	case $1 in
	direct) URL=http://$BE:8080/ ;;
	iptables) node iptables-restore "$TMP/rules.iptables" ;;
	nftables) node nft -f "$TMP/rules.nft" ;;
	nginx) URL=http://$NODE_IP:8000/ ;;
	nginx-ka) URL=http://$NODE_IP:8001/ ;;
	shunt-tc | shunt-xdp)
		if [[ $1 == shunt-xdp ]]; then peers_offload xdp; fi
		$CTL attach c0 b1 --mode "${1#shunt-}" >/dev/null 2>"$TMP/attach.log" ||
			{ cat "$TMP/attach.log" >&2; exit 1; }
		$CTL apply -f "$TMP/services.yaml" >/dev/null
		node iptables -P FORWARD DROP
		;;
	shunt-sock) RUN=client_cg ;;
	shunt-sock-sockmap)
		RUN=client_cg
		URL=http://$VIP_SM/
		;;
	*)
		echo "http-bench: unknown scenario $1" >&2
		exit 2
		;;
	esac
}

# The datapath's counters after the last round of each shunt scenario,
# which show where its packets went (e.g. redirected, not passed).
teardown() {
	case $1 in
	shunt-tc | shunt-xdp)
		$CTL stats >"$OUT/http-stats-$1.txt" 2>&1 || true
		;;
	shunt-sock-sockmap)
		{ $SCTL sockmap list; $SCTL stats; } >"$OUT/http-stats-$1.txt" 2>&1 || true
		;;
	esac
	if [[ $1 == shunt-xdp ]]; then peers_offload default; fi
}

start_nginx() {
	cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	client_body_temp_path $TMP; proxy_temp_path $TMP;
	fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
	upstream be_ka { server $BE:8080; keepalive 64; keepalive_requests 1000000; }
	server {
		listen $NODE_IP:8000;
		location / { proxy_pass http://$BE:8080; }
	}
	server {
		listen $NODE_IP:8001;
		location / { proxy_pass http://be_ka; proxy_http_version 1.1;
			     proxy_set_header Connection ""; }
	}
}
EOF
	node nginx -c "$TMP/nginx.conf" -e "$TMP/nginx-error.log"
}

# Socket LB for the client's cgroup (its own pin root: nothing of it runs
# on the node), and the sockmap variant's server in the backend.
start_socklb() {
	mkdir -p "$CG"
	$SCTL cgroup attach "$CG" >/dev/null
	$SCTL service add $VIP:80/tcp
	$SCTL backend add $VIP:80/tcp $BE:8080
	$SCTL service add $VIP_SM:80/tcp
	$SCTL backend add $VIP_SM:80/tcp $BE:8081
	$SCTL sockmap enable $VIP_SM:80/tcp >/dev/null
	nsenter --net=/run/netns/${P}be1 sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" \
		"$BUILD/tools/shunt-httpd" --name be1 --port 8081 --udp-port 0 --no-pdeathsig \
		>"$TMP/httpd-sockmap.log" 2>&1 &
	PIDS+=($!)
}

# Every target answers before the first round (and ARP is resolved).
check_targets() {
	local s got
	for s in $SCENARIOS; do
		setup "$s"
		got=$($RUN curl -s -m 2 "$URL" || true)
		if [[ $s == shunt-xdp ]]; then peers_offload default; fi
		[[ $got == be1 ]] || { echo "http-bench: $s: no answer from $URL (got '$got')" >&2; exit 1; }
	done
}

mkdir -p "$OUT"
RAW=$OUT/http-raw.csv
echo "round,scenario,mode,requests_per_s,p50_ms,p99_ms,errors" >"$RAW"

tests/lib/topo.sh up $P 1 >/dev/null
client sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
bench/gen-rules.sh iptables 1 1 >"$TMP/rules.iptables"
bench/gen-rules.sh nft 1 1 >"$TMP/rules.nft"
bench/gen-rules.sh shunt 1 1 >"$TMP/services.yaml"
start_nginx
start_socklb
sleep 0.3
check_targets

for ((r = 1; r <= ROUNDS; r++)); do
	for s in $SCENARIOS; do
		setup "$s"
		for m in ka close; do
			read -r rps p50 p99 err < <(wrk_measure "$RUN" $m "$URL")
			echo "$r,$s,$m,$rps,$p50,$p99,$err" >>"$RAW"
			printf '  round %d %-19s %-5s %10.0f req/s  p99 %7.2f ms%s\n' "$r" "$s" "$m" \
				"$rps" "$p99" "$( ((err)) && echo "  ($err socket errors)")" >&2
		done
		teardown "$s"
	done
done
reset_node

med() { awk -F, -v s="$1" -v m="$2" -v c="$3" '$2==s && $3==m {print $c}' "$RAW" | median; }
CSV=$OUT/http.csv
echo "scenario,keepalive_rps,keepalive_ratio,keepalive_p99_ms,close_rps,close_ratio,close_p99_ms" >"$CSV"
base_ka=$(med direct ka 4)
base_cl=$(med direct close 4)
{
	echo "| scenario | keep-alive req/s | vs direct | keep-alive p99 ms | new connection req/s | vs direct | new connection p99 ms |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	for s in $SCENARIOS; do
		ka=$(med "$s" ka 4)
		kp=$(med "$s" ka 6)
		cl=$(med "$s" close 4)
		cp=$(med "$s" close 6)
		rka=$(ratio "$ka" "$base_ka")
		rcl=$(ratio "$cl" "$base_cl")
		echo "$s,$ka,$rka,$kp,$cl,$rcl,$cp" >>"$CSV"
		printf '| %s | %.0f | %s | %.2f | %.0f | %s | %.2f |\n' "$s" "$ka" "$rka" "$kp" "$cl" "$rcl" "$cp"
	done
} | tee "$OUT/http.md"
echo "(median of $ROUNDS rounds, wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d${DURATION}s --latency; raw: $RAW)"
