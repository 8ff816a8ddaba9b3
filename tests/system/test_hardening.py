"""daos_server under attack: what a peer with a weak certificate, or none,
can make the control plane do.  Real daemon, real TLS (Python's ssl module
as the attacker's client), real sockets."""
import os
import re
import resource
import select
import socket
import ssl
import struct
import threading
import time

import pytest

from daos_helpers import ENGINE_PATH, fake_format, make_certs, rpc_call, start_server
from test_liveness import start_host
from test_system import MS, states, wait_query


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def _peak_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"^VmHWM:\s+(\d+) kB", f.read(), re.M).group(1))


def _flood(sock, total):
    """Claim a frame of `total` bytes and send it, until the server hangs up."""
    chunk = b"\0" * (1 << 20)
    try:
        sock.sendall(struct.pack(">I", total))
        sent = 0
        while sent < total:
            n = min(len(chunk), total - sent)
            sock.sendall(chunk[:n])
            sent += n
        sock.recv(64)
    except (OSError, ssl.SSLError):
        pass
    finally:
        sock.close()


def test_large_frames_refused_before_they_are_read(local_cluster, certs):
    """64 connections with the agent certificate and 64 plaintext ones, each
    announcing and sending a 64 MiB request: daos_server stays under 100 MiB
    and logs each refusal naming the peer."""
    c = local_cluster(1)
    srv = start_server(c, "local-0", certs=certs)
    h = c.host("local-0")
    total = (64 << 20) - 4
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.load_verify_locations(certs.ca)
    ctx.load_cert_chain(certs.agent_cert, certs.agent_key)
    agents = []

    def agent():
        s = socket.create_connection(("127.0.0.1", h.port), timeout=60)
        t = ctx.wrap_socket(s)
        agents.append(t.getsockname())
        _flood(t, total)

    def plain():
        _flood(socket.create_connection(("127.0.0.1", h.port), timeout=60), total)

    threads = [threading.Thread(target=f) for f in [agent] * 64 + [plain] * 64]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads)
    peak = _peak_rss_kib(srv.proc.pid)
    assert peak < 100 * 1024, f"daos_server peaked at {peak} KiB"
    log = srv.read_log()
    assert len(agents) == 64
    for addr in agents:
        want = (f"closing connection from {addr[0]}:{addr[1]} (agent certificate): invalid "
                f"frame length {total} (limit ")
        assert want in log, log[-3000:]
    assert log.count("rejected a plaintext connection from 127.0.0.1:") >= 64
    # the control plane still answers its administrator
    r = rpc_call(c, None, "GetVersion", ["local-0"], certs=certs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert srv.stop() == 0


class Stranger:
    """Connections without a certificate, held open from `sources` (loopback
    addresses): `idle` ones send nothing, `slow` ones trickle a TLS handshake
    record one byte per round.  Whatever the server closes is opened again,
    as a persistent attacker would."""

    def __init__(self, port, sources, idle, slow):
        self.port = port
        self.sources = sources
        self.socks = []
        self.reopened = 0
        self.stop = threading.Event()
        for i in range(idle + slow):
            self.socks.append([self._open(i, i >= idle), i, i >= idle])
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _open(self, i, slow):
        s = socket.socket()
        s.bind((self.sources[i % len(self.sources)], 0))
        s.settimeout(10)
        s.connect(("127.0.0.1", self.port))
        s.setblocking(False)
        if slow:
            s.send(b"\x16\x03\x01\x02\x00")  # handshake record of 512 bytes, then silence
        return s

    def _run(self):
        while not self.stop.wait(0.5):
            for ent in self.socks:
                s, i, slow = ent
                try:
                    alive = s.recv(4096) != b""
                except BlockingIOError:
                    alive = True
                except OSError:
                    alive = False
                if alive and slow:
                    try:
                        s.send(b"\x01")
                    except OSError:
                        alive = False
                if not alive:
                    s.close()
                    try:
                        ent[0] = self._open(i, slow)
                        self.reopened += 1
                    except OSError:
                        ent[0] = socket.socket()

    def close(self):
        self.stop.set()
        self.thread.join(10)
        for s, _, _ in self.socks:
            s.close()


def _raise_nofile():
    """Room for the strangers' sockets here and in the daos_server we start
    (it inherits the limit); root may raise the hard limit too."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192
    if hard != resource.RLIM_INFINITY and hard < want and os.geteuid() == 0:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            pass
    if soft < want and (hard == resource.RLIM_INFINITY or hard > soft):
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (want if hard == resource.RLIM_INFINITY else min(hard, want), hard))
    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 2048:
        pytest.skip(f"this machine allows {resource.getrlimit(resource.RLIMIT_NOFILE)[0]} open "
                    "files per process; the attack needs 2,048")


def test_idle_connections_do_not_shut_out_the_control_plane(local_cluster, tmp_path):
    """1,000 idle and 100 slow-handshake connections without a certificate,
    held open against the MS host (and 300 against the other host) while
    `dmg system query` runs 20 times: each answer comes within 1 s, no rank
    changes state (the MS's pings of both hosts get through), and the
    strangers are closed by the handshake deadline and the caps."""
    _raise_nofile()
    ms = MS(local_cluster, tmp_path, nhosts=2)
    fake_format(ms.base, 0)
    fake_format(ms.c.host("local-1").storage_dir, 0)
    ms.start(env=ENGINE_PATH, live=True)
    start_host(ms, "local-1")
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "ranks 0-1 joined")
    # eleven stranger addresses of 100 connections each: over the total cap of
    # pending connections (1024), under the per-address cap
    sources = [f"127.0.0.{i}" for i in range(2, 13)]
    floods = [Stranger(ms.h.port, sources, idle=1000, slow=100),
              Stranger(ms.c.host("local-1").port, ["127.0.0.20"], idle=300, slow=0)]
    try:
        times = []
        for _ in range(20):
            t0 = time.monotonic()
            r = ms.dmg("-j", "system", "query")
            times.append(time.monotonic() - t0)
            assert r.returncode == 0, r.stdout + r.stderr
            assert '"state": "joined"' in r.stdout and "unresponsive" not in r.stdout, r.stdout
            time.sleep(0.5)
        assert max(times) < 1.0, times
        # the handshake deadline closed strangers, and they came back
        assert floods[0].reopened > 0
    finally:
        for f in floods:
            f.close()
    log = ms.srv.read_log()
    assert re.search(r"connections have not completed a request: closing the oldest "
                     r"\(127\.0\.0\.\d+:\d+\) for one from 127\.0\.0\.\d+", log), log[-3000:]
    # messages about strangers are rate-limited, and the gaps counted
    assert log.count("connections have not completed a request") <= 2 * 256, log[-3000:]
    assert "Unresponsive" not in log, log[-3000:]


def test_one_address_competes_only_with_itself(local_cluster, certs):
    """300 idle connections from the administrator's own address: above 256
    the oldest are closed for the new ones, with a message naming the
    address, the administrator's next call is served, and the handshake
    deadline closes the others."""
    _raise_nofile()
    c = local_cluster(1)
    srv = start_server(c, "local-0", certs=certs)
    h = c.host("local-0")
    socks = [socket.create_connection(("127.0.0.1", h.port), timeout=10) for _ in range(300)]
    try:
        t0 = time.monotonic()
        r = rpc_call(c, None, "GetVersion", ["local-0"], certs=certs)
        took = time.monotonic() - t0
        assert r.returncode == 0, r.stdout + r.stderr
        assert took < 1.0, took
        closed = 0
        for s in socks:
            ready, _, _ = select.select([s], [], [], 0)
            if ready and s.recv(16) == b"":
                closed += 1
        assert closed >= 300 - 256, closed
        # the handshake deadline (5 s) closes the rest
        for s in socks:
            s.settimeout(15)
            try:
                assert s.recv(16) == b""
            except ConnectionResetError:
                pass
    finally:
        for s in socks:
            s.close()
    log = srv.read_log()
    assert re.search(r"TLS handshake with 127\.0\.0\.1:\d+ timed out after 5000 ms", log), \
        log[-3000:]
    assert re.search(r"256 connections from 127\.0\.0\.1 have not completed a request: "
                     r"closing the oldest \(127\.0\.0\.1:\d+\) for the new one "
                     r"\(127\.0\.0\.1:\d+\)", log), \
        log[-3000:]
    assert srv.stop() == 0
