"""daos_server runs its engines (src/control/server/srv_engine*.c, srv_join.c):
exec of daos_engine with the configured argv/env, output relayed to the log,
NotifyReady over daos_server.sock, Join retried while no management service
answers, clean stop, unexpected death, bad fabric settings, and, with the
real management service of another (or the same) daos_server: Join, SetRank,
SetUp, refusals, ClusterEvent and the rank actions.

Storage is "formatted" by the test itself (daos_helpers.fake_format: tmpfs
on scm_mount, superblock, bdev file) so these tests do not depend on
`dmg storage format`; the local_cluster fixture unmounts it at teardown."""
import json
import os
import re
import shutil
import signal
import subprocess
import time

import pytest

from cluster import free_ports
from conftest import BINARIES
from daos_helpers import (ENGINE_PATH, engines_extra, fake_format, read_superblock, rpc_call,
                          server_config, start_server)

WAIT = 60  # bound for a hung process, not a timing assumption


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
def env(local_cluster):
    """One loopback host (the fixture stops, unmounts and removes it)."""
    c = local_cluster(1)
    return c, c.host("local-0")


def dead_port():
    """A port nobody listens on: no management service answers there."""
    return free_ports(1)[0]


def test_engine_started_relayed_and_join_retried(env):
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
    assert envv["D_PORT"] == str(extra["engines"][0]["fabric_iface_port"])
    assert envv["DAOS_TARGET_OVERSUBSCRIBE"] == "1"
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
    # killed before joining: the signal is the reason, not its last line of output
    assert "failed before joining the system" not in srv.read_log()
    assert srv.proc.running
    assert srv.proc.stop() == 0


def test_engine_death_seen_while_grandchild_holds_its_pipe(env, tmp_path):
    """The exit of an engine is seen on its pid, not on its output pipe: a
    wrapper named daos_engine (first in PATH) leaves a `sleep` holding the
    engine's stdout/stderr, then execs the real engine."""
    c, h = env
    fake_format(h.storage_dir)
    extra = engines_extra(h.storage_dir, replicas=[f"127.0.0.1:{dead_port()}"])
    bindir = tmp_path / "bin"
    bindir.mkdir()
    pidfile = tmp_path / "sleep.pid"
    wrapper = bindir / "daos_engine"
    wrapper.write_text(f"#!/bin/sh\n{shutil.which('sleep')} 1000 &\necho $! > {pidfile}\n"
                       f"exec {BINARIES['daos_engine']} \"$@\"\n")
    wrapper.chmod(0o755)
    srv = start_server(c, h, insecure=True, extra=extra,
                       env={"PATH": f"{bindir}:{os.environ['PATH']}"})
    sleeper = None
    try:
        srv.proc.wait_for_log(rf"Starting I/O Engine instance 0: {re.escape(str(wrapper))}")
        srv.proc.wait_for_log(r"instance 0: engine ready")
        pid = engine_pids(h.socket_dir)[0]
        sleeper = int(pidfile.read_text())
        pipe = os.readlink(f"/proc/{pid}/fd/1")
        assert pipe.startswith("pipe:") and os.readlink(f"/proc/{sleeper}/fd/1") == pipe
        os.kill(pid, signal.SIGKILL)
        srv.proc.wait_for_log(rf"instance 0, pid {pid}, rank NilRank exited with status: "
                              r"signal: killed")
        assert os.path.exists(f"/proc/{sleeper}")  # still holding the pipe's write end
        assert srv.proc.running
        assert srv.proc.stop() == 0
    finally:
        if sleeper is not None:
            os.kill(sleeper, signal.SIGKILL)


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
     r'fabric provider "ofi\+nosuchprov" \(D_PROVIDER\) is not available on interface "lo" '
     r'\(127\.0\.0\.1\): libfabric offers no such RDM endpoint'),
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
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
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
    cfg = server_config(os.path.join(h.dir, "daos_server.yml"), h.port, h.socket_dir,
                        insecure=True, extra=extra)
    p = c.start(h, [str(exe), "start", "-o", cfg], env={"PATH": "/usr/bin:/bin"})
    p.wait_for_log(r"ERROR .* instance 0: daos_engine not found in PATH "
                   r"\(/usr/bin:/bin\) nor next to daos_server")
    assert p.stop() == 0


# ---------------------------------------------------------------------------
# With the real management service: the daos_server whose mgmt_svc_replicas[0]
# is itself.  The rank actions (server-only methods the MS fans out) are
# called on the engines' daos_server directly with rpc_tool, as component
# "server" over insecure transport.

def dmg_query(c, ms_host):
    """Members of `dmg -j system query` against the MS host (insecure)."""
    h = c.host(ms_host)
    cfg = os.path.join(h.dir, "dmg.yml")
    with open(cfg, "w") as f:
        f.write(f"name: daos_server\nhostlist: ['127.0.0.1:{h.port}']\n"
                "transport_config:\n  allow_insecure: true\n")
    e = dict(os.environ)
    e.pop("DAOS_HW_ROOT", None)
    r = subprocess.run([BINARIES["dmg"], "-o", cfg, "-j", "system", "query"],
                       capture_output=True, text=True, env=e, timeout=WAIT)
    assert r.returncode == 0, r.stdout + r.stderr
    return {m["rank"]: m for m in json.loads(r.stdout)["response"]["members"] or []}


def wait_member(c, ms_host, rank, state):
    """The MS's record of `rank` once it is in `state`."""
    found = {}

    def ok():
        found.update(dmg_query(c, ms_host))
        return rank in found and found[rank]["state"] == state
    wait_until(ok, f"rank {rank} {state} in the management service")
    return found[rank]


def ranks(h, method, rankset, force=False):
    """Call a rank action on the daos_server of host `h`; one line per RankResult."""
    args = ["--timeout-ms", str(WAIT * 2000), "--set", f"ranks={rankset}"]
    if force:
        args += ["--set", "force=1"]
    r = rpc_call(None, None, method, [f"127.0.0.1:{h.port}"], insecure=True, role="server",
                 args=args, timeout=WAIT * 3)
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0].startswith(f"127.0.0.1:{h.port} ok "), \
        r.stdout + r.stderr
    return [line.strip() for line in lines[1:]]


def test_join_setrank_setup_banner(local_cluster):
    """local-1's engine joins the MS of local-0: first local-0 is a daos_server
    that is not the MS by its own configuration (NOTLEADER, retried), then
    local-0 restarts as the MS with its own engine (rank 0)."""
    c = local_cluster(2)
    msh, h = c.host("local-0"), c.host("local-1")
    ms_ep, third = f"127.0.0.1:{msh.port}", f"127.0.0.1:{dead_port()}"
    srv0 = start_server(c, msh, insecure=True, extra={"mgmt_svc_replicas": [third]})
    mnt = fake_format(h.storage_dir)
    uuid = read_superblock(mnt)["uuid"]
    srv = start_server(c, h, insecure=True, env=ENGINE_PATH,
                       extra=engines_extra(h.storage_dir, replicas=[ms_ep]))
    # not the bootstrap replica (its replica entry names local-0): nil rank asked
    srv.proc.wait_for_log(rf"instance 0: joining the system \(uuid {uuid}, requested rank "
                          rf"NilRank, control address 0\.0\.0\.0:{h.port}\)")
    srv.proc.wait_for_log(rf"instance 0: join attempt 2 to {re.escape(ms_ep)} failed \(.*is "
                          rf"not the management service leader; the current leader is "
                          rf"{re.escape(third)}\); retrying")
    assert "joined the system" not in srv.read_log()

    # local-0 becomes the MS: its replicas[0] is itself, engine 0 formatted
    assert srv0.stop() == 0
    fake_format(msh.storage_dir)
    srv0 = start_server(c, msh, insecure=True, env=ENGINE_PATH,
                        extra=engines_extra(msh.storage_dir, replicas=[ms_ep]))
    srv.proc.wait_for_log(r"instance 0: joined the system as rank 1 \(map version \d+\)")
    srv0.proc.wait_for_log(r"instance 0: joined the system as rank 0 \(map version \d+\) "
                           r"\(local MS\)")
    srv0.proc.wait_for_log(rf"rank 1 joined \({uuid}, 127\.0\.0\.1:{h.port}\)")
    # the banner: relayed with the prefix, and on daos_server's stdout alone
    srv.proc.wait_for_log(r"^DAOS I/O Engine \(v\S+\) process \d+ started on rank 1 with 1 "
                          r"target, 0 helper XS, firstcore 0, host \S+\.$")
    srv.proc.wait_for_log(r"daos_engine:0 DAOS I/O Engine \(v\S+\) process \d+ started on "
                          r"rank 1")
    sb = read_superblock(mnt)
    assert sb["rank"] == 1 and sb["validrank"] is True and sb["uri"].startswith("ofi+tcp://")
    # what the MS recorded from the JoinReq (0.0.0.0 replaced by the caller's address)
    m = wait_member(c, "local-0", 1, "joined")
    assert (m["uuid"], m["addr"], m["fault_domain"], m["fabric_uri"], m["incarnation"]) == \
        (uuid, f"127.0.0.1:{h.port}", "/" + os.uname().nodename, sb["uri"], sb["incarnation"])
    assert sb["incarnation"] != 0
    assert wait_member(c, "local-0", 0, "joined")["addr"] == ms_ep

    # rank actions on local-1's daos_server
    assert ranks(h, "PingRanks", "1") == [
        f"rank=1 action=ping errored=0 state=Joined addr=0.0.0.0:{h.port} msg="]
    assert ranks(h, "PingRanks", "7") == [
        f"rank=7 action=ping errored=1 state=Unknown addr=0.0.0.0:{h.port} "
        f"msg=rank 7 not found on this host"]
    # one result is built per requested rank: a request is bounded (it was not)
    many = ",".join(f"{k * 20000}-{k * 20000 + 16384}" for k in range(5))
    r = rpc_call(None, None, "PingRanks", [f"127.0.0.1:{h.port}"], insecure=True,
                 role="server", args=["--set", f"ranks={many}"], timeout=WAIT)
    assert f"RanksReq names 81925 ranks ({many}); at most 65536 per request" \
        in r.stdout, r.stdout + r.stderr
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
    assert re.search(rf"instance 0, pid {pid}, rank 1 exited with status: exit status 0",
                     srv.read_log())
    out = ranks(h, "StartRanks", "1")
    assert out[0].startswith("rank=1 action=start errored=0 state=Joined"), out
    # the restart asks for the rank of its superblock; the MS knows it again
    srv.proc.wait_for_log(rf"instance 0: joining the system \(uuid {uuid}, requested rank 1,")
    srv0.proc.wait_for_log(rf"rank 1 rejoined \({uuid}, 127\.0\.0\.1:{h.port}\)")
    # the asked-for stop was no death: no ClusterEvent reached the MS
    assert "rank 1 on " not in srv0.read_log()
    assert "engine death reported" not in srv.read_log()
    # death of a joined engine: Errored here, ClusterEvent ENGINE_DIED to the MS
    inc = read_superblock(mnt)["incarnation"]
    pid = engine_pids(h.socket_dir)[0]
    os.kill(pid, signal.SIGKILL)
    why = f"instance 0, pid {pid}, rank 1 exited with status: signal: killed"
    m = wait_member(c, "local-0", 1, "errored")
    assert m["info"] == why and m["incarnation"] == inc
    srv0.proc.wait_for_log(rf"rank 1 on {re.escape(os.uname().nodename)}: {re.escape(why)}")
    srv.proc.wait_for_log(rf"rank 1: engine death reported to the management service at "
                          rf"{re.escape(ms_ep)}")
    assert ranks(h, "PingRanks", "1")[0].startswith("rank=1 action=ping errored=0 "
                                                    "state=Errored")
    out = ranks(h, "ResetFormatRanks", "1")
    assert out[0].startswith("rank=1 action=reset format errored=0 state=AwaitFormat"), out
    assert not os.path.exists(os.path.join(mnt, "superblock"))
    assert not os.path.exists(os.path.join(mnt, "daos_nvme.conf"))
    # the rank is gone from this host with its superblock
    assert "not found on this host" in ranks(h, "StartRanks", "1")[0]
    assert dmg_query(c, "local-0")[0]["state"] == "joined"
    assert srv.proc.stop() == 0
    assert srv0.proc.stop() == 0


def test_join_refused_is_final(env):
    """A superblock whose uuid changed after the first join: the MS (this
    same daos_server) refuses the rank, and the refusal is final."""
    c, h = env
    ep = f"127.0.0.1:{h.port}"
    mnt = fake_format(h.storage_dir)
    extra = engines_extra(h.storage_dir, replicas=[ep])
    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    srv.proc.wait_for_log(r"instance 0: rank 0 set up")
    assert srv.proc.stop() == 0
    sb = read_superblock(mnt)
    old, new = sb["uuid"], "0badc0de-0000-4000-8000-000000000001"
    assert sb["rank"] == 0 and sb["validrank"] is True
    with open(os.path.join(mnt, "superblock")) as f:
        text = f.read()
    with open(os.path.join(mnt, "superblock"), "w") as f:
        f.write(text.replace(old, new))

    srv = start_server(c, h, insecure=True, extra=extra, env=ENGINE_PATH)
    refusal = f"can't rejoin member with rank 0: uuid changed from {old} -> {new}"
    srv.proc.wait_for_log(rf"ERROR .*instance 0: join to {re.escape(ep)} refused: .*"
                          rf"{re.escape(refusal)}; stopping the engine")
    # reaped by daos_server (a zombie already has left engine_pids)
    srv.proc.wait_for_log(r"instance 0, pid \d+, rank 0 exited with status: exit status 0")
    assert engine_pids(h.socket_dir) == []
    log = srv.read_log()
    # no retry: one refusal on the MS side, no further attempt
    assert log.count(f"join of engine 0 of {ep} (uuid {new}) refused: {refusal}") == 1, log
    assert "join attempt" not in log
    assert ranks(h, "PingRanks", "0")[0].startswith("rank=0 action=ping errored=0 "
                                                    "state=Errored")
    # neither the membership nor the superblock took the refused request
    m = dmg_query(c, "local-0")[0]
    assert m["uuid"] == old
    sb = read_superblock(mnt)
    assert sb["uuid"] == new and sb["rank"] == 0
    assert srv.proc.running
    assert srv.proc.stop() == 0
