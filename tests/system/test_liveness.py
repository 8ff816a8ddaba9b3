"""The liveness loop of the management service: real daos_server and
daos_engine processes on a two-host LocalCluster (the MS on local-0).

A daos_server killed with SIGKILL takes its engines with it and sends no
ClusterEvent: the MS finds out by pinging the host (PingRanks) and shows
the rank Unresponsive with the reason; the restarted server's engine
rejoins with the same rank.  A daos_server that is only out of reach
(SIGSTOP: its engine keeps running) makes its rank Unresponsive too, and
once it answers again with the same engine (incarnation) the rank is Joined
again without any restart.  After a restart of the MS host, members whose
host is gone become Unresponsive; a rank stopped on purpose stays Stopped.
Every wait is bounded (WAIT) and polls; nothing depends on timing.
"""
import os
import re
import signal

from daos_helpers import ENGINE_PATH, engine_children, engines_extra, fake_format, start_server
from test_system import MS, states, wait_query


def start_host(ms, host, env=None):
    h = ms.c.host(host)
    extra = engines_extra(h.storage_dir, n=1, replicas=ms.replicas)
    return start_server(ms.c, host, certs=ms.certs, extra=extra,
                        env=dict(ENGINE_PATH, **(env or {})))


def test_dead_server_unresponsive_and_rejoin(local_cluster, tmp_path):
    ms = MS(local_cluster, tmp_path, nhosts=2)
    h1 = ms.c.host("local-1")
    ep1 = f"127.0.0.1:{h1.port}"
    fake_format(ms.base, 0)
    fake_format(h1.storage_dir, 0)
    # a bad period is reported and the default used
    ms.start(env=dict(ENGINE_PATH, DAOS_MS_LIVENESS_INTERVAL_MS="soon"), live=True)
    assert 'DAOS_MS_LIVENESS_INTERVAL_MS="soon" is not a number of milliseconds from 0 ' \
        "to 3600000: using 1000" in ms.srv.read_log()
    srv1 = start_host(ms, "local-1")
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "ranks 0-1 joined")
    uuids = [m["uuid"] for m in mem]
    assert mem[1]["addr"] == ep1

    # kill -9 of local-1's daos_server: its engine dies with it, nobody tells the MS
    srv1.proc.send_signal(signal.SIGKILL)
    srv1.proc.wait()
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "unresponsive")],
                     "rank 1 unresponsive")
    assert mem[1]["info"] == f"control plane of {ep1} unreachable: connection refused"
    assert not mem[1]["last_update"].startswith("0001-")
    r = ms.dmg("system", "query", "--not-ok")
    assert r.stdout.splitlines()[2].split() == ["1", "Unresponsive"], r.stdout
    assert re.search(r"rank 1: Joined -> Unresponsive: control plane of "
                     + re.escape(ep1) + " unreachable", ms.srv.read_log())
    # the state is in the database
    with open(f"{ms.base}/scm0/control_raft/daos_system.db") as f:
        assert re.search(r"^member 1 \S+ Unresponsive .* \d+$", f.read(), re.M)

    # the restarted server's engine rejoins with its rank, through its own Join
    inc = mem[1]["incarnation"]
    srv1 = start_host(ms, "local-1")
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "rank 1 rejoined")
    assert [m["uuid"] for m in mem] == uuids and mem[1]["info"] == ""
    assert mem[1]["incarnation"] != inc
    ms.srv.proc.wait_for_log(rf"rank 1 rejoined \({uuids[1]}, {re.escape(ep1)}\)")
    assert "Unresponsive -> Joined" not in ms.srv.read_log()

    # whole-system restart: the MS host goes down, local-1 dies meanwhile; the MS
    # that comes back finds rank 1 gone from its database's "Joined"
    assert ms.srv.stop() == 0
    srv1.proc.send_signal(signal.SIGKILL)
    srv1.proc.wait()
    ms.start(env=ENGINE_PATH, live=True)
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "unresponsive")],
                     "rank 1 unresponsive after the MS restart")
    assert mem[1]["info"] == f"control plane of {ep1} unreachable: connection refused"

    # a rank stopped on purpose stays Stopped across an MS restart, and starts again
    srv1 = start_host(ms, "local-1")
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "rank 1 back")
    r = ms.dmg("system", "stop", "-r", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "stopped")], "rank 1 stopped")
    assert ms.srv.stop() == 0
    ms.start(env=ENGINE_PATH, live=True)
    ms.srv.proc.wait_for_log(rf"rank 0 rejoined \({uuids[0]}, ")
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "stopped")],
                     "rank 1 still stopped")
    r = ms.dmg("system", "start", "-r", "1")
    assert r.returncode == 0 and r.stdout.splitlines()[2].split() == ["1", "start", "OK"], \
        r.stdout + r.stderr
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "rank 1 started")
    assert [m["uuid"] for m in mem] == uuids
    assert srv1.stop() == 0


def test_host_reports_stopped_engine(local_cluster, tmp_path):
    """The host's word about an engine the MS still has Joined: here engine 1
    of the MS host stopped by its daos_server (a StopRanks sent past the MS),
    which tells the MS nothing."""
    from daos_helpers import rpc_call
    ms = MS(local_cluster, tmp_path)
    for i in range(2):
        fake_format(ms.base, i)
    ms.start(env=ENGINE_PATH, n=2, live=True)
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "ranks 0-1 joined")
    r = rpc_call(None, None, "StopRanks", [ms.ep], certs=ms.certs, role="server",
                 args=["--set", "ranks=1"])
    assert r.returncode == 0 and "state=Stopped" in r.stdout, r.stdout + r.stderr
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "stopped")],
                     "rank 1 stopped")
    assert mem[1]["info"] == f"rank 1 is Stopped on {ms.ep}"


def test_unreachable_server_heals(local_cluster, tmp_path):
    """local-1's daos_server stopped (SIGSTOP) while its engine runs on: the MS
    cannot reach it and shows rank 1 Unresponsive; once it runs again its
    answer names the engine that joined (same incarnation) and the rank is
    Joined again, with no engine restart and no new Join."""
    ms = MS(local_cluster, tmp_path, nhosts=2)
    h1 = ms.c.host("local-1")
    ep1 = f"127.0.0.1:{h1.port}"
    fake_format(ms.base, 0)
    fake_format(h1.storage_dir, 0)
    ms.start(env=ENGINE_PATH, live=True)
    srv1 = start_host(ms, "local-1")
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "ranks 0-1 joined")
    uuid1, inc = mem[1]["uuid"], mem[1]["incarnation"]
    assert inc != 0
    [engine] = engine_children(srv1.proc.pid)
    joins = ms.srv.read_log().count("rank 1 rejoined")

    srv1.proc.send_signal(signal.SIGSTOP)
    try:
        mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "unresponsive")],
                         "rank 1 unresponsive")
        assert mem[1]["info"].startswith(f"control plane of {ep1} unreachable: "), mem[1]
        assert os.path.exists(f"/proc/{engine}")  # its engine runs on
    finally:
        srv1.proc.send_signal(signal.SIGCONT)
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "rank 1 joined again")
    assert mem[1]["uuid"] == uuid1 and mem[1]["incarnation"] == inc
    assert mem[1]["info"] == ""
    ms.srv.proc.wait_for_log(
        rf"rank 1: Unresponsive -> Joined: host {re.escape(ep1)} answers again, "
        rf"same engine \(incarnation {inc}\)")
    # the same engine process, and no Join meanwhile
    assert engine_children(srv1.proc.pid) == [engine]
    assert ms.srv.read_log().count("rank 1 rejoined") == joins
    assert srv1.read_log().count("engine ready (NotifyReady)") == 1
    # the database has it
    with open(f"{ms.base}/scm0/control_raft/daos_system.db") as f:
        assert re.search(rf"^member 1 {uuid1} Joined {inc} ", f.read(), re.M)
    assert srv1.stop() == 0
