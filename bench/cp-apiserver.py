#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
"""tests/k8s/fake-apiserver.py for bench/cp-bench.sh, with cheaper copies.

The fake API server deep-copies every stored object for each list (and
each object posted or sent as an event). At 10,000 EndpointSlices that
costs the first list page seconds of Python, which a benchmark of
shuntd's initial sync would then mostly measure. The server only ever
changes an object's top level (kind, apiVersion) and its metadata
(resourceVersion), and replaces stored objects whole, so copying those
two levels gives the same answers; everything else is the fake server as
the tests run it (same arguments, same /_control ops).

Python's cyclic garbage collector is also turned off: with the objects
of 10,000 Services and EndpointSlices stored, each of its full passes
stalls the server for tens of milliseconds, which would show up in the
tail of the event latencies measured through it. The server makes few
reference cycles and a benchmark run is short.

The interpreter's thread switch interval goes from 5 ms to 0.1 ms: the
latency of an event is timed from just before the watch thread writes it
(--event-log), and with the default a thread that has taken that time
can wait up to 5 ms for the interpreter lock before the write, which
would count as shuntd's.
"""

import gc
import importlib.util
import os
import sys


def shallow2(obj):
    """A copy of obj and of its metadata; deeper levels are shared."""
    if not isinstance(obj, dict):
        return obj
    out = dict(obj)
    if isinstance(out.get("metadata"), dict):
        out["metadata"] = dict(out["metadata"])
    return out


class CheapCopy:
    deepcopy = staticmethod(shallow2)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "tests", "k8s", "fake-apiserver.py")
    spec = importlib.util.spec_from_file_location("fake_apiserver", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if hasattr(mod, "copy"):
        mod.copy = CheapCopy
    sys.argv[0] = path
    gc.disable()
    sys.setswitchinterval(0.0001)
    mod.main()


if __name__ == "__main__":
    main()
