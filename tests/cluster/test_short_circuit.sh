#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# kube-proxy's short-circuit of Local policies in the cluster lab
# (tests/lib/cluster.sh): Service local-n1 (NodePort 30084,
# externalTrafficPolicy Local) is served by n1p1 alone, so node n2 has no
# local endpoint for it.
#   - from the external client, n2's NodePort drops (the Local rule);
#   - from pod n2p1 (in n2's --pod-cidrs), the same NodePort on the packet
#     path is served by n1p1, which sees the pod's own address (no
#     masquerade), IPv4 and IPv6, counted local_short_circuit on n2;
#   - the same through the socket-level path (a client in n2's cgroup).
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"

whoami() { # NS URL
	ip netns exec "$1" curl -s -m 3 "$2/whoami" || echo "no answer"
}

got=$(whoami "$CLUSTER_EXT" "http://$CLUSTER_N2_IP4:30084")
[[ $got == "no answer" ]] && ok "external -> n2:30084 (Local, no local endpoint): dropped" ||
	fail "external -> n2:30084: '$got', expected no answer"

s1=$(counter 2 local_short_circuit)
got=$(whoami "$CLUSTER_N2P1" "http://$CLUSTER_N2_IP4:30084")
[[ $got == "n1p1 $CLUSTER_N2P1_IP4:"* ]] && ok "pod n2p1 -> n2:30084: '$got'" ||
	fail "pod n2p1 -> n2:30084: '$got', expected n1p1 seeing $CLUSTER_N2P1_IP4"
got=$(whoami "$CLUSTER_N2P1" "http://[$CLUSTER_N2_IP6]:30084")
[[ $got == "n1p1 [$CLUSTER_N2P1_IP6]:"* || $got == "n1p1 $CLUSTER_N2P1_IP6:"* ]] &&
	ok "pod n2p1 -> [n2]:30084: '$got'" ||
	fail "pod n2p1 -> [n2]:30084: '$got', expected n1p1 seeing $CLUSTER_N2P1_IP6"
s2=$(counter 2 local_short_circuit)
((s2 > s1)) && ok "local_short_circuit on n2: $s1 -> $s2" ||
	fail "local_short_circuit on n2: $s1 -> $s2"

got=$("$LAB" run "$P" 2 "$CLUSTER_N2P2" curl -s -m 3 "http://$CLUSTER_N2_IP4:30084/whoami" || echo "no answer")
[[ $got == "n1p1 $CLUSTER_N2P2_IP4:"* ]] && ok "socket path, pod n2p2 -> n2:30084: '$got'" ||
	fail "socket path, pod n2p2 -> n2:30084: '$got', expected n1p1 seeing $CLUSTER_N2P2_IP4"

finish test_short_circuit
