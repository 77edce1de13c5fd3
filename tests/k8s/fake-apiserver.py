#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""A scriptable fake Kubernetes API server for shuntd's Kubernetes source.

Serves Services (/api/v1/services) and EndpointSlices
(/apis/discovery.k8s.io/v1/endpointslices) for all namespaces in the real
API's shapes: paginated List objects (metadata.resourceVersion,
metadata.continue) and chunked watch streams of newline-delimited
{"type": ..., "object": ...} events.

Listens on 127.0.0.1 (or --bind ADDR) at an ephemeral port (or --port)
and prints the port on stdout.
Exits when its parent dies (unless --detach: then on SIGTERM only).
Python 3 standard library only.

  fake-apiserver.py [--token T] [--tls-cert F --tls-key F [--client-ca F]]
                    [--event-log F] [--bind ADDR] [--port N] [--detach]

--token: requests without "Authorization: Bearer T" get 401.
--client-ca: TLS clients must present a certificate signed by it.
--event-log: a line per ADDED/MODIFIED/DELETED event sent on a watch,
    "MONOTONIC_SECONDS RESOURCE TYPE NAMESPACE/NAME", the time taken just
    before the event is written to the watch connection (CLOCK_MONOTONIC,
    comparable with other processes' clock_gettime), flushed at once.

The test drives it with JSON POSTs to /_control (no auth), one op each:
  {"op": "set", "resource": R, "objects": [...]}   replace the store
  {"op": "put", "resource": R, "object": {...}}     change it quietly
  {"op": "delete", "resource": R, "key": "ns/name"} (no watch event)
  {"op": "page_size", "n": N}       lists return at most N items a page
  {"op": "fail_list", "resource": R, "code": C}   next list answers C
      ("continue": true: the next list request for a later page)
  {"op": "fail_watch", "resource": R, "code": C}  next watch answers C
  {"op": "events", "resource": R, "steps": [...]} for the watches of R,
      consumed in order by whichever watch is connected (or the next):
      {"type": "ADDED"|"MODIFIED"|"DELETED", "object": {...}}
          applied to the store with a new resourceVersion, then sent
      {"bookmark": "RV"}  a BOOKMARK at RV (the store's RV moves there)
      {"raw": "text"}     this line as is (malformed events)
      {"error": C}        an ERROR event with a Status of code C, then
                          the end of the watch
      {"end": true}       end the response cleanly (server timeout)
      {"close": true}     drop the connection mid-response
  {"op": "clear_requests"}
GET /_control/requests: every API request so far, oldest first:
  {"method", "path", "resource", "watch", "query": {k: v}, "auth",
   "client_cn", "status"}
GET /_control/state: {"rv": N, "pending": {R: steps not yet sent},
                      "watching": {R: open watches}}
"""

import argparse
import copy
import ctypes
import json
import os
import select
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RESOURCES = {
    "/api/v1/services": ("services", "ServiceList", "v1", "Service"),
    "/apis/discovery.k8s.io/v1/endpointslices": (
        "endpointslices",
        "EndpointSliceList",
        "discovery.k8s.io/v1",
        "EndpointSlice",
    ),
    "/api/v1/nodes": ("nodes", "NodeList", "v1", "Node"),
}
KIND_OF = {r[0]: (r[3], r[2]) for r in RESOURCES.values()}


class State:
    def __init__(self):
        self.cond = threading.Condition()
        self.rv = 100
        self.store = {r: {} for r in KIND_OF}
        self.steps = {r: deque() for r in KIND_OF}
        self.fail_list = {r: deque() for r in KIND_OF}
        self.fail_watch = {r: deque() for r in KIND_OF}
        self.watching = {r: 0 for r in KIND_OF}
        self.page_size = 0
        self.snapshots = {}  # continue token -> (rv, remaining items)
        self.next_token = 1
        self.requests = []

    def bump(self, obj):
        """A new resourceVersion, written into obj."""
        self.rv += 1
        obj.setdefault("metadata", {})["resourceVersion"] = str(self.rv)
        return obj


STATE = State()


def key_of(obj):
    meta = obj.get("metadata") or {}
    return "%s/%s" % (meta.get("namespace", ""), meta.get("name", ""))


def selector_matches(sel, obj):
    """Does obj's metadata.labels satisfy the label selector sel (terms
    "key", "!key", "key=value", "key==value", "key!=value", comma
    separated)? No selector matches everything."""
    if not sel:
        return True
    labels = (obj.get("metadata") or {}).get("labels") or {}
    for term in sel.split(","):
        term = term.strip()
        if not term:
            continue
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k) == v:
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k) != v:
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def field_matches(sel, obj):
    """Does obj satisfy the field selector sel? Only metadata.name and
    metadata.namespace equality terms, as shunt uses them."""
    if not sel:
        return True
    meta = obj.get("metadata") or {}
    for term in sel.split(","):
        k, v = term.replace("==", "=").split("=", 1)
        field = k.strip().split(".", 1)[-1]
        if meta.get(field, "") != v.strip():
            return False
    return True


def matches(query_sel, obj):
    """Both selectors of a list or watch request."""
    label, field = query_sel
    return selector_matches(label, obj) and field_matches(field, obj)


def status_body(code, reason, message):
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


REASONS = {401: "Unauthorized", 410: "Expired", 500: "InternalError"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-apiserver"

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: " + fmt % args + "\n")

    # --- plumbing ----------------------------------------------------

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def send_status(self, code, message):
        reason = REASONS.get(code, "Failure")
        self.send_json(code, status_body(code, reason, message))

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def client_gone(self):
        """The client closed the watch (it never sends on it)."""
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
        except (OSError, ValueError):
            return True
        return bool(r)

    def client_cn(self):
        try:
            cert = self.connection.getpeercert()
        except (AttributeError, ValueError):
            return None
        for rdn in (cert or {}).get("subject", ()):
            for k, v in rdn:
                if k == "commonName":
                    return v
        return None

    # --- API -----------------------------------------------------------

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path.startswith("/_control"):
            return self.control_get(url.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        res = RESOURCES.get(url.path)
        watch = query.get("watch") in ("1", "true")
        rec = {
            "method": "GET",
            "path": self.path,
            "resource": res[0] if res else None,
            "watch": watch,
            "query": query,
            "auth": self.headers.get("Authorization"),
            "client_cn": self.client_cn(),
            "status": 200,
        }
        with STATE.cond:
            STATE.requests.append(rec)
        if not res:
            rec["status"] = 404
            return self.send_status(404, "not found: " + url.path)
        if self.server.token and rec["auth"] != "Bearer " + self.server.token:
            rec["status"] = 401
            return self.send_status(401, "Unauthorized")
        if watch:
            return self.watch(res, query, rec)
        return self.list(res, query, rec)

    def list(self, res, query, rec):
        sel = (query.get("labelSelector"), query.get("fieldSelector"))
        name, list_kind, api_version, _ = res
        with STATE.cond:
            token = query.get("continue")
            fails = STATE.fail_list[name]
            if fails and (token or not fails[0][1]):
                rec["status"] = fails.popleft()[0]
                return self.send_status(rec["status"], "scripted failure")
            if token:
                snap = STATE.snapshots.pop(token, None)
                if snap is None:
                    rec["status"] = 410
                    return self.send_status(410, "continue token expired")
                rv, items = snap
            else:
                rv = STATE.rv
                items = [
                    copy.deepcopy(STATE.store[name][k])
                    for k in sorted(STATE.store[name])
                    if matches(sel, STATE.store[name][k])
                ]
                for it in items:  # list items carry no kind
                    it.pop("kind", None)
                    it.pop("apiVersion", None)
            limit = int(query.get("limit") or 0)
            if STATE.page_size and (not limit or limit > STATE.page_size):
                limit = STATE.page_size
            meta = {"resourceVersion": str(rv)}
            if limit and len(items) > limit:
                token = "page-%d" % STATE.next_token
                STATE.next_token += 1
                STATE.snapshots[token] = (rv, items[limit:])
                items = items[:limit]
                meta["continue"] = token
                meta["remainingItemCount"] = len(STATE.snapshots[token][1])
        self.send_json(
            200,
            {
                "kind": list_kind,
                "apiVersion": api_version,
                "metadata": meta,
                "items": items,
            },
        )

    def next_step(self, name):
        """The next scripted step for a watch of name, None if the
        client left first."""
        with STATE.cond:
            while True:
                if self.client_gone():
                    return None
                if STATE.steps[name]:
                    return STATE.steps[name].popleft()
                STATE.cond.wait(0.1)

    def event_line(self, name, step, sel=None):
        kind, api_version = KIND_OF[name]
        with STATE.cond:
            if "bookmark" in step:
                STATE.rv = max(STATE.rv, int(step["bookmark"]))
                ev = {
                    "type": "BOOKMARK",
                    "object": {
                        "kind": kind,
                        "apiVersion": api_version,
                        "metadata": {"resourceVersion": step["bookmark"]},
                    },
                }
            elif "error" in step:
                code = step["error"]
                ev = {
                    "type": "ERROR",
                    "object": status_body(
                        code, REASONS.get(code, "Failure"), "scripted error"
                    ),
                }
            else:
                obj = STATE.bump(copy.deepcopy(step["object"]))
                obj.setdefault("kind", kind)
                obj.setdefault("apiVersion", api_version)
                if step["type"] == "DELETED":
                    STATE.store[name].pop(key_of(obj), None)
                else:
                    STATE.store[name][key_of(obj)] = obj
                ev = {"type": step["type"], "object": obj}
                # As the API server does for a label selector: an object
                # that does not match is not sent, or leaves (DELETED).
                if sel and not matches(sel, obj):
                    if step["type"] == "ADDED":
                        return None
                    ev["type"] = "DELETED"
        return json.dumps(ev).encode() + b"\n"

    def watch(self, res, query, rec):
        name = res[0]
        with STATE.cond:
            fails = STATE.fail_watch[name]
            code = fails.popleft() if fails else 0
        if code:
            rec["status"] = code
            return self.send_status(code, "scripted failure")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        with STATE.cond:
            STATE.watching[name] += 1
            STATE.cond.notify_all()
        try:
            self.stream(
                name, (query.get("labelSelector"), query.get("fieldSelector"))
            )
        except OSError:
            self.close_connection = True
        finally:
            with STATE.cond:
                STATE.watching[name] -= 1
                STATE.cond.notify_all()

    def stream(self, name, sel=None):
        while True:
            step = self.next_step(name)
            if step is None:
                self.close_connection = True
                return
            if step.get("close"):
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if step.get("end"):
                self.chunk(b"")
                return
            if "raw" in step:
                self.chunk(step["raw"].encode() + b"\n")
                continue
            line = self.event_line(name, step, sel)
            if line is None:
                continue
            sent = time.monotonic()
            self.chunk(line)
            if "type" in step:
                log_event(sent, name, step)
            if "error" in step:
                self.chunk(b"")
                return

    # --- control -------------------------------------------------------

    def control_get(self, path):
        with STATE.cond:
            if path == "/_control/requests":
                body = list(STATE.requests)
            elif path == "/_control/state":
                body = {
                    "rv": STATE.rv,
                    "pending": {r: len(s) for r, s in STATE.steps.items()},
                    "watching": dict(STATE.watching),
                }
            else:
                body = None
        if body is None:
            return self.send_status(404, "no such control endpoint")
        self.send_json(200, body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            op = json.loads(self.rfile.read(n))
            with STATE.cond:
                self.control(op)
                STATE.cond.notify_all()
        except (ValueError, KeyError, TypeError) as e:
            return self.send_status(400, "bad control op: %r" % (e,))
        self.send_json(200, {"ok": True, "rv": STATE.rv})

    def control(self, op):
        what = op["op"]
        res = op.get("resource")
        if res is not None and res not in KIND_OF:
            raise KeyError(res)
        if what == "set":
            STATE.store[res] = {}
            for obj in op["objects"]:
                obj = STATE.bump(copy.deepcopy(obj))
                STATE.store[res][key_of(obj)] = obj
        elif what == "put":
            obj = STATE.bump(copy.deepcopy(op["object"]))
            STATE.store[res][key_of(obj)] = obj
        elif what == "delete":
            STATE.store[res].pop(op["key"], None)
            STATE.rv += 1
        elif what == "page_size":
            STATE.page_size = int(op["n"])
        elif what == "fail_list":
            later = bool(op.get("continue"))
            STATE.fail_list[res].append((int(op["code"]), later))
        elif what == "fail_watch":
            STATE.fail_watch[res].append(int(op["code"]))
        elif what == "events":
            STATE.steps[res].extend(op["steps"])
        elif what == "clear_requests":
            STATE.requests.clear()
        else:
            raise KeyError(what)


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        """Clients that go away (stopped sources, refused TLS handshakes)
        are normal here; anything else is a bug worth a traceback."""
        if isinstance(sys.exc_info()[1], OSError) and not self.verbose:
            return
        super().handle_error(request, client_address)


EVENT_LOG = None


def log_event(sent, name, step):
    """One line of --event-log for an event just sent on a watch."""
    if EVENT_LOG is None:
        return
    meta = step["object"].get("metadata", {})
    key = "%s/%s" % (meta.get("namespace", ""), meta.get("name", ""))
    with STATE.cond:
        EVENT_LOG.write("%.6f %s %s %s\n" % (sent, name, step["type"], key))
        EVENT_LOG.flush()


def die_with_parent():
    """SIGTERM when the parent exits, and a watchdog for the race."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass

    def watchdog():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, daemon=True).start()
    if os.getppid() != parent:
        os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--token")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--client-ca")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--event-log")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--detach", action="store_true")
    args = ap.parse_args()

    global EVENT_LOG
    if args.event_log:
        EVENT_LOG = open(args.event_log, "a", encoding="ascii")

    if not args.detach:
        die_with_parent()
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    srv = Server((args.bind, args.port), Handler)
    srv.token = args.token
    srv.verbose = args.verbose
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.client_ca:
            ctx.load_verify_locations(args.client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    sys.stdout.write("%d\n" % srv.server_address[1])
    sys.stdout.flush()
    srv.serve_forever()


if __name__ == "__main__":
    main()
