"""daos_server under attack: what a peer with a weak certificate, or none,
can make the control plane do.  Real daemon, real TLS (Python's ssl module
as the attacker's client), real sockets."""
import os
import re
import socket
import ssl
import struct
import threading

import pytest

from daos_helpers import make_certs, rpc_call, start_server


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
