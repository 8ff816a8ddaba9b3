"""daos_server runs its engines (src/control/server/srv_engine*.c, srv_join.c):
exec of daos_engine with the configured argv/env, output relayed to the log,
NotifyReady over daos_server.sock, Join retried while no management service
answers, clean stop, unexpected death, bad fabric settings, rank actions.

Storage is "formatted" by the test itself (tmpfs on scm_mount, superblock,
bdev file) so these tests do not depend on `dmg storage format`."""
import os
import re
import signal
import subprocess
import time
import uuid

import pytest

from cluster import ClusterError
from conftest import BINARIES
from daos_helpers import engines_extra as _engines_extra, start_server, unmount_under

WAIT = 60  # bound for a hung process, not a timing assumption
# daos_server finds daos_engine in PATH first (the build tree keeps them apart)
ENGINE_PATH = {"PATH": os.path.dirname(BINARIES["daos_engine"]) + ":" + os.environ["PATH"]}


def fake_format(base, idx=0, rank=None, system="daos_server"):
    """What a format leaves behind: a tmpfs on scm<idx>, the superblock and
    the bdev file directory (daos_server regenerates daos_nvme.conf)."""
    mnt = os.path.join(base, f"scm{idx}")
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", mnt], check=True)
    with open(os.path.join(mnt, "superblock"), "w") as f:
        f.write(f"version: 1\nuuid: {uuid.uuid4()}\nsystem: {system}\n"
                f"rank: {'null' if rank is None else rank}\nuri: \"\"\n"
                f"validrank: {'false' if rank is None else 'true'}\n"
                f"hostfaultdomain: \"\"\nincarnation: 0\n")
    bdev = os.path.join(base, f"bdev{idx}")
    os.makedirs(bdev, exist_ok=True)
    with open(os.path.join(bdev, "daos-bdev"), "wb") as f:
        f.truncate(1 << 30)
    return mnt


def engines_extra(base, **kw):
    """engines_extra with the smallest ram-disk size validation accepts (the
    test mounts its own small tmpfs; scm_size only has to pass the check)."""
    kw.setdefault("scm_size", 4)
    return _engines_extra(base, **kw)


def engine_pids(socket_dir):
    """pids of daos_engine processes started with -d socket_dir."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == b"daos_engine" and \
                socket_dir.encode() in argv:
            out.append(int(d))
    return out


def wait_until(pred, what, timeout=WAIT):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def env():
    """One loopback host whose storage dir is unmounted at teardown.  The
    cluster makes its own short work directory under /tmp: pytest's tmp_path
    makes <socket_dir>/daos_server.sock longer than a unix socket path may be."""
    import cluster
    c = cluster.LocalCluster(1)
    h = c.host("local-0")
    try:
        yield c, h
    finally:
        c.stop_all()
        unmount_under(h.storage_dir)
        c.teardown()


def replicas_for(h, port=None):
    """A replica list naming a port nobody listens on: no MS answers."""
    return [f"127.0.0.1:{port or h.port}"]


def dead_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_engine_started_relayed_and_join_retried(env, tmp_path):
    c, h = env
    base = h.storage_dir
    mnt = fake_format(base)
    port = dead_port()
    extra = engines_extra(base, replicas=[f"127.0.0.1:{port}"])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    srv.proc.wait_for_log(r"Starting I/O Engine instance 0: \S*daos_engine")
    # argv and environment of the engine, as ctl_engine_argv/envp build them
    wait_until(lambda: engine_pids(h.socket_dir), "daos_engine process")
    pid = engine_pids(h.socket_dir)[0]
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        argv = [a.decode() for a in f.read().split(b"\0") if a]
    assert argv[0].endswith("daos_engine")
    joined = " ".join(argv[1:])
    assert "-s " + mnt in joined and "-I 0" in joined and "-d " + h.socket_dir in joined
    assert "-n " + os.path.join(mnt, "daos_nvme.conf") in joined
    assert re.search(r"-r \d+ -H \d+", joined)
    with open(f"/proc/{pid}/environ", "rb") as f:
        envv = dict(e.decode().split("=", 1) for e in f.read().split(b"\0") if b"=" in e)
    assert envv["D_INTERFACE"] == "lo" and envv["D_PROVIDER"] == "ofi+tcp"
    assert envv["D_PORT"] == "31416" and envv["DAOS_TARGET_OVERSUBSCRIBE"] == "1"
    assert os.path.exists(os.path.join(mnt, "daos_nvme.conf"))
    # output relayed with the instance prefix; NotifyReady received; Join retried
    srv.proc.wait_for_log(r"daos_engine:0 Using legacy core allocation algorithm")
    srv.proc.wait_for_log(r"instance 0: engine ready \(NotifyReady\): uri ofi\+tcp://")
    srv.proc.wait_for_log(rf"instance 0: join attempt 2 to 127\.0\.0\.1:{port} failed "
                          r"\(connection refused")
    assert os.path.exists(os.path.join(h.socket_dir, "daos_server.sock"))
    # a clean stop leaves no engine behind
    assert srv.proc.stop() == 0
    assert engine_pids(h.socket_dir) == []
    log = srv.read_log()
    assert re.search(rf"instance 0, pid {pid}, rank NilRank exited with status: exit status 0",
                     log), log


def test_engine_killed_is_errored(env):
    c, h = env
    fake_format(h.storage_dir)
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{dead_port()}"])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    srv.proc.wait_for_log(r"instance 0: engine ready")
    pid = engine_pids(h.socket_dir)[0]
    os.kill(pid, signal.SIGKILL)
    srv.proc.wait_for_log(rf"instance 0, pid {pid}, rank NilRank exited with status: "
                          r"signal: killed")
    assert srv.proc.running
    assert srv.proc.stop() == 0


def test_daos_server_killed_takes_engines(env):
    c, h = env
    fake_format(h.storage_dir)
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{dead_port()}"])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    srv.proc.wait_for_log(r"instance 0: engine ready")
    pid = engine_pids(h.socket_dir)[0]
    # SIGKILL of daos_server alone (not its process group): PR_SET_PDEATHSIG
    os.kill(srv.proc.pid, signal.SIGKILL)
    srv.proc.wait()
    wait_until(lambda: not os.path.exists(f"/proc/{pid}") or
               open(f"/proc/{pid}/stat").read().split()[2] == "Z", "engine to die")


@pytest.mark.parametrize("key,value,expect", [
    ("fabric_iface", "nosuchif0",
     r'fabric interface "nosuchif0" \(D_INTERFACE\) does not exist on this host'),
    ("provider", "ofi+nosuchprov",
     r'unsupported fabric provider "ofi\+nosuchprov"|fabric provider "ofi\+nosuchprov" '
     r'\(D_PROVIDER\) is not available'),
])
def test_bad_fabric_is_clear_start_error(env, key, value, expect):
    c, h = env
    fake_format(h.storage_dir)
    if key == "provider":
        extra = engines_extra(h.storage_dir, provider=value,
                              replicas=[f"127.0.0.1:{dead_port()}"])
    else:
        extra = engines_extra(h.storage_dir, iface=value,
                              replicas=[f"127.0.0.1:{dead_port()}"])
    try:
        srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    except AssertionError as e:
        # the configuration check may refuse the value before any engine starts
        assert value in str(e)
        return
    m = srv.proc.wait_for_log(r"instance 0: daos_engine failed before joining the system: "
                              r"(.*)")
    assert re.search(expect, m.group(1)), m.group(0)
    assert "engine 0" in m.group(1)
    srv.proc.wait_for_log(r"instance 0, pid \d+, rank NilRank exited with status: "
                          r"exit status 1")
    assert srv.proc.running
    assert srv.proc.stop() == 0


def test_unformatted_engine_awaits_format(env):
    c, h = env
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{dead_port()}"])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    srv.proc.wait_for_log(r"SCM format required on instance 0")
    assert engine_pids(h.socket_dir) == []
    assert srv.proc.stop() == 0


def test_engine_not_found(env, tmp_path):
    """daos_server copied to a directory without daos_engine, PATH without it."""
    c, h = env
    fake_format(h.storage_dir)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "daos_server"
    exe.write_bytes(open(BINARIES["daos_server"], "rb").read())
    exe.chmod(0o755)
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{dead_port()}"])
    from daos_helpers import server_config
    cfg = server_config(os.path.join(h.dir, "daos_server.yml"), h.port, h.socket_dir,
                        insecure=True, extra=extra)
    p = c.start(h, [str(exe), "start", "-o", cfg], env={"PATH": "/usr/bin:/bin"})
    p.wait_for_log(r"ERROR .* instance 0: daos_engine not found in PATH "
                   r"\(/usr/bin:/bin\) nor next to daos_server")
    assert p.stop() == 0


# ---------------------------------------------------------------------------
# With a stand-in management service (tests/tools/ms_peer): Join, SetRank,
# SetUp, ClusterEvent and the rank actions, before the real MS exists.

MS_PEER = os.path.join(os.path.dirname(BINARIES["daos_engine"]), "..", "..", "tests", "tools",
                       "ms_peer")


class Peer:
    def __init__(self, c, h, *args):
        self.port = dead_port()
        self.proc = c.start(h, [MS_PEER, "serve", str(self.port), *args])
        self.proc.wait_for_log(r"listening on port")

    def wait(self, pattern):
        return self.proc.wait_for_log(pattern)


def ranks(h, method, rankset, *args):
    r = subprocess.run([MS_PEER, "ranks", method, f"127.0.0.1:{h.port}", rankset, *args],
                       capture_output=True, text=True, timeout=WAIT * 2)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout.splitlines()


def read_sb(mnt):
    import yaml
    with open(os.path.join(mnt, "superblock")) as f:
        return yaml.safe_load(f)


def start_joined(c, h, peer_args=(), rank=None):
    mnt = fake_format(h.storage_dir, rank=rank)
    peer = Peer(c, h, *peer_args)
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{peer.port}"])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    return mnt, peer, srv


def test_join_setrank_setup_banner(env):
    c, h = env
    mnt, peer, srv = start_joined(c, h, ("--notleader", "2"))
    m = peer.wait(r"Join sys=daos_server uuid=(\S+) rank=(\d+) addr=(\S+) fd=(\S+) idx=0 "
                  r"inc=(\d+) uri=(\S+)")
    assert m.group(1) == read_sb(mnt)["uuid"]
    # not the bootstrap replica (the replica entry names the peer): nil rank asked
    assert m.group(2) == str(0xffffffff)
    assert m.group(3) == f"0.0.0.0:{h.port}"
    assert m.group(4) == "/" + os.uname().nodename
    srv.proc.wait_for_log(r"instance 0: join attempt 2 to .* failed \(.*not the leader")
    srv.proc.wait_for_log(r"instance 0: joined the system as rank 1 \(map version 1\)")
    # the banner: relayed with the prefix, and on daos_server's stdout alone
    srv.proc.wait_for_log(r"^DAOS I/O Engine \(v\S+\) process \d+ started on rank 1 with 1 "
                          r"target, 0 helper XS, firstcore 0, host \S+\.$")
    srv.proc.wait_for_log(r"daos_engine:0 DAOS I/O Engine \(v\S+\) process \d+ started on "
                          r"rank 1")
    sb = read_sb(mnt)
    assert sb["rank"] == 1 and sb["validrank"] is True and sb["uri"].startswith("ofi+tcp://")
    assert len(peer.proc.read_log().split("Join sys=")) == 4  # 2 refused + 1 accepted
    # rank actions
    assert ranks(h, "PingRanks", "1") == [
        f"rank=1 action=ping errored=0 state=Joined addr=0.0.0.0:{h.port} msg="]
    assert ranks(h, "PingRanks", "7") == [
        f"rank=7 action=ping errored=1 state=Unknown addr=0.0.0.0:{h.port} "
        f"msg=rank 7 not found on this host"]
    out = ranks(h, "PrepShutdownRanks", "1")
    assert out[0].startswith("rank=1 action=prep shutdown errored=0 state=Stopping"), out
    with open(os.path.join(h.storage_dir, "engine0.log")) as f:
        assert "PrepShutdown received" in f.read()
    out = ranks(h, "ResetFormatRanks", "1")
    assert "errored=1" in out[0] and "msg=instances not stopped" in out[0], out
    pid = engine_pids(h.socket_dir)[0]
    out = ranks(h, "StopRanks", "1")
    assert out[0].startswith("rank=1 action=stop errored=0 state=Stopped"), out
    assert engine_pids(h.socket_dir) == []
    assert "ClusterEvent" not in peer.proc.read_log()  # asked-for stop is no death
    assert re.search(rf"instance 0, pid {pid}, rank 1 exited with status: exit status 0",
                     srv.read_log())
    out = ranks(h, "StartRanks", "1")
    assert out[0].startswith("rank=1 action=start errored=0 state=Joined"), out
    # the restart asks for the rank of its superblock
    peer.wait(r"Join .* rank=1 addr=")
    # death of a joined engine: Errored and ClusterEvent ENGINE_DIED
    pid = engine_pids(h.socket_dir)[0]
    os.kill(pid, signal.SIGKILL)
    peer.wait(rf"ClusterEvent type=0 rank=1 inc=\d+ host={os.uname().nodename} "
              rf"msg=instance 0, pid {pid}, rank 1 exited with status: signal: killed")
    assert ranks(h, "PingRanks", "1")[0].startswith("rank=1 action=ping errored=0 "
                                                    "state=Errored")
    out = ranks(h, "ResetFormatRanks", "1")
    assert out[0].startswith("rank=1 action=reset format errored=0 state=AwaitFormat"), out
    assert not os.path.exists(os.path.join(mnt, "superblock"))
    assert not os.path.exists(os.path.join(mnt, "daos_nvme.conf"))
    # the rank is gone from this host with its superblock
    assert "not found on this host" in ranks(h, "StartRanks", "1")[0]
    assert srv.proc.stop() == 0


def test_join_refused_is_final(env):
    c, h = env
    mnt, peer, srv = start_joined(c, h, ("--refuse", "rank 5 already used by another engine"))
    srv.proc.wait_for_log(r"ERROR .*instance 0: join to 127\.0\.0\.1:\d+ refused: .*rank 5 "
                          r"already used by another engine; stopping the engine")
    wait_until(lambda: engine_pids(h.socket_dir) == [], "engine stop")
    assert len(peer.proc.read_log().split("Join sys=")) == 2  # no retry
    assert read_sb(mnt)["validrank"] is False
    assert srv.proc.running
    assert srv.proc.stop() == 0
