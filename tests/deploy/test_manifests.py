#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""Offline checks of deploy/: Kubernetes manifests, Dockerfile, systemd unit,
example configuration and services file, README.

    python3 tests/deploy/test_manifests.py        (from anywhere; -v for names)

No cluster, no container engine: python3, PyYAML (Debian: python3-yaml) and
unittest only. The files checked are those of the tree this file is in, so a
copy of deploy/ and tests/deploy/ elsewhere checks the copy.

Every check is a function that returns a list of problems (strings); the
test cases assert that the list is empty for the files as they are, and
MutationTests assert that each check does report a problem for a broken
copy of the data (so none of them can pass vacuously).
"""

import copy
import ipaddress
import os
import re
import shlex
import sys
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:  # pragma: no cover
    sys.stderr.write("test_manifests.py: PyYAML is missing "
                     "(apt-get install python3-yaml)\n")
    sys.exit(2)

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "kubernetes"

# --- shuntd's interface (user/shuntd/options.c, user/shuntd/k8s.h) ---------

# Flags: name -> takes a value.
SHUNTD_FLAGS = {
    "--config": True, "-c": True,
    "--interfaces": True, "-i": True,
    "--mode": True,
    "--cgroup": True,
    "--pin-root": True,
    "--conntrack": True,
    "--ct-max": True,
    "--gc-interval": True,
    "--metrics-addr": True,
    "--log-format": True,
    "--services-file": True, "-f": True,
    "--kubernetes": False, "-k": False,
    "--kubeconfig": True,
    "--insecure-http": False,
    "--external-ip-cidrs": True,
    "--lb-source-ranges-nodeport": False,
    "--node-name": True,
    "--node-ip": True,
    "--once": False,
    "--cleanup": False,
    "--debug": False, "-d": False,
    "--version": False, "-V": False,
    "--help": False, "-h": False,
}
SHORT_FLAGS = {"-c": "--config", "-i": "--interfaces", "-f": "--services-file",
               "-k": "--kubernetes", "-d": "--debug", "-V": "--version",
               "-h": "--help"}

# Environment variables -> the setting they carry (None: read by the
# Kubernetes source itself, not a setting).
SHUNTD_ENV = {
    "SHUNTD_CONFIG": "config",
    "SHUNTD_INTERFACES": "interfaces",
    "SHUNTD_MODE": "mode",
    "SHUNTD_CGROUP": "cgroup",
    "SHUNT_PIN_ROOT": "pin-root",
    "SHUNTD_CONNTRACK": "conntrack",
    "SHUNTD_CT_MAX": "ct-max",
    "SHUNTD_GC_INTERVAL": "gc-interval",
    "SHUNTD_METRICS_ADDR": "metrics-addr",
    "SHUNTD_LOG_FORMAT": "log-format",
    "SHUNTD_SERVICES_FILE": "services-file",
    "SHUNTD_KUBERNETES": "kubernetes",
    "KUBECONFIG": "kubeconfig",
    "NODE_NAME": "node-name",
    "SHUNTD_NODE_IPS": "node-ip",
    "SHUNTD_LB_SOURCE_RANGES_NODEPORT": "lb-source-ranges-nodeport",
    "KUBERNETES_SERVICE_HOST": None,
    "KUBERNETES_SERVICE_PORT": None,
}
# Downward API fields that may feed an environment variable.
ENV_FIELDREFS = {
    "NODE_NAME": {"spec.nodeName"},
    "SHUNTD_NODE_IPS": {"status.hostIP", "status.hostIPs"},
}

# Config file keys (the long option names set_option() accepts).
CONFIG_KEYS = {"interfaces", "mode", "cgroup", "pin-root", "conntrack", "ct-max",
               "gc-interval", "metrics-addr", "log-format", "services-file",
               "kubernetes", "kubeconfig", "node-name", "node-ip",
               "lb-source-ranges-nodeport"}
CONNTRACK_NAMES = {"established", "syn", "fin-wait", "close-wait",
                   "time-wait", "close", "udp"}
CT_MAX = 7 * 24 * 3600
DEFAULT_METRICS_ADDR = ":9470"

SHUNTD_PATH = "/usr/sbin/shuntd"
CAPS = {"BPF", "NET_ADMIN", "PERFMON", "SYS_RESOURCE"}

# Services file schema (user/lib/svcfile.c, include/shunt/abi.h).
SERVICE_KEYS = {"name", "vip", "port", "protocol", "table_size", "affinity",
                "backends"}
BACKEND_KEYS = {"address", "port", "weight", "state"}
MAGLEV_MIN, MAGLEV_MAX, MAGLEV_DEFAULT = 7, 131071, 16381
MAX_SVC_BACKENDS = 4096
AFFINITY_MAX = 86400

RBAC_ALLOWED = {("", "services"), ("discovery.k8s.io", "endpointslices"),
                ("", "nodes")}
RBAC_VERBS = {"get", "list", "watch"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding",
                  "PriorityClass", "CustomResourceDefinition"}

BUILD_PACKAGES = {"make", "gcc", "clang", "llvm", "libbpf-dev", "bpftool",
                  "libelf-dev", "zlib1g-dev", "libjson-c-dev", "libyaml-dev",
                  "libcurl4-openssl-dev", "libmicrohttpd-dev", "pkg-config",
                  "linux-libc-dev"}
RUNTIME_PACKAGES = {"libbpf1", "libelf1", "zlib1g", "libjson-c5",
                    "libyaml-0-2", "libcurl4", "libmicrohttpd12"}
COMPILER_RE = re.compile(
    r"^(make|cmake|ninja-build|gcc|g\+\+|cpp|cc|clang|llvm|lld|binutils|"
    r"build-essential|bpftool|pkg-config|pkgconf)$|"
    r"^(gcc|g\+\+|cpp|clang|llvm|lld)-|-dev$")


# --- small helpers --------------------------------------------------------

def rel(path):
    try:
        return str(Path(path).relative_to(ROOT))
    except ValueError:
        return str(path)


def name_of(obj):
    md = obj.get("metadata") if isinstance(obj, dict) else None
    return md.get("name") if isinstance(md, dict) else None


def load_yaml_docs(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_prime(n):
    if n < 2:
        return False
    i = 2
    while i * i <= n:
        if n % i == 0:
            return False
        i += 1
    return True


def parse_ip(s):
    try:
        return ipaddress.ip_address(str(s))
    except ValueError:
        return None


def parse_listen(addr):
    """shuntd's "[ADDR]:PORT", "ADDR:PORT", ":PORT" -> port, or None."""
    addr = str(addr)
    host, sep, port = addr.rpartition(":")
    if not sep or not re.fullmatch(r"[0-9]+", port):
        return None
    port = int(port)
    if not 1 <= port <= 65535:
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host and not parse_ip(host):
        return None
    return port


def as_list(v):
    """A setting that is a list in a config file and a comma list in a flag
    or variable."""
    if isinstance(v, list):
        return [str(x) for x in v]
    return [x.strip() for x in str(v).split(",") if x.strip()]


def check_setting(name, value, where):
    """One shuntd setting, from any layer. Returns problems."""
    p = []
    bad = lambda why: p.append(f"{where}: {name} {value!r}: {why}")
    if name not in CONFIG_KEYS | {"config"}:
        return [f"{where}: unknown setting {name!r}"]
    if name == "interfaces":
        items = as_list(value)
        if not items:
            bad("no interface")
        for i in items:
            if not re.fullmatch(r"[^\s/:]{1,15}", i):
                bad(f"{i!r} is not an interface name")
    elif name == "mode":
        if value not in ("auto", "xdp", "tc"):
            bad("expected auto, xdp or tc")
    elif name == "cgroup":
        if value != "none" and not str(value).startswith("/"):
            bad("expected an absolute path or none")
    elif name in ("pin-root", "config", "services-file", "kubeconfig"):
        if not isinstance(value, str) or not value.startswith("/"):
            bad("expected an absolute path")
    elif name == "conntrack":
        if isinstance(value, dict):
            items = list(value.items())
        else:
            items = []
            for it in as_list(value):
                k, eq, v = it.partition("=")
                items.append((k, v if eq else None))
        if not items:
            bad("empty")
        for k, v in items:
            if k not in CONNTRACK_NAMES:
                bad(f"unknown lifetime {k!r}")
            try:
                ok = not isinstance(v, bool) and 1 <= int(str(v)) <= CT_MAX
            except ValueError:
                ok = False
            if not ok:
                bad(f"{k}: {v!r} is not 1..{CT_MAX} seconds")
    elif name == "gc-interval":
        try:
            ok = not isinstance(value, bool) and 1 <= int(str(value)) <= 3600
        except ValueError:
            ok = False
        if not ok:
            bad("expected 1..3600 seconds")
    elif name == "metrics-addr":
        if value != "none" and parse_listen(value) is None:
            bad("expected [ADDR]:PORT or none")
    elif name == "log-format":
        if value not in ("kv", "json"):
            bad("expected kv or json")
    elif name == "kubernetes":
        if not (isinstance(value, bool) or
                str(value) in ("1", "0", "true", "false", "yes", "no")):
            bad("expected true or false")
    elif name == "node-name":
        if not isinstance(value, str) or not value:
            bad("expected a name")
    elif name == "node-ip":
        items = as_list(value)
        if not items:
            bad("no address")
        for i in items:
            if not parse_ip(i):
                bad(f"{i!r} is not an IP address")
    return p


def truthy(v):
    return v is True or str(v) in ("1", "true", "yes")


# --- shuntd command lines ---------------------------------------------------

def parse_shuntd_args(args, where):
    """-> ([(long flag, value or None)], problems)"""
    out, p = [], []
    i = 0
    while i < len(args):
        a = str(args[i])
        i += 1
        if not a.startswith("-"):
            p.append(f"{where}: unexpected argument {a!r}")
            continue
        flag, eq, val = a.partition("=")
        if flag not in SHUNTD_FLAGS:
            p.append(f"{where}: unknown shuntd flag {flag!r}")
            continue
        long = SHORT_FLAGS.get(flag, flag)
        if SHUNTD_FLAGS[flag]:
            if not eq:
                if i >= len(args):
                    p.append(f"{where}: {flag} needs a value")
                    continue
                val = str(args[i])
                i += 1
            p.extend(check_setting(long[2:], val, f"{where}: {flag}"))
            out.append((long, val))
        else:
            if eq:
                p.append(f"{where}: {flag} takes no value")
            out.append((long, None))
    return out, p


# --- Kubernetes ---------------------------------------------------------------

def load_k8s():
    """All manifests under deploy/kubernetes: {path: [docs]}."""
    out = {}
    for path in sorted(K8S.rglob("*")):
        if path.suffix in (".yaml", ".yml") and path.is_file():
            out[path] = load_yaml_docs(path)
    return out


def is_kustomization(path, doc):
    return path.name in ("kustomization.yaml", "kustomization.yml") or (
        isinstance(doc, dict) and doc.get("kind") == "Kustomization")


def k8s_objects(files):
    return [(p, d) for p, docs in files.items() for d in docs
            if not is_kustomization(p, d)]


def find(objs, kind):
    return [d for _, d in objs if d.get("kind") == kind]


def check_objects(files):
    p = []
    if not files:
        return ["no manifests under deploy/kubernetes"]
    for path, docs in files.items():
        if not docs:
            p.append(f"{rel(path)}: no YAML document")
        for d in docs:
            where = rel(path)
            if not isinstance(d, dict):
                p.append(f"{where}: a document is not a mapping")
                continue
            if is_kustomization(path, d):
                continue
            for key in ("apiVersion", "kind"):
                if not isinstance(d.get(key), str) or not d.get(key):
                    p.append(f"{where}: no {key}")
            name = (d.get("metadata") or {}).get("name")
            if not isinstance(name, str) or not name:
                p.append(f"{where}: {d.get('kind')} without metadata.name")
    return p


def check_kustomizations(files):
    """Every directory with manifests has a kustomization that lists
    exactly the manifests beside it."""
    p = []
    dirs = {path.parent for path in files}
    for d in sorted(dirs):
        here = {path.name for path in files if path.parent == d}
        kfiles = [n for n in here
                  if n in ("kustomization.yaml", "kustomization.yml")]
        if len(kfiles) != 1:
            p.append(f"{rel(d)}: expected one kustomization.yaml")
            continue
        k = files[d / kfiles[0]][0]
        p.extend(check_kustomization(k, here - set(kfiles), rel(d)))
    return p


def check_kustomization(k, present, where):
    p = []
    if k.get("apiVersion") != "kustomize.config.k8s.io/v1beta1" or \
            k.get("kind") != "Kustomization":
        p.append(f"{where}: kustomization apiVersion/kind")
    res = k.get("resources") or []
    if len(res) != len(set(res)):
        p.append(f"{where}: kustomization lists a resource twice")
    if set(res) != set(present):
        missing = sorted(set(present) - set(res))
        extra = sorted(set(res) - set(present))
        p.append(f"{where}: kustomization resources differ from the files: "
                 f"not listed {missing}, listed but absent {extra}")
    return p


def namespace_of(objs):
    names = [name_of(d) for d in find(objs, "Namespace")]
    if names:
        return names[0]
    ns = {(d.get("metadata") or {}).get("namespace") for _, d in objs
          if d.get("kind") not in CLUSTER_SCOPED}
    return ns.pop() if len(ns) == 1 else None


def check_namespaces(objs):
    p = []
    if len(find(objs, "Namespace")) > 1:
        p.append("more than one Namespace")
    ns = namespace_of(objs)
    if not ns:
        return p + ["no single namespace for the objects"]
    for path, d in objs:
        kind, md = d.get("kind"), d.get("metadata") or {}
        where = f"{rel(path)}: {kind} {md.get('name')}"
        if kind in CLUSTER_SCOPED:
            if "namespace" in md:
                p.append(f"{where}: cluster-scoped object with a namespace")
        elif md.get("namespace") != ns:
            p.append(f"{where}: namespace {md.get('namespace')!r}, "
                     f"expected {ns!r}")
        for s in d.get("subjects") or []:
            if s.get("kind") == "ServiceAccount" and s.get("namespace") != ns:
                p.append(f"{where}: subject namespace {s.get('namespace')!r}")
    return p


def check_rbac_role(role):
    p = []
    where = f"{role.get('kind')} {name_of(role)}"
    granted = set()
    rules = role.get("rules") or []
    if not rules:
        p.append(f"{where}: no rules")
    for r in rules:
        if "nonResourceURLs" in r or "resourceNames" in r:
            p.append(f"{where}: unexpected nonResourceURLs/resourceNames")
        groups, resources = r.get("apiGroups") or [], r.get("resources") or []
        verbs = r.get("verbs") or []
        if not groups or not resources or not verbs:
            p.append(f"{where}: rule without apiGroups, resources or verbs")
        for v in groups + resources + verbs:
            if "*" in str(v):
                p.append(f"{where}: wildcard {v!r}")
        for v in verbs:
            if v not in RBAC_VERBS:
                p.append(f"{where}: verb {v!r} (only get, list, watch)")
        for g in groups:
            for res in resources:
                if res == "secrets" or (g, res) not in RBAC_ALLOWED:
                    p.append(f"{where}: access to {g or 'core'}/{res}")
                else:
                    granted.update((g, res, v) for v in verbs)
    for g, res in RBAC_ALLOWED:
        for v in ("list", "watch"):
            if (g, res, v) not in granted:
                p.append(f"{where}: shuntd needs {v} on {res}")
    return p


def check_binding(b, role, sa, ns):
    p = []
    ref = b.get("roleRef") or {}
    if ref.get("kind") != role.get("kind") or \
            ref.get("name") != name_of(role) or \
            ref.get("apiGroup") != "rbac.authorization.k8s.io":
        p.append(f"ClusterRoleBinding {name_of(b)}: roleRef {ref}")
    subjects = b.get("subjects") or []
    if subjects != [{"kind": "ServiceAccount", "name": name_of(sa),
                     "namespace": ns}]:
        p.append(f"ClusterRoleBinding {name_of(b)}: subjects "
                 f"{subjects} instead of the ServiceAccount "
                 f"{ns}/{name_of(sa)}")
    return p


def check_config(cfg, where):
    """A shuntd config file (parsed)."""
    if not isinstance(cfg, dict):
        return [f"{where}: not a mapping of settings"]
    p = []
    for k, v in cfg.items():
        if k not in CONFIG_KEYS:
            p.append(f"{where}: unknown key {k!r}")
        else:
            p.extend(check_setting(k, v, where))
    return p


def configmap_configs(objs):
    """{configmap name: {key: parsed}} for the data keys that are YAML."""
    out = {}
    for cm in find(objs, "ConfigMap"):
        data = {}
        for k, v in (cm.get("data") or {}).items():
            if k.endswith((".yaml", ".yml", ".json")):
                data[k] = yaml.safe_load(v)
        out[name_of(cm)] = data
    return out


def check_configmaps(objs):
    p = []
    cms = configmap_configs(objs)
    if not cms:
        p.append("no ConfigMap with a shuntd config")
    for name, data in cms.items():
        for key, cfg in data.items():
            where = f"ConfigMap {name} {key}"
            p.extend(check_config(cfg, where))
    return p


def pod_spec(ds):
    return ((ds.get("spec") or {}).get("template") or {}).get("spec") or {}


def all_containers(spec):
    return [(c, False) for c in spec.get("containers") or []] + \
           [(c, True) for c in spec.get("initContainers") or []]


def shunt_image(objs):
    """The image of the container named shuntd of the agent DaemonSet."""
    for ds in find(objs, "DaemonSet"):
        for c in pod_spec(ds).get("containers") or []:
            if c.get("name") == "shuntd":
                return c.get("image")
    return None


def runs_shuntd(c, image):
    if c.get("image") != image:
        return False
    cmd = c.get("command")
    return not cmd or str(cmd[0]) in (SHUNTD_PATH, "shuntd")


def walk(obj, path=""):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from walk(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from walk(v, f"{path}[{i}]")
    yield path, obj


def mount_source(spec, c, mount_path):
    """The volume mounted at mount_path in container c, or None."""
    vols = {v.get("name"): v for v in spec.get("volumes") or []}
    for m in c.get("volumeMounts") or []:
        if m.get("mountPath") == mount_path:
            return m, vols.get(m.get("name"))
    return None, None


def effective_settings(c, spec, cms, where):
    """shuntd's settings in container c: config file < env < flags.
    -> (settings, flags, problems)"""
    p = []
    flags, fp = parse_shuntd_args((c.get("command") or [])[1:] +
                                  (c.get("args") or []), where)
    p.extend(fp)
    env = {}
    for e in c.get("env") or []:
        name = e.get("name")
        if name not in SHUNTD_ENV:
            p.append(f"{where}: environment variable {name!r} is not "
                     "one shuntd reads")
            continue
        if "value" in e:
            env[name] = e["value"]
            if SHUNTD_ENV[name]:
                p.extend(check_setting(SHUNTD_ENV[name], e["value"],
                                       f"{where}: {name}"))
        else:
            ref = ((e.get("valueFrom") or {}).get("fieldRef") or {})
            path = ref.get("fieldPath")
            if path not in ENV_FIELDREFS.get(name, set()):
                p.append(f"{where}: {name} from {path!r}")
            env[name] = ("fieldRef", path)
    for e in c.get("envFrom") or []:
        p.append(f"{where}: envFrom hides which variables are set")
    settings = {}
    cfg_path = dict(flags).get("--config") or env.get("SHUNTD_CONFIG")
    if cfg_path:
        m, vol = mount_source(spec, c, os.path.dirname(cfg_path))
        key = os.path.basename(cfg_path)
        if m and m.get("subPath"):
            m = None
        if not m:
            m, vol = mount_source(spec, c, cfg_path)
            key = m.get("subPath") if m else None
        cm = (vol or {}).get("configMap")
        if not cm:
            p.append(f"{where}: --config {cfg_path} is not a ConfigMap mount")
        else:
            for item in cm.get("items") or []:
                if item.get("path") == key:
                    key = item.get("key")
            cfg = cms.get(cm.get("name"), {}).get(key)
            if cfg is None:
                p.append(f"{where}: --config {cfg_path}: ConfigMap "
                         f"{cm.get('name')} has no key {key!r}")
            elif isinstance(cfg, dict):
                settings.update(cfg)
    for name, v in env.items():
        if SHUNTD_ENV[name] and SHUNTD_ENV[name] != "config":
            settings[SHUNTD_ENV[name]] = v
    for flag, v in flags:
        if flag[2:] in CONFIG_KEYS:
            settings[flag[2:]] = True if v is None else v
    return settings, dict(flags), p


def probe_port(c, probe):
    port = ((probe or {}).get("httpGet") or {}).get("port")
    if isinstance(port, str) and not port.isdigit():
        for cp in c.get("ports") or []:
            if cp.get("name") == port:
                return cp.get("containerPort")
        return None
    return int(port) if port is not None else None


def check_daemonset(ds, objs):
    """Every DaemonSet: host networking, security, mounts. The agent (runs
    shuntd without --cleanup/--once): probes, API access, node identity."""
    p = []
    name = name_of(ds)
    where = f"DaemonSet {name}"
    spec = pod_spec(ds)
    dspec = ds.get("spec") or {}
    image = shunt_image(objs)
    cms = configmap_configs(objs)
    sas = [name_of(s) for s in find(objs, "ServiceAccount")]

    if ds.get("apiVersion") != "apps/v1":
        p.append(f"{where}: apiVersion {ds.get('apiVersion')}")
    sel = ((dspec.get("selector") or {}).get("matchLabels") or {})
    labels = ((dspec.get("template") or {}).get("metadata") or {}).get(
        "labels") or {}
    if not sel or any(labels.get(k) != v for k, v in sel.items()):
        p.append(f"{where}: selector does not match the pod labels")
    for path, v in walk(ds):
        if path.endswith(".privileged") and v is not False:
            p.append(f"{where}: {path} is {v!r}")
    if spec.get("hostNetwork") is not True:
        p.append(f"{where}: hostNetwork is not true")
    if spec.get("hostPID") or spec.get("hostIPC"):
        p.append(f"{where}: hostPID/hostIPC")
    if spec.get("dnsPolicy") != "ClusterFirstWithHostNet":
        p.append(f"{where}: dnsPolicy {spec.get('dnsPolicy')!r}")
    if spec.get("priorityClassName") != "system-node-critical":
        p.append(f"{where}: priorityClassName "
                 f"{spec.get('priorityClassName')!r}")
    if not any(t == {"operator": "Exists"}
               for t in spec.get("tolerations") or []):
        p.append(f"{where}: no toleration {{operator: Exists}} "
                 "(every node, every taint)")
    us = dspec.get("updateStrategy") or {}
    if us.get("type") != "RollingUpdate" or \
            (us.get("rollingUpdate") or {}).get("maxUnavailable") != 1:
        p.append(f"{where}: updateStrategy is not RollingUpdate with "
                 "maxUnavailable 1")
    tg = spec.get("terminationGracePeriodSeconds")
    if not is_int(tg) or tg <= 0:
        p.append(f"{where}: terminationGracePeriodSeconds not set")
    san = spec.get("serviceAccountName")
    if san is not None and san not in sas:
        p.append(f"{where}: serviceAccountName {san!r} is not a "
                 f"ServiceAccount of the set {sas}")
    if san is None and spec.get("automountServiceAccountToken") is not False:
        p.append(f"{where}: no serviceAccountName, yet a token is mounted")

    shuntd_containers = []
    for c, init in all_containers(spec):
        cw = f"{where} container {c.get('name')}"
        sc = c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        if c.get("image") != image:
            p.append(f"{cw}: image {c.get('image')!r}, expected {image!r}")
        if (caps.get("drop") or []) != ["ALL"]:
            p.append(f"{cw}: capabilities.drop is not [ALL]")
        if sc.get("allowPrivilegeEscalation") is not False:
            p.append(f"{cw}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True:
            p.append(f"{cw}: readOnlyRootFilesystem is not true")
        res = c.get("resources") or {}
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if not (res.get(kind) or {}).get(r):
                    p.append(f"{cw}: resources.{kind}.{r} not set")
        for m in c.get("volumeMounts") or []:
            if m.get("mountPropagation") == "Bidirectional":
                p.append(f"{cw}: Bidirectional propagation needs a "
                         "privileged container")
        if runs_shuntd(c, image):
            shuntd_containers.append((c, init))
            if set(caps.get("add") or []) != CAPS or \
                    len(caps.get("add") or []) != len(CAPS):
                p.append(f"{cw}: capabilities.add {caps.get('add')}, "
                         f"expected exactly {sorted(CAPS)}")
        elif caps.get("add"):
            p.append(f"{cw}: capabilities added to a container that does "
                     "not run shuntd")
    if not shuntd_containers:
        p.append(f"{where}: no container runs shuntd ({image})")

    agent = False
    for c, init in shuntd_containers:
        cw = f"{where} container {c.get('name')}"
        settings, flags, sp = effective_settings(c, spec, cms, cw)
        p.extend(sp)
        for mpath, host in (("/sys/fs/bpf", "/sys/fs/bpf"),
                            ("/sys/fs/cgroup", "/sys/fs/cgroup")):
            m, vol = mount_source(spec, c, mpath)
            if not m or ((vol or {}).get("hostPath") or {}).get(
                    "path") != host:
                p.append(f"{cw}: no hostPath {host} mounted at {mpath}")
        m, _ = mount_source(spec, c, "/sys/fs/bpf")
        if m and m.get("mountPropagation") not in ("HostToContainer",
                                                   "Bidirectional"):
            p.append(f"{cw}: /sys/fs/bpf without mount propagation")
        pin_root = str(settings.get("pin-root", "/sys/fs/bpf/shunt"))
        if not pin_root.startswith("/sys/fs/bpf/"):
            p.append(f"{cw}: pin-root {pin_root} is not on the host bpffs")
        cg = str(settings.get("cgroup", ""))
        if cg not in ("", "none") and not (cg + "/").startswith(
                "/sys/fs/cgroup/"):
            p.append(f"{cw}: cgroup {cg} is not on the host mount")
        if "--cleanup" in flags or "--once" in flags or init:
            continue
        agent = True
        p.extend(check_agent(c, spec, settings, cw))
    if find(objs, "ServiceAccount") and agent and san not in sas:
        p.append(f"{where}: the agent has no serviceAccountName")
    return p


def check_agent(c, spec, settings, cw):
    p = []
    if not truthy(settings.get("kubernetes")):
        p.append(f"{cw}: kubernetes is not enabled")
    if settings.get("log-format") != "json":
        p.append(f"{cw}: log-format is not json")
    addr = settings.get("metrics-addr", DEFAULT_METRICS_ADDR)
    port = None if addr == "none" else parse_listen(addr)
    if port is None:
        p.append(f"{cw}: metrics-addr {addr!r} serves no probe")
    for probe, path in (("livenessProbe", "/healthz"),
                        ("readinessProbe", "/readyz"),
                        ("startupProbe", "/healthz")):
        pr = c.get(probe)
        if pr is None and probe == "startupProbe":
            continue
        hg = (pr or {}).get("httpGet") or {}
        if hg.get("path") != path:
            p.append(f"{cw}: {probe} path {hg.get('path')!r}, "
                     f"expected {path}")
        if probe_port(c, pr) != port:
            p.append(f"{cw}: {probe} port {probe_port(c, pr)} is not the "
                     f"metrics-addr port {port}")
        if hg.get("scheme", "HTTP") != "HTTP":
            p.append(f"{cw}: {probe} scheme {hg.get('scheme')}")
    for cp in c.get("ports") or []:
        if cp.get("hostPort") not in (None, cp.get("containerPort")):
            p.append(f"{cw}: hostPort differs from containerPort")
    env = {e.get("name"): e for e in c.get("env") or []}
    for name in ("NODE_NAME", "SHUNTD_NODE_IPS"):
        if "valueFrom" not in env.get(name, {}):
            p.append(f"{cw}: {name} not from the downward API")
    for mpath, host in (("/var/lib/shunt", "/var/lib/shunt"),):
        m, vol = mount_source(spec, c, mpath)
        if not m or ((vol or {}).get("hostPath") or {}).get("path") != host:
            p.append(f"{cw}: no hostPath {host} state directory")
    return p


def check_metrics_annotation(ds, objs):
    """prometheus.io/port, when present, is the metrics port."""
    ann = (((ds.get("spec") or {}).get("template") or {}).get(
        "metadata") or {}).get("annotations") or {}
    if "prometheus.io/port" not in ann:
        return []
    cms = configmap_configs(objs)
    spec = pod_spec(ds)
    for c in spec.get("containers") or []:
        if runs_shuntd(c, shunt_image(objs)):
            settings, _, _ = effective_settings(c, spec, cms, "")
            port = parse_listen(settings.get("metrics-addr",
                                             DEFAULT_METRICS_ADDR))
            if str(port) != str(ann["prometheus.io/port"]):
                return [f"DaemonSet {name_of(ds)}: "
                        f"prometheus.io/port {ann['prometheus.io/port']} "
                        f"is not the metrics port {port}"]
    return []


# --- services file ------------------------------------------------------------

def check_services(doc, where="services file"):
    p = []
    if not isinstance(doc, dict) or set(doc) != {"services"}:
        return [f"{where}: expected a mapping with only 'services'"]
    svcs = doc["services"]
    if not isinstance(svcs, list) or not svcs:
        return [f"{where}: 'services' must be a non-empty list"]
    seen = set()
    for i, s in enumerate(svcs):
        w = f"{where}: services[{i}]"
        if not isinstance(s, dict):
            p.append(f"{w}: not a mapping")
            continue
        for k in set(s) - SERVICE_KEYS:
            p.append(f"{w}: unknown key {k!r}")
        if "name" in s and not isinstance(s["name"], str):
            p.append(f"{w}: name is not a string")
        vip = parse_ip(s.get("vip")) if isinstance(s.get("vip"), str) \
            else None
        if not vip:
            p.append(f"{w}: vip {s.get('vip')!r} is not an IP address")
        port = s.get("port")
        if not is_int(port) or not 1 <= port <= 65535:
            p.append(f"{w}: port {port!r} not in 1..65535")
        proto = s.get("protocol", "tcp")
        if proto not in ("tcp", "udp"):
            p.append(f"{w}: protocol {proto!r} (tcp or udp)")
        key = (vip, port, proto)
        if key in seen:
            p.append(f"{w}: duplicate service")
        seen.add(key)
        ts = s.get("table_size", MAGLEV_DEFAULT)
        if not is_int(ts) or not MAGLEV_MIN <= ts <= MAGLEV_MAX or \
                not is_prime(ts):
            p.append(f"{w}: table_size {ts!r} is not a prime in "
                     f"{MAGLEV_MIN}..{MAGLEV_MAX}")
            ts = MAGLEV_DEFAULT
        if "affinity" in s and (not is_int(s["affinity"]) or
                                not 1 <= s["affinity"] <= AFFINITY_MAX):
            p.append(f"{w}: affinity {s['affinity']!r} not in "
                     f"1..{AFFINITY_MAX}")
        bs = s.get("backends", [])
        if not isinstance(bs, list):
            p.append(f"{w}: backends is not a list")
            continue
        if len(bs) > min(ts, MAX_SVC_BACKENDS):
            p.append(f"{w}: {len(bs)} backends, at most "
                     f"{min(ts, MAX_SVC_BACKENDS)}")
        bseen = set()
        for j, b in enumerate(bs):
            bw = f"{w}.backends[{j}]"
            if not isinstance(b, dict):
                p.append(f"{bw}: not a mapping")
                continue
            for k in set(b) - BACKEND_KEYS:
                p.append(f"{bw}: unknown key {k!r}")
            addr = parse_ip(b.get("address")) if isinstance(
                b.get("address"), str) else None
            if not addr:
                p.append(f"{bw}: address {b.get('address')!r} is not an IP")
            elif vip and addr.version != vip.version:
                p.append(f"{bw}: IPv{addr.version} backend, "
                         f"IPv{vip.version} VIP")
            bport = b.get("port")
            if not is_int(bport) or not 1 <= bport <= 65535:
                p.append(f"{bw}: port {bport!r} not in 1..65535")
            wt = b.get("weight", 1)
            if not is_int(wt) or not 1 <= wt <= 65535:
                p.append(f"{bw}: weight {wt!r} not in 1..65535")
            if b.get("state", "active") not in ("active", "draining"):
                p.append(f"{bw}: state {b.get('state')!r} "
                         "(active or draining)")
            if (addr, bport) in bseen:
                p.append(f"{bw}: duplicate backend")
            bseen.add((addr, bport))
    return p


def check_services_example(doc):
    p = check_services(doc, "services.example.yaml")
    svcs = doc.get("services") if isinstance(doc, dict) else None
    if isinstance(svcs, list) and not p:
        if not any(parse_ip(s["vip"]).version == 6 for s in svcs):
            p.append("services.example.yaml: no IPv6 service")
        if not any(s.get("protocol") == "udp" for s in svcs):
            p.append("services.example.yaml: no UDP service")
    return p


# --- systemd --------------------------------------------------------------

def parse_unit(text):
    """{section: {key: [values]}}; an empty assignment resets the list."""
    unit, section, buf = {}, None, ""
    for raw in text.splitlines():
        line = raw.strip()
        if buf:
            line = buf + " " + line
            buf = ""
        if line.endswith("\\"):
            buf = line[:-1].strip()
            continue
        if not line or line[0] in "#;":
            continue
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            section = unit.setdefault(m.group(1), {})
            continue
        key, eq, val = line.partition("=")
        if not eq or section is None:
            raise ValueError(f"bad unit line: {raw!r}")
        key, val = key.strip(), val.strip()
        if val == "":
            section[key] = []
        else:
            section.setdefault(key, []).append(val)
    return unit


def unit_cmd(val):
    return shlex.split(val.lstrip("-@+!:"))


def check_unit(unit):
    p = []
    svc = unit.get("Service") or {}
    one = lambda k: (svc.get(k) or [None])[-1]
    if one("Type") not in (None, "simple", "exec"):
        p.append(f"Type={one('Type')}: shuntd does not notify systemd")
    starts = svc.get("ExecStart") or []
    if len(starts) != 1:
        p.append("expected one ExecStart=")
    else:
        cmd = unit_cmd(starts[0])
        if cmd[0] != SHUNTD_PATH:
            p.append(f"ExecStart runs {cmd[0]}, not {SHUNTD_PATH}")
        flags, fp = parse_shuntd_args(cmd[1:], "ExecStart")
        p.extend(fp)
        flags = dict(flags)
        if flags.get("--config") != "/etc/shunt/shuntd.yaml":
            p.append("ExecStart without --config /etc/shunt/shuntd.yaml")
        for f in ("--cleanup", "--once"):
            if f in flags:
                p.append(f"ExecStart with {f}")
    for k in svc:
        if k.startswith("Exec") and k != "ExecStart":
            for v in svc[k]:
                if "--cleanup" in v or "unload" in v or "detach" in v:
                    p.append(f"{k}={v}: stopping must keep the datapath")
    if "ExecStopPost" in svc:
        p.append("ExecStopPost= present: nothing to do after a stop")
    if one("Restart") != "always":
        p.append(f"Restart={one('Restart')}, expected always")
    if not one("RestartSec"):
        p.append("no RestartSec=")
    if one("KillSignal") not in (None, "SIGTERM", "TERM", "15"):
        p.append(f"KillSignal={one('KillSignal')}")
    if one("LimitMEMLOCK") != "infinity":
        p.append("LimitMEMLOCK is not infinity")
    if not one("LimitNOFILE"):
        p.append("no LimitNOFILE=")
    want = {"CAP_" + c for c in CAPS}
    for k in ("CapabilityBoundingSet", "AmbientCapabilities"):
        got = set(" ".join(svc.get(k) or []).split())
        if got != want:
            p.append(f"{k}={sorted(got)}, expected {sorted(want)}")
    if one("NoNewPrivileges") not in ("yes", "true", "1"):
        p.append("NoNewPrivileges is not yes")
    if one("ProtectSystem") not in ("strict", "full", "yes", "true"):
        p.append("no ProtectSystem=")
    if one("ProtectHome") not in ("yes", "true", "read-only", "tmpfs"):
        p.append("no ProtectHome=")
    if one("PrivateTmp") not in ("yes", "true"):
        p.append("PrivateTmp is not yes")
    if one("PrivateNetwork") in ("yes", "true"):
        p.append("PrivateNetwork: shuntd works on the host's interfaces")
    rw = " ".join(svc.get("ReadWritePaths") or []).split()
    rw = [x.lstrip("-+") for x in rw]
    if one("ProtectSystem") == "strict" or one("ProtectKernelTunables") in (
            "yes", "true"):
        if "/sys/fs/bpf" not in rw:
            p.append("/sys/fs/bpf not in ReadWritePaths=")
    if one("StateDirectory") != "shunt" and "/var/lib/shunt" not in rw:
        p.append("/var/lib/shunt is not writable (StateDirectory=shunt)")
    if "WantedBy" not in (unit.get("Install") or {}):
        p.append("no [Install] WantedBy=")
    return p


# --- Dockerfile -----------------------------------------------------------

def parse_dockerfile(text):
    """-> (args before the first FROM, [stage]) where a stage is
    {"from": image, "name": alias, "index": n, "instr": [(INSTR, rest)]}"""
    lines, buf = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if s.startswith("#"):
            continue
        if s.endswith("\\"):
            buf += s[:-1] + " "
            continue
        buf += s
        if buf.strip():
            lines.append(buf.strip())
        buf = ""
    if buf.strip():
        lines.append(buf.strip())
    args, stages = {}, []
    for line in lines:
        instr, _, rest = line.partition(" ")
        instr, rest = instr.upper(), rest.strip()
        if instr == "FROM":
            toks = [t for t in rest.split() if not t.startswith("--")]
            image = re.sub(r"\$\{(\w+)\}|\$(\w+)",
                           lambda m: args.get(m.group(1) or m.group(2), ""),
                           toks[0])
            name = toks[2] if len(toks) >= 3 and toks[1].upper() == "AS" \
                else None
            stages.append({"from": image, "name": name,
                           "index": len(stages), "instr": []})
        elif not stages:
            if instr == "ARG":
                k, _, v = rest.partition("=")
                args[k.strip()] = v.strip()
        else:
            stages[-1]["instr"].append((instr, rest))
    return args, stages


def apt_packages(run):
    """Packages of the apt-get/apt install commands in a RUN line."""
    pkgs = []
    for cmd in re.split(r"&&|\|\||;|\|", run):
        toks = cmd.split()
        for i, t in enumerate(toks):
            if t in ("apt-get", "apt") and "install" in toks[i + 1:]:
                j = toks.index("install", i)
                pkgs += [x for x in toks[j + 1:] if not x.startswith("-")]
                break
    return pkgs


def check_dockerfile(text):
    p = []
    _, stages = parse_dockerfile(text)
    if len(stages) < 2:
        return [f"Dockerfile: {len(stages)} FROM stage(s), expected >= 2"]
    for s in stages:
        if not re.fullmatch(r"(docker\.io/(library/)?)?debian:bookworm"
                            r"(-slim)?(@sha256:[0-9a-f]{64})?", s["from"]):
            p.append(f"Dockerfile: stage {s['index']} FROM {s['from']!r}, "
                     "expected debian:bookworm(-slim)")
    runtime, builders = stages[-1], stages[:-1]
    rt_runs = [r for i, r in runtime["instr"] if i == "RUN"]
    rt_pkgs = [x for r in rt_runs for x in apt_packages(r)]
    for pkg in rt_pkgs:
        if COMPILER_RE.search(pkg):
            p.append(f"Dockerfile: runtime stage installs {pkg}")
    for pkg in sorted(RUNTIME_PACKAGES - set(rt_pkgs)):
        p.append(f"Dockerfile: runtime stage lacks {pkg}")
    if any(re.search(r"(^|\s)(make|gcc|clang|cc)(\s|$)", r) for r in rt_runs):
        p.append("Dockerfile: runtime stage compiles")
    copies = [r for i, r in runtime["instr"] if i == "COPY"]
    names = {str(s["index"]) for s in builders} | \
        {s["name"] for s in builders if s["name"]}
    from_builder = [r for r in copies
                    if re.search(r"--from=(\S+)", r) and
                    re.search(r"--from=(\S+)", r).group(1) in names]
    if not from_builder:
        p.append("Dockerfile: runtime stage copies nothing from the builder")
    elif not any(re.search(r"\s/out/?(\s|$)", r + " ") for r in from_builder):
        p.append("Dockerfile: runtime stage does not copy /out")
    b_runs = " ".join(r for s in builders for i, r in s["instr"]
                      if i == "RUN")
    b_pkgs = {x for s in builders for i, r in s["instr"] if i == "RUN"
              for x in apt_packages(r)}
    for pkg in sorted(BUILD_PACKAGES - b_pkgs):
        p.append(f"Dockerfile: builder lacks {pkg}")
    if not re.search(r"make install\b[^&;]*PREFIX=/usr", b_runs) or \
            not re.search(r"make install\b[^&;]*DESTDIR=/out", b_runs):
        p.append("Dockerfile: builder does not run "
                 "make install PREFIX=/usr DESTDIR=/out")
    if not any(i == "COPY" for s in builders for i, _ in s["instr"]):
        p.append("Dockerfile: builder copies no source")
    ep = [r for i, r in runtime["instr"] if i == "ENTRYPOINT"]
    if not ep or yaml.safe_load(ep[-1]) not in ([SHUNTD_PATH], SHUNTD_PATH):
        p.append(f"Dockerfile: ENTRYPOINT is not [\"{SHUNTD_PATH}\"]")
    return p


def check_readme(readme, dockerfile, image):
    p = []
    if not image:
        return ["no shuntd image in the DaemonSet"]
    build = f"docker build -f deploy/Dockerfile -t {image} ."
    if build not in readme:
        p.append(f"README.md: no `{build}`")
    if build not in dockerfile:
        p.append(f"Dockerfile: header does not show `{build}`")
    for s in ("kubectl apply -k deploy/kubernetes", "--cleanup",
              "shuntd.service"):
        if s not in readme:
            p.append(f"README.md: does not mention {s}")
    for cap in sorted(CAPS):
        if f"`{cap}`" not in readme:
            p.append(f"README.md: capability {cap} not explained")
    return p


# --- the test cases -------------------------------------------------------

class Files:
    """The files, each parsed on first use: a file that does not parse fails
    the tests that need it, not all of them."""
    _cache = {}
    _loaders = {
        "k8s": load_k8s,
        "objs": lambda: k8s_objects(Files.get().k8s),
        "services": lambda: load_yaml_docs(
            DEPLOY / "services.example.yaml")[0],
        "sd_config": lambda: load_yaml_docs(
            DEPLOY / "systemd" / "shuntd.yaml")[0],
        "unit_text": lambda: (DEPLOY / "systemd" / "shuntd.service")
        .read_text(encoding="utf-8"),
        "unit": lambda: parse_unit(Files.get().unit_text),
        "dockerfile": lambda: (DEPLOY / "Dockerfile").read_text(
            encoding="utf-8"),
        "readme": lambda: (DEPLOY / "README.md").read_text(encoding="utf-8"),
    }

    @classmethod
    def get(cls):
        return cls()

    def __getattr__(self, name):
        if name not in self._loaders:
            raise AttributeError(name)
        if name not in self._cache:
            self._cache[name] = self._loaders[name]()
        return self._cache[name]


class DeployTests(unittest.TestCase):
    def setUp(self):
        self.f = Files.get()

    def ok(self, problems):
        self.assertEqual(problems, [], "\n" + "\n".join(problems))

    def one(self, kind):
        found = find(self.f.objs, kind)
        self.assertEqual(len(found), 1, f"expected one {kind}")
        return found[0]

    def test_every_yaml_file_parses(self):
        paths = sorted(DEPLOY.rglob("*.yaml")) + sorted(DEPLOY.rglob("*.yml"))
        self.assertTrue(paths)
        for path in paths:
            with self.subTest(path=rel(path)):
                load_yaml_docs(path)

    def test_objects_have_kind_and_name(self):
        self.ok(check_objects(self.f.k8s))

    def test_kustomizations_list_exactly_the_files(self):
        self.ok(check_kustomizations(self.f.k8s))
        self.assertIn(K8S, {p.parent for p in self.f.k8s})

    def test_expected_objects(self):
        kinds = sorted(d["kind"] for p, d in self.f.objs if p.parent == K8S)
        self.assertEqual(kinds, sorted([
            "Namespace", "ServiceAccount", "ClusterRole",
            "ClusterRoleBinding", "ConfigMap", "DaemonSet"]))

    def test_namespaces_consistent(self):
        self.ok(check_namespaces(self.f.objs))

    def test_clusterrole_least_privilege(self):
        roles = find(self.f.objs, "ClusterRole") + find(self.f.objs, "Role")
        self.assertTrue(roles)
        for r in roles:
            self.ok(check_rbac_role(r))

    def test_binding(self):
        self.ok(check_binding(self.one("ClusterRoleBinding"),
                              self.one("ClusterRole"),
                              self.one("ServiceAccount"),
                              namespace_of(self.f.objs)))

    def test_configmap_config(self):
        self.ok(check_configmaps(self.f.objs))

    def test_daemonsets(self):
        dss = find(self.f.objs, "DaemonSet")
        self.assertTrue(dss)
        for ds in dss:
            with self.subTest(ds=name_of(ds)):
                self.ok(check_daemonset(ds, self.f.objs))
                self.ok(check_metrics_annotation(ds, self.f.objs))

    def test_agent_daemonset_is_the_agent(self):
        ds = [d for d in find(self.f.objs, "DaemonSet")
              if name_of(d) == "shuntd"]
        self.assertEqual(len(ds), 1)
        spec = pod_spec(ds[0])
        self.assertEqual(spec.get("serviceAccountName"),
                         self.one("ServiceAccount")["metadata"]["name"])
        c = spec["containers"][0]
        self.assertIn("livenessProbe", c)
        self.assertIn("readinessProbe", c)

    def test_services_example(self):
        self.ok(check_services_example(self.f.services))

    def test_systemd_unit(self):
        self.ok(check_unit(self.f.unit))

    def test_systemd_config(self):
        self.ok(check_config(self.f.sd_config, "systemd/shuntd.yaml"))

    def test_dockerfile(self):
        self.ok(check_dockerfile(self.f.dockerfile))

    def test_readme_and_image(self):
        self.ok(check_readme(self.f.readme, self.f.dockerfile,
                             shunt_image(self.f.objs)))

    def test_interface_lists_match_shuntd_sources(self):
        """The flag and variable names above are shuntd's, while its
        sources are in this tree (user/shuntd/options.c)."""
        src = ROOT / "user" / "shuntd" / "options.c"
        if not src.exists():
            self.skipTest("user/shuntd/options.c not in this tree")
        text = src.read_text()
        for flag in SHUNTD_FLAGS:
            if flag.startswith("--"):
                self.assertIn(f'"{flag[2:]}"', text, flag)
        for env in SHUNTD_ENV:
            if SHUNTD_ENV[env]:
                self.assertIn(f'"{env}"', text, env)
        for key in CONFIG_KEYS:
            self.assertIn(f'"{key}"', text, key)


class MutationTests(unittest.TestCase):
    """Each check reports a broken copy: the checks above cannot pass
    vacuously."""

    def setUp(self):
        self.f = Files.get()

    def broken(self, problems, what):
        self.assertNotEqual(problems, [], f"no problem reported for: {what}")

    def agent(self, objs):
        return [d for _, d in objs if d.get("kind") == "DaemonSet" and
                name_of(d) == "shuntd"][0]

    def ds_mutations(self):
        def c0(ds):
            return pod_spec(ds)["containers"][0]

        def sc(ds):
            return c0(ds)["securityContext"]
        return [
            ("privileged", lambda d: sc(d).__setitem__("privileged", True)),
            ("SYS_ADMIN", lambda d: sc(d)["capabilities"]["add"].append(
                "SYS_ADMIN")),
            ("cap missing", lambda d: sc(d)["capabilities"]["add"].pop()),
            ("no drop ALL", lambda d: sc(d)["capabilities"].pop("drop")),
            ("escalation", lambda d: sc(d).__setitem__(
                "allowPrivilegeEscalation", True)),
            ("rw root", lambda d: sc(d).pop("readOnlyRootFilesystem")),
            ("no hostNetwork", lambda d: pod_spec(d).pop("hostNetwork")),
            ("liveness path", lambda d: c0(d)["livenessProbe"]["httpGet"]
             .__setitem__("path", "/metrics")),
            ("readiness port", lambda d: c0(d)["readinessProbe"]["httpGet"]
             .__setitem__("port", 9999)),
            ("no resources", lambda d: c0(d).pop("resources")),
            ("no limits", lambda d: c0(d)["resources"].pop("limits")),
            ("OnDelete", lambda d: d["spec"].__setitem__(
                "updateStrategy", {"type": "OnDelete"})),
            ("no tolerations", lambda d: pod_spec(d).pop("tolerations")),
            ("wrong SA", lambda d: pod_spec(d).__setitem__(
                "serviceAccountName", "default")),
            ("unknown flag", lambda d: c0(d)["args"].append("--turbo")),
            ("bad flag value", lambda d: c0(d)["args"].extend(
                ["--mode", "fast"])),
            ("unknown env", lambda d: c0(d)["env"].append(
                {"name": "SHUNTD_TURBO", "value": "1"})),
            ("node name source", lambda d: c0(d)["env"][0]["valueFrom"]
             ["fieldRef"].__setitem__("fieldPath", "metadata.name")),
            ("metrics flag", lambda d: c0(d)["args"].extend(
                ["--metrics-addr", ":9999"])),
            ("no bpffs mount", lambda d: c0(d).__setitem__(
                "volumeMounts", [m for m in c0(d)["volumeMounts"]
                                 if m["mountPath"] != "/sys/fs/bpf"])),
            ("no cgroup mount", lambda d: c0(d).__setitem__(
                "volumeMounts", [m for m in c0(d)["volumeMounts"]
                                 if m["mountPath"] != "/sys/fs/cgroup"])),
            ("Bidirectional", lambda d: [m.__setitem__(
                "mountPropagation", "Bidirectional")
                for m in c0(d)["volumeMounts"]]),
            ("image", lambda d: pod_spec(d).setdefault(
                "initContainers", []).append(dict(copy.deepcopy(c0(d)),
                                                  image="other:1"))),
            ("hostPID", lambda d: pod_spec(d).__setitem__("hostPID", True)),
        ]

    def test_daemonset_mutations(self):
        for what, mutate in self.ds_mutations():
            with self.subTest(what):
                objs = copy.deepcopy(self.f.objs)
                mutate(self.agent(objs))
                self.broken(check_daemonset(self.agent(objs), objs), what)

    def test_configmap_mutations(self):
        def cm(objs):
            return [d for _, d in objs if d.get("kind") == "ConfigMap"][0]

        def edit(objs, fn):
            c = cm(objs)
            key = next(iter(c["data"]))
            cfg = yaml.safe_load(c["data"][key])
            fn(cfg)
            c["data"][key] = yaml.safe_dump(cfg)
        cases = [
            ("unknown key", lambda c: c.__setitem__("turbo", True)),
            ("bad mode", lambda c: c.__setitem__("mode", "fast")),
            ("bad conntrack", lambda c: c.__setitem__(
                "conntrack", {"forever": 1})),
            ("bad metrics", lambda c: c.__setitem__("metrics-addr", "9470")),
        ]
        for what, fn in cases:
            with self.subTest(what):
                objs = copy.deepcopy(self.f.objs)
                edit(objs, fn)
                self.broken(check_configmaps(objs), what)
        # Probes follow the ConfigMap's port; so do the checks.
        for what, fn in [
                ("metrics port moved",
                 lambda c: c.__setitem__("metrics-addr", ":9999")),
                ("kubernetes off", lambda c: c.__setitem__(
                    "kubernetes", False))]:
            with self.subTest(what):
                objs = copy.deepcopy(self.f.objs)
                edit(objs, fn)
                self.broken(check_daemonset(self.agent(objs), objs), what)

    def test_rbac_mutations(self):
        role = find(self.f.objs, "ClusterRole")[0]
        cases = [
            ("create", lambda r: r["rules"][0]["verbs"].append("create")),
            ("secrets", lambda r: r["rules"][0]["resources"].append(
                "secrets")),
            ("wildcard", lambda r: r["rules"][1]["verbs"].__setitem__(
                0, "*")),
            ("pods", lambda r: r["rules"].append(
                {"apiGroups": [""], "resources": ["pods"],
                 "verbs": ["get"]})),
            ("no nodes", lambda r: r["rules"].pop()),
            ("no watch", lambda r: r["rules"][1]["verbs"].remove("watch")),
        ]
        for what, fn in cases:
            with self.subTest(what):
                r = copy.deepcopy(role)
                fn(r)
                self.broken(check_rbac_role(r), what)
        b = copy.deepcopy(find(self.f.objs, "ClusterRoleBinding")[0])
        b["subjects"][0]["name"] = "default"
        self.broken(check_binding(b, role, find(self.f.objs,
                                                "ServiceAccount")[0],
                                  namespace_of(self.f.objs)), "subject")

    def test_namespace_and_kustomization_mutations(self):
        objs = copy.deepcopy(self.f.objs)
        find(objs, "ConfigMap")[0]["metadata"]["namespace"] = "default"
        self.broken(check_namespaces(objs), "namespace")
        k8s = copy.deepcopy(self.f.k8s)
        k = k8s[K8S / "kustomization.yaml"][0]
        k["resources"].pop()
        self.broken(check_kustomizations(k8s), "file not listed")
        k["resources"] += ["daemonset.yaml", "gone.yaml"]
        self.broken(check_kustomizations(k8s), "absent file listed")
        k8s = copy.deepcopy(self.f.k8s)
        del k8s[K8S / "serviceaccount.yaml"][0]["metadata"]["name"]
        self.broken(check_objects(k8s), "no name")

    def test_services_mutations(self):
        def s0(d):
            return d["services"][0]

        def b0(d):
            return d["services"][0]["backends"][0]
        cases = [
            ("table_size", lambda d: s0(d).__setitem__("table_size", 16380)),
            ("vip", lambda d: s0(d).__setitem__("vip", "10.96.0.300")),
            ("port", lambda d: s0(d).__setitem__("port", 70000)),
            ("protocol", lambda d: s0(d).__setitem__("protocol", "sctp")),
            ("key", lambda d: s0(d).__setitem__("timeout", 5)),
            ("weight", lambda d: b0(d).__setitem__("weight", 0)),
            ("state", lambda d: b0(d).__setitem__("state", "down")),
            ("family", lambda d: b0(d).__setitem__("address", "fd00::1")),
            ("affinity", lambda d: s0(d).__setitem__("affinity", 90000)),
            ("duplicate", lambda d: d["services"].append(
                copy.deepcopy(s0(d)))),
            ("no IPv6", lambda d: d.__setitem__("services", [
                s for s in d["services"] if ":" not in s["vip"]])),
        ]
        for what, fn in cases:
            with self.subTest(what):
                d = copy.deepcopy(self.f.services)
                fn(d)
                self.broken(check_services_example(d), what)

    def test_unit_mutations(self):
        cases = [
            ("ExecStopPost", "[Service]\nExecStopPost=/usr/sbin/shuntd "
             "--cleanup\n"),
            ("no memlock", "[Service]\nLimitMEMLOCK=\n"),
            ("flag", "[Service]\nExecStart=\nExecStart=/usr/sbin/shuntd "
             "--config /etc/shunt/shuntd.yaml --turbo\n"),
            ("notify", "[Service]\nType=notify\n"),
            ("caps", "[Service]\nCapabilityBoundingSet=CAP_SYS_ADMIN\n"),
            ("restart", "[Service]\nRestart=on-failure\n"),
        ]
        for what, extra in cases:
            with self.subTest(what):
                self.broken(check_unit(parse_unit(self.f.unit_text + extra)),
                            what)
        self.broken(check_config(dict(self.f.sd_config, pin_root="/x"),
                                 "x"), "config key")

    def test_dockerfile_mutations(self):
        text = self.f.dockerfile
        _, stages = parse_dockerfile(text)
        rt = "libmicrohttpd12 "
        self.assertEqual(text.count(rt), 1)
        cases = [
            ("gcc at runtime", text.replace(rt, rt + "gcc ")),
            ("one stage", "\n".join(
                line for line in text.splitlines()
                if not re.match(r"FROM .* AS runtime", line))),
            ("no COPY --from", re.sub(r"COPY --from=\S+", "COPY", text)),
            ("no ENTRYPOINT", re.sub(r"ENTRYPOINT .*", "", text)),
        ]
        self.assertGreaterEqual(len(stages), 2)
        for what, t in cases:
            with self.subTest(what):
                self.assertNotEqual(t, text, what)
                self.broken(check_dockerfile(t), what)
        self.broken(check_readme(self.f.readme, text, "other/image:1"),
                    "image name")


if __name__ == "__main__":
    unittest.main()
