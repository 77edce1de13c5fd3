# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# Helpers shared by the benchmark scripts (sourced, not run).

# The median of the numbers on stdin (empty input: nothing).
median() { sort -g | awk '{v[NR]=$1} END {if (NR) print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

# a / b with two decimals; 0 when b is 0 or empty.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b + 0) ? a / b : 0}'; }

# The cgroup v2 mount point (/sys/fs/cgroup on a unified host).
cgroup2_root() {
	if [[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ]]; then
		echo /sys/fs/cgroup
	else
		awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts
	fi
}

# Move every process of cgroup $1 to its parent, then remove it.
cgroup_remove() {
	local cg=$1 p
	[[ -d $cg ]] || return 0
	while read -r p; do
		echo "$p" >"$(dirname "$cg")/cgroup.procs" 2>/dev/null || true
	done <"$cg/cgroup.procs"
	rmdir "$cg" 2>/dev/null || true
}

# Run wrk; print "REQS_PER_S P50_MS P99_MS ERRORS" (0 0 0 1 when wrk gives
# nothing). Latencies come from --latency ("99%  1.23ms"), converted to ms.
# $1 = a command prefix that enters the namespace (and cgroup), as one
# word naming a function or program; $2 ka|close; $3 URL; wrk options from
# WRK_THREADS, WRK_CONNECTIONS, DURATION; wrk's own output is appended to
# $WRK_LOG when that is set.
wrk_measure() {
	local run=$1 mode=$2 url=$3 hdr=() out
	[[ $mode == close ]] && hdr=(-H "Connection: close")
	out=$($run wrk --latency -t"${WRK_THREADS:-1}" -c"${WRK_CONNECTIONS:-32}" \
		-d"${DURATION:-8}s" "${hdr[@]}" "$url" 2>&1) || true
	if [[ -n ${WRK_LOG:-} ]]; then
		printf '== %s %s %s\n%s\n' "$run" "$mode" "$url" "$out" >>"$WRK_LOG"
	fi
	awk '
	function ms(v) {
		if (v ~ /us$/) return v * 0.001
		if (v ~ /ms$/) return v + 0
		if (v ~ /m$/) return v * 60000
		if (v ~ /s$/) return v * 1000
		return v + 0
	}
	/^ +50% / {p50 = ms($2)}
	/^ +99% / {p99 = ms($2)}
	/^Requests\/sec:/ {rps = $2}
	/Socket errors:/ {gsub(/,/, ""); err += $4 + $6 + $8 + $10}
	/Non-2xx or 3xx/ {err += $NF}
	END {
		if (rps == "") print "0 0 0 1"
		else printf "%s %.3f %.3f %d\n", rps, p50, p99, err
	}' <<<"$out"
}

machine_info() {
	local cpu mem
	cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
	mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
	echo "cpu: ${cpu:-unknown}"
	echo "vcpus: $(nproc)"
	echo "memory: $mem"
	echo "kernel: $(uname -r)"
	echo "os: $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "wrk: $(wrk -v 2>&1 | awk 'NR == 1 {print $2}'), nginx: $(nginx -v 2>&1 | sed 's|.*/||'), iptables: $(iptables -V 2>/dev/null), nft: $(nft -v 2>/dev/null)"
}
