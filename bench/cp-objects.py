#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Kubernetes objects for bench/cp-bench.sh, as /_control ops of the fake
API server (tests/k8s/fake-apiserver.py).

  cp-objects.py DIR N M SAMPLES REMOVE

writes into DIR:
  services.json        {"op": "set", "resource": "services", ...}: N
                       Services bench/svc-NNNNN, type NodePort, one TCP
                       port "http" 80 -> 8080, ClusterIP 10.96.0.0+i+1,
                       nodePort 20000+i (a cluster whose
                       --service-node-port-range is widened: the default
                       30000-32767 holds 2,768)
  slices.json          the same for their EndpointSlices, one per Service,
                       M ready endpoints each (10.128.0.0+16*i+k+1, nodeName
                       node-K), port "http" 8080
  changes.tsv          SAMPLES endpoint changes, one a line:
                       SERVICE-NAME <TAB> ENDPOINTS-AFTER <TAB> /_control op
                       (one MODIFIED EndpointSlice event). Pairs on one
                       Service: an endpoint added (M+1), then removed (M);
                       successive pairs are spread over the Services.
  remove-slices.json   one "events" op with DELETED events for the slices
                       of REMOVE Services (every N/REMOVE-th, spread)
  remove-services.json the same for those Services
  removed.tsv          their names, ClusterIPs and nodePorts
"""

import json
import os
import sys

NS = "bench"


def ip(x):
    return "%d.%d.%d.%d" % (x >> 24 & 255, x >> 16 & 255, x >> 8 & 255, x & 255)


def cluster_ip(i):
    return ip((10 << 24 | 96 << 16) + i + 1)


def node_port(i):
    return 20000 + i


def name(i):
    return "svc-%05d" % i


def service(i):
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name(i), "namespace": NS, "uid": "uid-svc-%d" % i},
        "spec": {
            "type": "NodePort",
            "clusterIP": cluster_ip(i),
            "clusterIPs": [cluster_ip(i)],
            "ipFamilies": ["IPv4"],
            "externalTrafficPolicy": "Cluster",
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "TCP",
                    "targetPort": 8080,
                    "nodePort": node_port(i),
                }
            ],
        },
    }


def endpoint(i, k):
    return {
        "addresses": [ip((10 << 24 | 128 << 16) + 16 * i + k + 1)],
        "conditions": {"ready": True, "serving": True, "terminating": False},
        "nodeName": "node-%d" % (k % 8),
    }


def slice_(i, m):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": name(i) + "-abcde",
            "namespace": NS,
            "labels": {
                "kubernetes.io/service-name": name(i),
                "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
            },
        },
        "addressType": "IPv4",
        "endpoints": [endpoint(i, k) for k in range(m)],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    }


def shunt_name(i):
    return "%s/%s:http" % (NS, name(i))


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: cp-objects.py DIR N M SAMPLES REMOVE")
    out = sys.argv[1]
    n, m, samples, remove = (int(a) for a in sys.argv[2:])
    if not (1 <= n <= 40000 and 1 <= m <= 15 and 0 <= remove <= n):
        sys.exit("cp-objects.py: N in 1..40000, M in 1..15, REMOVE <= N")
    dump(
        os.path.join(out, "services.json"),
        {"op": "set", "resource": "services", "objects": [service(i) for i in range(n)]},
    )
    dump(
        os.path.join(out, "slices.json"),
        {
            "op": "set",
            "resource": "endpointslices",
            "objects": [slice_(i, m) for i in range(n)],
        },
    )
    # Pair j works on Service (j * 7919) mod n (7919 is prime: spread).
    with open(os.path.join(out, "changes.tsv"), "w") as f:
        for s in range(samples):
            i = (s // 2 * 7919) % n
            eps = m + 1 if s % 2 == 0 else m
            op = {
                "op": "events",
                "resource": "endpointslices",
                "steps": [{"type": "MODIFIED", "object": slice_(i, eps)}],
            }
            f.write("%s\t%d\t%s\n" % (shunt_name(i), eps, json.dumps(op, separators=(",", ":"))))
    gone = [i for i in range(n) if remove and i % (n // remove) == n // remove - 1][:remove]
    dump(
        os.path.join(out, "remove-slices.json"),
        {
            "op": "events",
            "resource": "endpointslices",
            "steps": [{"type": "DELETED", "object": slice_(i, m)} for i in gone],
        },
    )
    dump(
        os.path.join(out, "remove-services.json"),
        {
            "op": "events",
            "resource": "services",
            "steps": [{"type": "DELETED", "object": service(i)} for i in gone],
        },
    )
    with open(os.path.join(out, "removed.tsv"), "w") as f:
        for i in gone:
            f.write("%s\t%s\t%d\n" % (shunt_name(i), cluster_ip(i), node_port(i)))


if __name__ == "__main__":
    main()
