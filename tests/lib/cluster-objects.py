#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""The Kubernetes objects of the cluster lab (tests/lib/cluster.sh), as
/_control ops of the fake API server (tests/k8s/fake-apiserver.py).

  cluster-objects.py DIR

writes DIR/services.json and DIR/slices.json ("set" ops). Services, in
namespace "lab", each dual-stack with one TCP port "http" 80 -> 8080:
  web        NodePort 30080, externalTrafficPolicy Cluster,
             ClusterIPs 10.96.1.10 and fd00:96::1:10
  web-local  NodePort 30081, externalTrafficPolicy Local,
             ClusterIPs 10.96.1.11 and fd00:96::1:11
  one        NodePort 30082, externalTrafficPolicy Cluster,
             ClusterIPs 10.96.1.12 and fd00:96::1:12
  none       NodePort 30083, Cluster, 10.96.1.13 and fd00:96::1:13, and a
             UDP port "dns" 53 -> 5353 (NodePort 30053): no endpoints
  local-n1   NodePort 30084, Local, 10.96.1.14 and fd00:96::1:14: served
             by n1p1 alone
  web-dsr    NodePort 30085, Cluster, 10.96.1.15 and fd00:96::1:15,
             annotated shunt.dev/lb-mode: dsr, and a UDP port "dns"
             53 -> 5353 (NodePort 30055: the pods' UDP echo)
  one-dsr    NodePort 30086, Cluster, 10.96.1.16 and fd00:96::1:16, DSR,
             served by n2p1 alone
web, web-local and web-dsr are served by all six pods (n1p1 .. n3p2,
nodeName n1 .. n3), one by n2p1 alone; one EndpointSlice per family (none
for "none").
"""

import json
import os
import sys

NS = "lab"
NODES, PODS = 3, 2
SERVICES = [
    # name, last byte of the ClusterIPs, nodePort, externalTrafficPolicy
    ("web", 10, 30080, "Cluster"),
    ("web-local", 11, 30081, "Local"),
    ("one", 12, 30082, "Cluster"),
    ("none", 13, 30083, "Cluster"),
    ("local-n1", 14, 30084, "Local"),
    ("web-dsr", 15, 30085, "Cluster"),
    ("one-dsr", 16, 30086, "Cluster"),
]
DSR = ("web-dsr", "one-dsr")
UDP_PORTS = {"none": ("dns", 53, 5353, 30053), "web-dsr": ("dns", 53, 5353, 30055)}
# Which pods serve a Service: (node, pod) pairs.
ALL_PODS = [(n, p) for n in range(1, NODES + 1) for p in range(1, PODS + 1)]
PODS_OF = {"one": [(2, 1)], "one-dsr": [(2, 1)], "local-n1": [(1, 1)], "none": []}


def service(name, ip, node_port, etp):
    meta = {"name": name, "namespace": NS, "uid": "uid-" + name}
    if name in DSR:
        meta["annotations"] = {"shunt.dev/lb-mode": "dsr"}
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta,
        "spec": {
            "type": "NodePort",
            "clusterIP": "10.96.1.%d" % ip,
            "clusterIPs": ["10.96.1.%d" % ip, "fd00:96::1:%d" % ip],
            "ipFamilies": ["IPv4", "IPv6"],
            "ipFamilyPolicy": "RequireDualStack",
            "externalTrafficPolicy": etp,
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "protocol": "TCP",
                    "targetPort": 8080,
                    "nodePort": node_port,
                }
            ]
            + [
                {"name": n, "port": p, "protocol": "UDP", "targetPort": t, "nodePort": np}
                for n, p, t, np in ([UDP_PORTS[name]] if name in UDP_PORTS else [])
            ],
        },
    }


def pod_ip(family, node, pod):
    if family == "IPv4":
        return "10.244.%d.%d" % (node, 10 + pod)
    return "fd00:244:%d::%d" % (node, 10 + pod)


def endpoint_slice(name, family):
    return {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {
            "name": "%s-%s" % (name, family.lower()),
            "namespace": NS,
            "labels": {"kubernetes.io/service-name": name},
        },
        "addressType": family,
        "endpoints": [
            {
                "addresses": [pod_ip(family, n, p)],
                "conditions": {"ready": True, "serving": True, "terminating": False},
                "nodeName": "n%d" % n,
                "targetRef": {"kind": "Pod", "name": "n%dp%d" % (n, p), "namespace": NS},
            }
            for n, p in PODS_OF.get(name, ALL_PODS)
        ],
        "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]
        + [
            {"name": n, "port": t, "protocol": "UDP"}
            for n, _, t, _ in ([UDP_PORTS[name]] if name in UDP_PORTS else [])
        ],
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: cluster-objects.py DIR")
    out = sys.argv[1]
    services = [service(*s) for s in SERVICES]
    slices = [
        endpoint_slice(s[0], f)
        for s in SERVICES
        for f in ("IPv4", "IPv6")
        if PODS_OF.get(s[0], ALL_PODS)
    ]
    for fname, res, objs in (
        ("services.json", "services", services),
        ("slices.json", "endpointslices", slices),
    ):
        with open(os.path.join(out, fname), "w") as f:
            json.dump({"op": "set", "resource": res, "objects": objs}, f)


if __name__ == "__main__":
    main()
