#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The socket-level path, measured in one run, in a private network
# namespace with every process in a test cgroup that shunt's socket
# programs are attached to:
#
#  1. connections/s to a service (wrk, a new connection per request) to
#     a local shunt-httpd: the backend's own address (direct), a VIP
#     through kube-proxy-style iptables DNAT (nat OUTPUT, in a second
#     namespace, since NAT turns conntrack on for the whole namespace),
#     a VIP through shunt's connect-time translation (socket LB), all
#     from inside the cgroup; plus direct from outside it (no shunt
#     program runs at all);
#  2. 1 KiB request/response round trips/s between two local processes
#     (shunt-pingpong, 1 and 8 connections), without and with sockmap;
#  3. HTTP req/s through a local nginx reverse proxy (upstream keep-alive)
#     to a local backend, keep-alive clients, without and with sockmap.
#
# Rounds interleave every variant; the report gives medians and ratios.
#   ROUNDS (5)  DURATION (8 s)  OUT (bench/results)
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-8}
OUT=${OUT:-bench/results}
NS=shbsock
NS_IPT=shbsockipt # iptables NAT registers conntrack for the whole netns
PIN=/sys/fs/bpf/shunt-bench-sock
CTL="$BUILD/shuntctl --pin-root $PIN"
BE=10.0.0.2  # nginx's upstream, ping-pong server
BE_C=10.0.0.3 # the connection-rate backend (its TIME_WAITs stay apart)
VIP=10.96.0.10
TMP=$(mktemp -d /tmp/shunt-sock-bench.XXXXXX)
CGROOT=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
[[ -d /sys/fs/cgroup && $(stat -fc %T /sys/fs/cgroup) == cgroup2fs ]] && CGROOT=/sys/fs/cgroup
CG=$CGROOT/shunt-bench-sock
PIDS=()

[[ $(id -u) -eq 0 ]] || { echo "sock-bench: run as root" >&2; exit 1; }
for t in wrk nginx nsenter; do
	command -v $t >/dev/null || { echo "sock-bench: $t missing (make deps)" >&2; exit 1; }
done

cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	[[ -f $TMP/nginx.pid ]] && kill "$(cat "$TMP/nginx.pid")" 2>/dev/null
	$CTL unload >/dev/null 2>&1 || true
	if [[ -d $CG ]]; then
		while read -r p; do echo "$p" >"$CGROOT/cgroup.procs"; done <"$CG/cgroup.procs"
		rmdir "$CG" 2>/dev/null || true
	fi
	ip netns del $NS 2>/dev/null || true
	ip netns del $NS_IPT 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Run a command in the namespace, inside the test cgroup.
in_ns() { nsenter --net=/run/netns/$NS "$@"; }
in_cg() { nsenter --net=/run/netns/$NS sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }
in_ipt() { nsenter --net=/run/netns/$NS_IPT sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG" "$@"; }

# A background server in a namespace and the cgroup, without a subshell,
# so that $! is the server itself.
spawn() { # NETNS CMD...
	local ns=$1
	shift
	nsenter --net=/run/netns/"$ns" sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' \
		"$CG" "$@" >/dev/null &
	PIDS+=($!)
}

setup() {
	local ns
	for ns in $NS $NS_IPT; do
		ip netns add $ns
		nsenter --net=/run/netns/$ns ip link set lo up
		nsenter --net=/run/netns/$ns ip addr add $BE/32 dev lo
		nsenter --net=/run/netns/$ns ip addr add $BE_C/32 dev lo
		nsenter --net=/run/netns/$ns ip route add 10.96.0.0/16 dev lo
	done
	nsenter --net=/run/netns/$NS_IPT iptables -t nat -A OUTPUT -d $VIP/32 -p tcp \
		--dport 80 -j DNAT --to-destination $BE_C:8080
	mkdir -p "$CG"
	$CTL cgroup attach "$CG" >/dev/null
	spawn $NS "$BUILD/tools/shunt-httpd" --name be --bind $BE --port 8080 \
		--udp-port 0 --no-pdeathsig
	spawn $NS "$BUILD/tools/shunt-httpd" --name bec --bind $BE_C --port 8080 \
		--udp-port 0 --no-pdeathsig
	spawn $NS_IPT "$BUILD/tools/shunt-httpd" --name bec --bind $BE_C --port 8080 \
		--udp-port 0 --no-pdeathsig
	spawn $NS "$BUILD/tools/shunt-pingpong" server $BE 9000
	cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
pid $TMP/nginx.pid;
error_log $TMP/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP; proxy_temp_path $TMP;
	fastcgi_temp_path $TMP; uwsgi_temp_path $TMP; scgi_temp_path $TMP;
	upstream be { server $BE:8080; keepalive 64; }
	server {
		listen $BE:8081;
		location / { proxy_pass http://be; proxy_http_version 1.1;
			     proxy_set_header Connection ""; }
	}
}
EOF
	in_cg nginx -c "$TMP/nginx.conf" -e "$TMP/error.log"
	sleep 0.5
}

measure_wrk() { # cg|ns|ipt URL close|ka
	local run=in_ns hdr=()
	[[ $1 == cg ]] && run=in_cg
	[[ $1 == ipt ]] && run=in_ipt
	[[ $3 == close ]] && hdr=(-H "Connection: close")
	$run wrk -t1 -c16 -d"${DURATION}s" "${hdr[@]}" "$2" 2>/dev/null |
		awk '/^Requests\/sec:/ {print $2}'
}

measure_pingpong() { # conns
	in_cg "$BUILD/tools/shunt-pingpong" client $BE 9000 --size 1024 \
		--seconds "$DURATION" --conns "$1"
}

sockmap() { # on|off
	if [[ $1 == on ]]; then
		$CTL sockmap enable 9000 && $CTL sockmap enable 8080 && $CTL sockmap enable 8081
	else
		for port in 9000 8080 8081; do
			$CTL sockmap disable $port 2>/dev/null || true
		done
	fi
	return 0
}

service() { # on|off
	if [[ $1 == on ]]; then
		$CTL service add $VIP:80/tcp && $CTL backend add $VIP:80/tcp $BE_C:8080
	else
		$CTL service del $VIP:80/tcp 2>/dev/null || true
	fi
}

record() { echo "$1,$2,$3,$4" >>"$RAW"; printf '  round %d %-28s %12s\n' "$1" "$2/$3" "$4" >&2; }

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }
med() { awk -F, -v g="$1" -v c="$2" '$2==g && $3==c {print $4}' "$RAW" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }

mkdir -p "$OUT"
RAW=$OUT/sock-raw.csv
echo "round,group,case,value" >"$RAW"
setup
for ((r = 1; r <= ROUNDS; r++)); do
	record $r connect direct-no-shunt "$(measure_wrk ns http://$BE_C:8080/ close)"
	record $r connect direct "$(measure_wrk cg http://$BE_C:8080/ close)"
	record $r connect iptables "$(measure_wrk ipt http://$VIP/ close)"
	service on
	record $r connect socket-lb "$(measure_wrk cg http://$VIP/ close)"
	service off
	for m in off on; do
		sockmap $m
		record $r pingpong1 "sockmap-$m" "$(measure_pingpong 1)"
		record $r pingpong8 "sockmap-$m" "$(measure_pingpong 8)"
		record $r nginx "sockmap-$m" "$(measure_wrk cg http://$BE:8081/ ka)"
	done
	sockmap off
done
$CTL sockmap list >"$OUT/sock-sockmap-counters.txt" 2>&1 || true

c_direct=$(med connect direct)
p1_off=$(med pingpong1 sockmap-off)
p8_off=$(med pingpong8 sockmap-off)
ng_off=$(med nginx sockmap-off)
{
	echo "| measurement | variant | median | vs baseline |"
	echo "|---|---|---:|---:|"
	for c in direct-no-shunt direct iptables socket-lb; do
		v=$(med connect $c)
		printf '| connections/s to a service (new connection per request) | %s | %.0f | %s |\n' \
			"$c" "$v" "$(ratio "$v" "$c_direct")"
	done
	for m in off on; do
		v=$(med pingpong1 sockmap-$m)
		printf '| 1 KiB round trips/s, 1 connection | sockmap %s | %.0f | %s |\n' "$m" "$v" "$(ratio "$v" "$p1_off")"
	done
	for m in off on; do
		v=$(med pingpong8 sockmap-$m)
		printf '| 1 KiB round trips/s, 8 connections | sockmap %s | %.0f | %s |\n' "$m" "$v" "$(ratio "$v" "$p8_off")"
	done
	for m in off on; do
		v=$(med nginx sockmap-$m)
		printf '| HTTP req/s via local nginx proxy | sockmap %s | %.0f | %s |\n' "$m" "$v" "$(ratio "$v" "$ng_off")"
	done
} | tee "$OUT/sock.md"
echo "(median of $ROUNDS rounds, ${DURATION}s each; raw: $RAW)"
