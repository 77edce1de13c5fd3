#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# The socket-level path in the cluster lab (tests/lib/cluster.sh): each
# node's agent attaches it to the node's cgroup; clients started there
# with `cluster.sh run` are balanced at connect(), with no per-packet NAT.
#   - pod n1p1 -> web's ClusterIP (pods on all three nodes), IPv4 and
#     IPv6: answered by pods of every node, each seeing n1p1's own
#     address; node 1 counts sock_connect, its tc programs translate
#     nothing (nat_fwd unchanged);
#   - connected UDP from n1p1 to web-dsr's ClusterIP port 53: answered,
#     the socket sees the ClusterIP as the source;
#   - the node itself (host network, in its cgroup) -> its own NodePort
#     (only the socket path can balance it: the packet never leaves the
#     node) and -> the NodePorts of nodes 2 and 3 (their tc programs);
#   - the same pod outside the cgroup uses the packet path (nat_fwd).
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

run() { "$LAB" run "$P" "$@"; }
get() { # NODE NS URL
	run "$1" "$2" curl -s -m 2 "$3" || echo FAILED
}

# --- pod -> ClusterIP, balanced at connect() -------------------------------
for fam in 4 6; do
	if [[ $fam == 4 ]]; then url=http://10.96.1.10/whoami src=$CLUSTER_N1P1_IP4; else
		url="http://[fd00:96::1:10]/whoami" src="[$CLUSTER_N1P1_IP6]"
	fi
	c0=$(counter 1 sock_connect)
	n0=$(counter 1 nat_fwd)
	out=$(for i in $(seq 24); do get 1 "$CLUSTER_N1P1" "$url"; done)
	c1=$(counter 1 sock_connect)
	n1=$(counter 1 nat_fwd)
	nodes=$(grep -o '^n[0-9]' <<<"$out" | sort -u | tr -d '\n')
	bad=$(awk -v s="$src" '{a = $2; sub(/:[0-9]+$/, "", a); if (a != s) print}' <<<"$out")
	if grep -q FAILED <<<"$out"; then
		fail "n1p1 -> web ClusterIP (IPv$fam): $(grep -c FAILED <<<"$out") of 24 failed"
	elif [[ $nodes != n1n2n3 ]]; then
		fail "n1p1 -> web ClusterIP (IPv$fam): answers only from '$nodes'"
	elif [[ -n $bad ]]; then
		fail "n1p1 -> web ClusterIP (IPv$fam): pods saw another source: $(head -1 <<<"$bad")"
	elif ((c1 - c0 != 24 || n1 != n0)); then
		fail "n1p1 -> web ClusterIP (IPv$fam): sock_connect +$((c1 - c0)), nat_fwd +$((n1 - n0)) (want +24, +0)"
	else
		ok "n1p1 -> web ClusterIP (IPv$fam): pods of $nodes, each saw $src; sock_connect +24, no packet NAT"
	fi
done

# --- connected UDP to a ClusterIP ----------------------------------------
udp=$(run 1 "$CLUSTER_N1P1" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.96.1.15", 53))
s.send(b"hello")
data, peer = s.recvfrom(2048)
print(data.decode().strip(), peer[0], peer[1])
' 2>&1 || echo FAILED)
[[ $udp =~ ^n[1-3]p[12]\ hello\ 10\.96\.1\.15\ 53$ ]] &&
	ok "n1p1 connected UDP -> 10.96.1.15:53: '$udp'" ||
	fail "n1p1 connected UDP -> 10.96.1.15:53: '$udp'"

# --- the node itself -> NodePorts --------------------------------------------
c0=$(counter 1 sock_connect)
for url in "http://$CLUSTER_N1_IP4:30082/whoami" "http://[$CLUSTER_N1_IP6]:30082/whoami"; do
	got=$(get 1 "$CLUSTER_N1" "$url")
	[[ $got == "n2p1 "* ]] && ok "node n1 -> its own NodePort $url: '$got'" ||
		fail "node n1 -> its own NodePort $url: '$got'"
done
c1=$(counter 1 sock_connect)
((c1 - c0 == 2)) || fail "node n1 -> its own NodePort: sock_connect +$((c1 - c0)), want +2"
got=$(get 1 "$CLUSTER_N1" "http://$CLUSTER_N2_IP4:30082/whoami")
[[ $got == "n2p1 $CLUSTER_N1_IP4:"* ]] && ok "node n1 -> n2's NodePort: '$got'" ||
	fail "node n1 -> n2's NodePort: '$got'"
got=$(get 1 "$CLUSTER_N1" "http://$CLUSTER_N3_IP4:30082/whoami")
[[ $got == "n2p1 $CLUSTER_N3_IP4:"* ]] && ok "node n1 -> n3's NodePort (SNAT on n3 to n2p1): '$got'" ||
	fail "node n1 -> n3's NodePort: '$got'"

# --- outside the cgroup: the packet path ---------------------------------
c0=$(counter 1 sock_connect)
n0=$(counter 1 nat_fwd)
got=$(ip netns exec "$CLUSTER_N1P1" curl -s -m 2 http://10.96.1.12/whoami || echo FAILED)
c1=$(counter 1 sock_connect)
n1=$(counter 1 nat_fwd)
if [[ $got == "n2p1 $CLUSTER_N1P1_IP4:"* ]] && ((c1 == c0 && n1 > n0)); then
	ok "n1p1 outside the cgroup -> one's ClusterIP: '$got', translated per packet (nat_fwd +$((n1 - n0)))"
else
	fail "n1p1 outside the cgroup: '$got', sock_connect +$((c1 - c0)), nat_fwd +$((n1 - n0))"
fi

finish test_socket
