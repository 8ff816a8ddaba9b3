#!/usr/bin/python3
"""Benchmark of the control plane under the two denial-of-service attacks of
tests/system/test_hardening.py, on one loopback host running the MS and one
engine (TLS):

  dmg latency        wall time of `dmg system query` (a process start, a TLS
                     handshake, one request), REPS calls, first quiet, then
                     while a stranger without a certificate holds 1,000 idle
                     and 100 slow-handshake connections open (reopening any
                     the server closes)
  memory attack      daos_server's peak resident set (VmHWM) before and
                     after 64 agent-certificate and 64 certificate-less
                     connections each announce and send a 64 MiB request

Prints median and max latency, the ratio attacked/quiet, and the peak RSS
against the machine's memory.  Not part of `make test` (`make bench` runs it).

Usage: DAOS_BUILD_DIR=build /usr/bin/python3 tests/bench/bench_attack.py
Environment: REPS (default 20).
"""
import os
import pathlib
import statistics
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
os.environ["DAOS_BUILD_DIR"] = os.path.abspath(os.environ.get("DAOS_BUILD_DIR", os.path.join(TOP, "build")))
import cluster  # noqa: E402
from daos_helpers import ENGINE_PATH, fake_format, unmount_under  # noqa: E402
from test_hardening import Stranger, _flood, _peak_rss_kib, _raise_nofile  # noqa: E402
from test_system import MS, states, wait_query  # noqa: E402

REPS = int(os.environ.get("REPS", "20"))


def query_times(ms, n):
    times = []
    for _ in range(n):
        t0 = time.monotonic()
        r = ms.dmg("-j", "system", "query")
        times.append(time.monotonic() - t0)
        if r.returncode != 0 or '"state": "joined"' not in r.stdout:
            raise SystemExit(f"dmg system query failed: {r.stdout}{r.stderr}")
        time.sleep(0.2)
    return times


def memory_attack(ms, port):
    import socket
    import ssl
    total = (64 << 20) - 4
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(ms.certs.ca)
    ctx.load_cert_chain(ms.certs.agent_cert, ms.certs.agent_key)

    def agent():
        _flood(ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=60)), total)

    def plain():
        _flood(socket.create_connection(("127.0.0.1", port), timeout=60), total)

    threads = [threading.Thread(target=f) for f in [agent] * 64 + [plain] * 64]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return time.monotonic() - t0


def ms_line(xs):
    return (f"median {statistics.median(xs) * 1000:7.1f} ms  max {max(xs) * 1000:7.1f} ms  "
            f"({len(xs)} calls)")


def main():
    _raise_nofile()
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="bench-attack-"))
    made = []

    def make(n):
        c = cluster.LocalCluster(n)
        made.append(c)
        return c

    try:
        ms = MS(make, tmp)
        fake_format(ms.base, 0)
        ms.start(env=ENGINE_PATH, live=True)
        wait_query(ms, lambda m: states(m) == [(0, "joined")], "rank 0 joined")
        quiet = query_times(ms, REPS)
        flood = Stranger(ms.h.port, [f"127.0.0.{i}" for i in range(2, 13)], idle=1000, slow=100)
        try:
            time.sleep(1)
            attacked = query_times(ms, REPS)
        finally:
            flood.close()
        pid = ms.srv.proc.pid
        before = _peak_rss_kib(pid)
        took = memory_attack(ms, ms.h.port)
        after = _peak_rss_kib(pid)
        print("control plane under attack: 1 loopback host, MS + 1 engine, TLS")
        print(f"dmg system query, quiet           {ms_line(quiet)}")
        print(f"dmg system query, 1,100 strangers {ms_line(attacked)}   "
              f"median x{statistics.median(attacked) / statistics.median(quiet):.2f} of quiet; "
              f"{flood.reopened} stranger connections closed by the server and reopened")
        print(f"daos_server peak RSS              {before / 1024:.1f} MiB before, "
              f"{after / 1024:.1f} MiB after 128 x 64 MiB requests ({took:.1f} s; "
              f"{after / mem_kib * 100:.2f} % of {mem_kib / 1024 / 1024:.1f} GiB; goal < 100 MiB)")
    finally:
        for c in made:
            try:
                c.stop_all()
                unmount_under(c.workdir)
            finally:
                c.teardown()


if __name__ == "__main__":
    main()
