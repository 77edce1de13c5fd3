#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# REJECT in the cluster lab (tests/lib/cluster.sh), kube-proxy's rule for
# Services without endpoints: Service "none" has no endpoints.
#   - TCP connect() to its ClusterIP (IPv4 and IPv6, from a pod) and to
#     its NodePort (from the external client) fails with "connection
#     refused" in well under a second, counted reject_tcp;
#   - a connected UDP socket sending to its ClusterIP (IPv4 and IPv6) gets
#     ECONNREFUSED from the ICMP port unreachable, counted reject_udp;
#   - externalTrafficPolicy Local without local endpoints (local-n1, whose
#     only pod is on n1) is dropped, not rejected, on n2: the client
#     times out, drop_no_backend moves; through n1 it is served.
# shellcheck source=tests/cluster/lib.sh
. "$(dirname "$0")/lib.sh"


# TCP connect from NS to URL: "refused SECONDS", "timeout" or "other RC".
tcp_try() { # NS URL
	local t0 rc=0
	t0=$EPOCHREALTIME
	ip netns exec "$1" curl -s -o /dev/null -m 3 "$2" || rc=$?
	case $rc in
	7) echo "refused $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.3f", b - a}')" ;;
	28) echo timeout ;;
	*) echo "other $rc" ;;
	esac
}

# A datagram on a connected UDP socket, then a receive: what it got.
udp_try() { # NS ADDR PORT
	ip netns exec "$1" python3 - "$2" "$3" <<'EOF'
import socket, sys, time
addr, port = sys.argv[1], int(sys.argv[2])
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect((addr, port))
t0 = time.monotonic()
s.send(b"hello")
try:
    s.recv(100)
    print("answered")
except ConnectionRefusedError:
    print("refused %.3f" % (time.monotonic() - t0))
except socket.timeout:
    print("timeout")
EOF
}

refused_fast() { # WHAT RESULT
	if [[ $2 =~ ^refused\ ([0-9.]+)$ ]] && awk -v t="${BASH_REMATCH[1]}" 'BEGIN {exit !(t < 0.5)}'; then
		ok "$1: $2 s"
	else
		fail "$1: '$2', expected refused in under 0.5 s"
	fi
}

t1=$(counter 1 reject_tcp)
refused_fast "TCP pod n1p1 -> ClusterIP 10.96.1.13:80" \
	"$(tcp_try "$CLUSTER_N1P1" http://10.96.1.13/)"
refused_fast "TCP pod n1p1 -> ClusterIP [fd00:96::1:13]:80" \
	"$(tcp_try "$CLUSTER_N1P1" 'http://[fd00:96::1:13]/')"
t2=$(counter 1 reject_tcp)
((t2 >= t1 + 2)) || fail "reject_tcp on n1: $t1 -> $t2, expected +2"
for n in 1 2 3; do
	v="CLUSTER_N${n}_IP4"
	refused_fast "TCP external -> n$n NodePort 30083" \
		"$(tcp_try "$CLUSTER_EXT" "http://${!v}:30083/")"
done

u1=$(counter 2 reject_udp)
refused_fast "UDP pod n2p1 -> ClusterIP 10.96.1.13:53" "$(udp_try "$CLUSTER_N2P1" 10.96.1.13 53)"
refused_fast "UDP pod n2p1 -> ClusterIP [fd00:96::1:13]:53" "$(udp_try "$CLUSTER_N2P1" fd00:96::1:13 53)"
u2=$(counter 2 reject_udp)
((u2 >= u1 + 2)) || fail "reject_udp on n2: $u1 -> $u2, expected +2"

d1=$(counter 2 drop_no_backend)
r1=$(counter 2 reject_tcp)
got=$(tcp_try "$CLUSTER_EXT" "http://$CLUSTER_N2_IP4:30084/")
d2=$(counter 2 drop_no_backend)
r2=$(counter 2 reject_tcp)
if [[ $got == timeout ]] && ((d2 > d1 && r2 == r1)); then
	ok "ETP Local without local endpoints (n2:30084): dropped (drop_no_backend $d1 -> $d2)"
else
	fail "ETP Local without local endpoints (n2:30084): '$got', drop_no_backend $d1 -> $d2, reject_tcp $r1 -> $r2"
fi
got=$(ip netns exec "$CLUSTER_EXT" curl -s -m 2 "http://$CLUSTER_N1_IP4:30084/whoami" || echo FAILED)
[[ $got == "n1p1 $CLUSTER_EXT_IP4:"* ]] && ok "local-n1 via n1: '$got'" ||
	fail "local-n1 via n1: '$got'"

finish test_reject
