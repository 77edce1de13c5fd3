#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# PNG plots (gnuplot) and the Markdown fragment for README.md
# ($OUT/README-bench.md) from the CSV files the benchmarks left in $OUT.
# Run by bench/run-bench.sh; can be rerun on its own (OUT=...). The
# parameters of the run are read from $OUT/params.txt (written by
# run-bench.sh). A missing CSV leaves its section out.
set -euo pipefail

cd "$(dirname "$0")/.."
OUT=${OUT:-bench/results}
command -v gnuplot >/dev/null || { echo "report: gnuplot missing (make deps)" >&2; exit 1; }

# name=value lines from run-bench.sh (ROUNDS, durations, elapsed time).
declare -A PRM
if [[ -r $OUT/params.txt ]]; then
	while IFS='=' read -r k v; do PRM[$k]=$v; done <"$OUT/params.txt"
fi
prm() { echo "${PRM[$1]:-$2}"; }

FONT='DejaVu Sans,10'
TERM_SET="set terminal pngcairo size 1000,500 enhanced font '$FONT' noenhanced"

# Header-less, plot-ready copies in a scratch directory.
TMP=$(mktemp -d /tmp/shunt-report.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

plot_http() {
	[[ -r $OUT/http.csv ]] || return 0
	tail -n +2 "$OUT/http.csv" >"$TMP/http.dat"
	gnuplot <<EOF
$TERM_SET
set datafile separator ","
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set xtics rotate by -25 scale 0
set key below horizontal
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set output "$OUT/http-rps.png"
set title "HTTP requests/s through the veth topology (median of $(prm ROUNDS 3) rounds, higher is better)"
set ylabel "requests/s"
plot "$TMP/http.dat" using 2:xtic(1) title "keep-alive" lc rgb "#4472c4", \
     "" using 5 title "new connection per request" lc rgb "#ed7d31", \
     "" using (\$0-0.17):2:(sprintf("%.0f",\$2)) with labels font ",7" offset 0,0.6 notitle, \
     "" using (\$0+0.17):5:(sprintf("%.0f",\$5)) with labels font ",7" offset 0,0.6 notitle
set output "$OUT/http-p99.png"
set title "HTTP p99 latency through the veth topology (median of $(prm ROUNDS 3) rounds, lower is better)"
set ylabel "p99 latency, ms"
plot "$TMP/http.dat" using 4:xtic(1) title "keep-alive" lc rgb "#4472c4", \
     "" using 7 title "new connection per request" lc rgb "#ed7d31", \
     "" using (\$0-0.17):4:(sprintf("%.1f",\$4)) with labels font ",7" offset 0,0.6 notitle, \
     "" using (\$0+0.17):7:(sprintf("%.1f",\$7)) with labels font ",7" offset 0,0.6 notitle
EOF
}

plot_scale() {
	[[ -r $OUT/scale.csv ]] || return 0
	tail -n +2 "$OUT/scale.csv" >"$TMP/scale.dat"
	gnuplot <<EOF
set terminal pngcairo size 1000,440 enhanced font '$FONT' noenhanced
set datafile separator ","
set output "$OUT/scale.png"
set multiplot layout 1,2 title "requests/s to one service with N services installed (median of $(prm ROUNDS 3) rounds)"
set logscale x
set xrange [0.5:*]
set yrange [0:*]
set grid
set xlabel "services installed"
set ylabel "requests/s"
set key bottom left
set title "keep-alive"
plot "$TMP/scale.dat" using 1:2 with linespoints lw 2 pt 7 lc rgb "#a5a5a5" title "iptables (kube-proxy)", \
     "" using 1:3 with linespoints lw 2 pt 5 lc rgb "#4472c4" title "shunt (tc)"
set title "new connection per request"
plot "$TMP/scale.dat" using 1:4 with linespoints lw 2 pt 7 lc rgb "#a5a5a5" title "iptables (kube-proxy)", \
     "" using 1:5 with linespoints lw 2 pt 5 lc rgb "#4472c4" title "shunt (tc)"
unset multiplot
EOF
}

plot_sync() {
	[[ -r $OUT/sync.csv ]] || return 0
	local tool m plots=() col sfx
	declare -A color=([iptables]="#a5a5a5" [iptables-legacy]="#7f6000" [nft]="#70ad47" [shunt]="#4472c4")
	for tool in $(awk -F, 'NR > 1 {print $1}' "$OUT/sync.csv" | awk '!s[$0]++'); do
		for m in $(awk -F, 'NR > 1 {print $3}' "$OUT/sync.csv" | sort -un); do
			awk -F, -v t="$tool" -v m="$m" '$1==t && $3==m && $4 ~ /^[0-9.]+$/ {print $2 "," $4}' \
				"$OUT/sync.csv" >"$TMP/sync-$tool-$m.dat"
			[[ -s $TMP/sync-$tool-$m.dat ]] || continue
			col=${color[$tool]:-#000000}
			sfx=""
			if ((m > 1)); then sfx=s; fi
			plots+=("\"$TMP/sync-$tool-$m.dat\" using 1:2 with linespoints lw 2 pt $((m == 1 ? 7 : 5)) dt $((m == 1 ? 1 : 2)) lc rgb \"$col\" title \"$tool, $m backend$sfx/service\"")
		done
	done
	((${#plots[@]})) || return 0
	local IFS=,
	gnuplot <<EOF
$TERM_SET
set datafile separator ","
set output "$OUT/sync.png"
set title "time to program N services from empty (lower is better; capped runs not drawn)"
set logscale xy
set grid
set xlabel "services"
set ylabel "seconds (wall)"
set key top left
plot ${plots[*]}
EOF
}

plot_prog() {
	[[ -r $OUT/prog.csv ]] || return 0
	awk -F, 'NR > 1 && $1 == "xdp" {printf "%s svc / %s be,%s,%s,%s\n", $2, $3, $4, $5, $6}' \
		"$OUT/prog.csv" >"$TMP/prog.dat"
	[[ -s $TMP/prog.dat ]] || return 0
	gnuplot <<EOF
$TERM_SET
set datafile separator ","
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set grid ytics
set xtics scale 0 rotate by -20
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set key below horizontal
set output "$OUT/prog.png"
set title "shunt_xdp nanoseconds per packet (BPF_PROG_TEST_RUN, lower is better)"
set ylabel "ns/packet"
set xlabel "services installed / backends of the measured service"
plot "$TMP/prog.dat" using 2:xtic(1) title "established flow" lc rgb "#4472c4", \
     "" using 3 title "new flow" lc rgb "#ed7d31", \
     "" using 4 title "non-service packet (pass)" lc rgb "#a5a5a5", \
     "" using (\$0-0.22):2:(sprintf("%.0f",\$2)) with labels font ",7" offset 0,0.6 notitle, \
     "" using (\$0):3:(sprintf("%.0f",\$3)) with labels font ",7" offset 0,0.6 notitle, \
     "" using (\$0+0.22):4:(sprintf("%.0f",\$4)) with labels font ",7" offset 0,0.6 notitle
EOF
}

plot_http
plot_scale
plot_sync
plot_prog

# The Markdown fragment.
R=$(prm ROUNDS 3)
RW="$R rounds"
[[ $R == 1 ]] && RW="1 round"
machine=$(awk -F': ' '
	/^cpu:/ {cpu = $2} /^vcpus:/ {n = $2} /^memory:/ {mem = $2}
	/^kernel:/ {k = $2} /^os:/ {os = $2} /^date:/ {d = $2}
	END {printf "%s vCPUs (%s), %s, kernel %s, %s; measured %s", n, cpu, mem, k, os, d}' \
	"$OUT/machine.txt" 2>/dev/null || echo "see bench/results/machine.txt")
{
	cat <<EOF
## Benchmarks

\`make bench\` (as root; not part of \`make test\`) runs \`bench/run-bench.sh\`:
every measurement below in one command, $RW each with the variants
interleaved within a round, reporting the median of the rounds. Results go
to \`bench/results/\`: a CSV and a Markdown table per benchmark (the raw
per-round figures in \`*-raw.csv\`), PNG plots (gnuplot), the machine in
\`machine.txt\`, and this text in \`README-bench.md\`. \`make bench QUICK=1\`
(or \`QUICK=1 bench/run-bench.sh\`) is a short smoke run (one round, short
durations, fewer services) whose figures are not meant to be quoted.

Measured on: $machine. The whole run took $(prm ELAPSED_MIN '?') minutes.
The benchmark tools and the servers share the machine's vCPUs, and figures
vary between runs; compare ratios taken in the same run rather than single
numbers.

EOF
	if [[ -r $OUT/http.md ]]; then
		cat <<EOF
### HTTP through the veth topology

\`bench/http-bench.sh\`: the namespace topology of the tests
(\`tests/lib/topo.sh\`: client → node → backend), one backend running
\`shunt-httpd\` (one thread), \`wrk --latency -t$(prm WRK_THREADS 1) -c$(prm WRK_CONNECTIONS 32) -d$(prm HTTP_DURATION 8)s\`
from the client, with keep-alive and with a new connection per request
(\`Connection: close\`, what \`ab\` without \`-k\` does); req/s and the p99
latency, medians of $RW, ratios to plain forwarding in the same run.
*direct*: the client asks the backend's address and the node's kernel
forwards (the baseline). *iptables*: the client asks the VIP;
kube-proxy's iptables-mode rules for one service (\`KUBE-SERVICES →
KUBE-SVC → KUBE-SEP\` DNAT, \`KUBE-FORWARD\`, conntrack), loaded with
\`iptables-restore\` (Debian's nf_tables backend). *nftables*: kube-proxy's
nftables mode (a verdict map on address, protocol and port, \`numgen\`
endpoint choice, \`dnat\`). *nginx*: the client asks an nginx on the
node (one worker) that proxies to the backend with a new upstream
connection per request (the seed's ingress); *nginx-ka*: the same with an
upstream keep-alive pool (\`keepalive 64\`, HTTP/1.1). *shunt-tc* /
*shunt-xdp*: shunt on the node at tc ingress (what \`auto\` picks on veth)
or native XDP (peers prepared as docs/datapath.md says), node FORWARD
policy DROP. *shunt-sock*: no load balancer on the node; wrk runs in a
cgroup in the client namespace with shunt's socket programs attached, so
\`connect()\` to the VIP goes to the backend and the node just forwards (the
client-side LB of a pod on a node; ideally equal to *direct*).
*shunt-sock-sockmap*: the same plus sockmap, with the backend's server in
the cgroup too: client and server share one kernel (like two pods on one
node) and payload goes socket to socket, skipping TCP/IP, both veths and
the node — an upper bound, not a forwarding path.

$(cat "$OUT/http.md")

![HTTP requests/s](bench/results/http-rps.png)
![HTTP p99 latency](bench/results/http-p99.png)

EOF
	fi
	if [[ -r $OUT/scale.md ]]; then
		cat <<EOF
### Many services installed

\`bench/scale-bench.sh\`: the same topology and wrk settings
(\`-d$(prm SCALE_DURATION 6)s\`), requests to one service while N services
(one backend each) are installed: kube-proxy's iptables-mode rules for N
services vs shunt at tc with the same N services (\`shuntctl apply -f\`).
The measured service is the last of the N rules in \`KUBE-SERVICES\` (the
worst case of iptables' linear list; an average service walks half of
it); only the first packet of a connection walks the list, so the
difference shows with a new connection per request. Both are installed
once per N and the rounds alternate between them (detaching shunt hands
the traffic back to netfilter); the last two columns are the wall time of
that one installation (\`iptables-restore\`; \`shuntctl apply -f\` into the
attached datapath).

$(cat "$OUT/scale.md")

![requests/s vs services installed](bench/results/scale.png)

EOF
	fi
	if [[ -r $OUT/sync.md ]]; then
		cat <<EOF
### Time to program N services

\`bench/sync-bench.sh\`: wall time of one command loading N services with
M backends each from empty (a proxy's start or a full sync), the same
services for every tool (\`bench/gen-rules.sh\`): \`iptables-restore\` of
kube-proxy's iptables-mode rules (nf_tables backend, and
\`iptables-legacy-restore\`), \`nft -f\` of kube-proxy's nftables-mode
table, and \`shuntctl apply -f\` with the datapath already loaded. Median
of $R runs up to 1,000 services, one run above; runs longer than
$(prm SYNC_CAP 60) s are stopped (and the larger cells of that tool
skipped). shunt holds at most $(awk '/define SHUNT_MAX_BACKENDS / {print $3}' include/shunt/abi.h) backends in all.

$(cat "$OUT/sync.md")

![programming time](bench/results/sync.png)

EOF
	fi
	if [[ -r $OUT/prog.md ]]; then
		cat <<EOF
### Per packet

\`build/bench/prog-bench\`: \`shunt_xdp\` and \`shunt_tc\` through
\`BPF_PROG_TEST_RUN\`, with real FIB and neighbour entries, so a forwarded
packet runs the whole path to the redirect verdict. One run per sample on a
fresh frame, minus the mean of a program that only returns, sampled
interleaved; mean of 20,000 samples, median of 3 rounds. "services" counts
the installed services (the measured one and services without backends),
"backends" those of the measured service.

$(cat "$OUT/prog.md")

![XDP ns/packet](bench/results/prog.png)

EOF
	fi
	if [[ -r $OUT/sock.md ]]; then
		cat <<EOF
### The socket-level path on one host

\`bench/sock-bench.sh\`: in one network namespace, every process in a
cgroup with shunt's socket programs attached: connections/s to a local
server (wrk, a new connection per request) by its own address (with and
without the cgroup's programs), through a VIP with iptables DNAT in
\`nat OUTPUT\`, and through shunt's connect-time translation; 1 KiB
request/response round trips between two local processes and HTTP req/s
through a local nginx proxy (upstream keep-alive), without and with
sockmap. $RW of $(prm SOCK_DURATION 6) s, medians.

$(cat "$OUT/sock.md")

EOF
	fi
	if [[ -r $OUT/cp.md ]]; then
		cat <<EOF
### Control plane

\`bench/cp-bench.sh\` (alone: \`BENCHES=cp bench/run-bench.sh\`): \`shuntd
--kubernetes\` in a throwaway node namespace (a veth end with two
addresses, which shuntd keeps in \`node_addr_map\` for the NodePorts),
against the fake API server of the tests (\`bench/cp-apiserver.py\`)
holding NodePort Services of one TCP port, each with an EndpointSlice
(\`bench/cp-objects.py\`): one shunt service per Service with its
ClusterIP and \`*:nodePort\` frontends. An endpoint change is one
EndpointSlice MODIFIED event (an endpoint added, then removed again, on
services spread over the set), timed from the POST to the fake server
until \`maglev_map\` points to the service's new table
(\`bench/cp-latency\`); the fake server's own POST-to-watch-event time,
measured without shuntd, and shuntd's own apply time (the \`seconds=\` of
its \`synced\` log lines) are shown to split it. Removal: DELETED events
for the slices and then the Services, until no frontend and no service
id of theirs is left. Kernel memory: \`bytes_memlock\` of every map of the
datapath (pinned maps, the programs' maps and each Maglev table) as
\`bpftool -j map show\` reports it (\`cp-maps.csv\`: by map). kube-proxy:
the same services as its iptables-mode rules (\`iptables-restore\`,
nf_tables backend) and its nftables-mode table (\`nft -f\`), loaded whole
into an empty namespace, then the partial sync it writes for one endpoint
added and removed (\`bench/gen-rules.sh\`). $(sed -n 's/^date: /Measured /p' "$OUT/cp-machine.txt" 2>/dev/null)$(sed -n 's/^loadavg at start: \([^;]*\);.*/ (load average \1 at the start)/p' "$OUT/cp-machine.txt" 2>/dev/null).

$(cat "$OUT/cp.md")

EOF
	fi
} >"$OUT/README-bench.md"
echo "report: $OUT/README-bench.md and $(ls "$OUT"/*.png 2>/dev/null | wc -l) plots"
