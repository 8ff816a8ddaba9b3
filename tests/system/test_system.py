"""The management service in daos_server and `dmg system ...`.

These tests run real daos_server and dmg processes on a LocalCluster.  The
MS comes up once engine 0's SCM is "formatted": the test mounts a tmpfs on
its scm_mount and writes a superblock (what StorageFormat does), and
unmounts in teardown.  Members are added through the wire with rpc_tool's
Join / ClusterEvent requests (server certificate), so no engine runs.
"""
import json
import os
import re
import signal
import shutil
import subprocess
import uuid as uuidlib

import pytest

from conftest import BINARIES
from daos_helpers import (ENGINE_PATH, engines_extra, fake_format, make_certs, rpc_call,
                          start_server)

DMG = BINARIES["dmg"]
UUIDS = [str(uuidlib.UUID(int=0x1000 + i)) for i in range(8)]


def dmg(*args, timeout=120):
    e = dict(os.environ)
    e.pop("DAOS_HW_ROOT", None)
    return subprocess.run([DMG, *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


def control_yml(path, hosts, certs):
    c = certs.dir + "/certs"
    with open(path, "w") as f:
        f.write("name: daos_server\n"
                "hostlist: [" + ", ".join(f"'{h}'" for h in hosts) + "]\n"
                "transport_config:\n  allow_insecure: false\n"
                f"  ca_cert: {c}/daosCA.crt\n  cert: {c}/admin.crt\n  key: {c}/admin.key\n")
    return str(path)


def format_engine0(base, system="daos_server"):
    """What StorageFormat leaves behind for engine 0: a tmpfs with a superblock."""
    mnt = os.path.join(base, "scm0")
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt], check=True)
    with open(os.path.join(mnt, "superblock"), "w") as f:
        f.write(f"version: 1\nuuid: {UUIDS[7]}\nsystem: {system}\nrank: null\nuri: \n"
                "validrank: false\nhostfaultdomain: \nincarnation: 0\n")
    return mnt


class MS:
    """One MS server (local-0) plus whatever the test adds."""

    def __init__(self, local_cluster, tmp_path, nhosts=1, replicas=None):
        self.c = local_cluster(nhosts)
        self.tmp = tmp_path
        self.certs = make_certs(tmp_path)
        self.h = self.c.host("local-0")
        self.ep = f"127.0.0.1:{self.h.port}"
        self.replicas = replicas or [self.ep]
        self.base = self.h.storage_dir
        self.cfg = control_yml(tmp_path / "dmg.yml", [self.ep], self.certs)
        self.srv = None

    def start(self, host="local-0", env=None, n=1, live=False):
        """Members added by hand have no engine behind them: without `live`
        the MS does not ping their hosts (test_liveness.py covers that)."""
        h = self.c.host(host)
        extra = engines_extra(h.storage_dir, n=n, replicas=self.replicas)
        env = dict(env or {})
        if not live:
            env.setdefault("DAOS_MS_LIVENESS_INTERVAL_MS", "0")
        srv = start_server(self.c, host, certs=self.certs, extra=extra, env=env)
        if host == "local-0":
            self.srv = srv
        return srv

    def dmg(self, *args):
        return dmg("-o", self.cfg, *args)

    def join(self, target=None, **fields):
        sets = []
        for k, v in fields.items():
            sets += ["--set", f"{k}={v}"]
        return rpc_call(None, None, "Join", [target or self.ep], certs=self.certs,
                        role="server", args=sets)

    def event(self, **fields):
        sets = []
        for k, v in fields.items():
            sets += ["--set", f"{k}={v}"]
        return rpc_call(None, None, "ClusterEvent", [self.ep], certs=self.certs,
                        role="server", args=sets)


@pytest.fixture
def ms(local_cluster, tmp_path):
    """The local_cluster fixture stops, unmounts and removes it at the end."""
    return MS(local_cluster, tmp_path)


def populate(ms):
    """Ranks 0 (0.0.0.0 address: the MS uses the caller's IP), 1 and 2 joined; 2 then died."""
    port = ms.h.port
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.1:31416", addr=f"0.0.0.0:{port}",
                fd="/h1", inc=11)
    assert r.returncode == 0 and "rank 0 state 0" in r.stdout, r.stdout + r.stderr
    r = ms.join(uuid=UUIDS[1], uri="ofi+tcp://127.0.0.1:31516", addr=f"127.0.0.1:{port}",
                fd="/h1", inc=12, idx=1)
    assert r.returncode == 0 and "rank 1 state 0" in r.stdout, r.stdout + r.stderr
    r = ms.join(uuid=UUIDS[2], uri="ofi+tcp://127.0.0.2:31416", addr="127.0.0.2:10001",
                fd="/h2", inc=13)
    assert r.returncode == 0 and "rank 2 state 0" in r.stdout, r.stdout + r.stderr
    r = ms.event(type="died", rank=2, inc=13, host="h2",
                 msg="exited with status: signal: killed")
    assert r.returncode == 0, r.stdout + r.stderr


def test_leader_query_from_config(local_cluster, tmp_path):
    m = MS(local_cluster, tmp_path, nhosts=2)
    other = f"127.0.0.1:{m.c.host('local-1').port}"
    m.replicas = [m.ep, other, "127.0.0.1:1"]   # an odd number; the third is down
    m.start()
    m.start("local-1")
    # any server answers from its configuration, the MS need not be up
    cfg1 = control_yml(tmp_path / "dmg1.yml", [other], m.certs)
    for cfg in (m.cfg, cfg1):
        r = dmg("-o", cfg, "system", "leader-query")
        assert r.returncode == 0, r.stderr
        assert r.stdout == (f"Current Leader: {m.ep}\n   Replica Set: {m.ep}, {other}, "
                            "127.0.0.1:1\n  Unresponsive Replicas: \n")
    r = m.dmg("system", "leader-query", "-N")
    assert r.stdout == "Unresponsive Replicas: \n"
    r = m.dmg("-j", "system", "leader-query")
    doc = json.loads(r.stdout)
    assert doc == {"response": {"current_leader": m.ep, "replicas": [m.ep, other, "127.0.0.1:1"],
                                "down_replicas": None},
                   "error": None, "status": 0}
    # the second replica is not the MS: it names the leader
    r = m.join(target=other, uuid=UUIDS[0], rank=0, uri="ofi+tcp://x:1",
               addr=f"{other}")
    assert r.returncode == 1
    assert f"is not the management service leader; the current leader is {m.ep}" \
        in r.stdout
    # dmg pointed at the non-leader finds the leader through LeaderQuery
    r = dmg("-o", cfg1, "system", "query")
    assert "the management service is not started" in r.stderr
    # the first host that answers is used: a dead host first is skipped
    dead = control_yml(tmp_path / "dead.yml", ["127.0.0.1:1", m.ep], m.certs)
    r = dmg("-o", dead, "system", "leader-query")
    assert r.returncode == 0 and r.stdout.startswith(f"Current Leader: {m.ep}\n"), \
        r.stderr


def test_no_replicas_leader_query(ms):
    ms.replicas = ["127.0.0.1:1"]   # this server is not a replica
    ms.start()
    r = ms.dmg("system", "leader-query")
    assert r.returncode == 0 and r.stdout.startswith("Current Leader: 127.0.0.1:1\n")
    # dmg then sends the query to a leader that does not answer
    r = ms.dmg("system", "query")
    assert r.returncode == 1
    assert r.stderr.startswith("ERROR: dmg: system query failed: 127.0.0.1:1: ")
    # and the server itself refuses MS requests
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://x:1", addr=ms.ep)
    assert "is not the management service leader; the current leader is 127.0.0.1:1" \
        in r.stdout


def test_ms_not_started_before_format(ms):
    ms.start()
    host = os.uname().nodename
    want = (f"the management service is not started: engine 0 storage of {host} is not "
            "formatted; run dmg storage format")
    r = ms.dmg("system", "query")
    assert r.returncode == 1
    assert r.stderr == f"ERROR: dmg: system query failed: {want}\n"
    r = ms.dmg("-j", "system", "query")
    doc = json.loads(r.stdout)
    assert doc["response"] is None and doc["status"] == -1015
    assert doc["error"] == f"system query failed: {want}"
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://x:1", addr=ms.ep)
    assert r.returncode == 1 and want in r.stdout
    for cmd in (["stop"], ["start"], ["erase"]):
        r = ms.dmg("system", *cmd)
        assert r.returncode == 1 and want in r.stderr, cmd
    assert "MS leader running" not in ms.srv.read_log()


def test_query_tables_and_filters(ms):
    ms.start()
    format_engine0(ms.base)
    r = ms.dmg("system", "query")
    assert r.returncode == 0 and r.stdout == "Query matches no ranks in system\n"
    populate(ms)
    log = ms.srv.read_log()
    assert log.count("MS leader running on") == 1
    assert f"rank 0 joined ({UUIDS[0]}, 127.0.0.1:{ms.h.port})" in log
    assert f"rank 2 joined ({UUIDS[2]}, 127.0.0.2:10001)" in log

    r = ms.dmg("system", "query")
    assert r.returncode == 0, r.stderr
    assert r.stdout == ("Rank  State   \n"
                        "----  -----   \n"
                        "[0-1] Joined  \n"
                        "2     Errored \n\n")
    assert r.stderr == ""

    r = ms.dmg("system", "query", "-v")
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Rank", "UUID", "Fabric", "Address", "Fault", "Domain",
                                "State", "Reason"]
    assert lines[2].split() == ["0", UUIDS[0], "127.0.0.1:31416", "/h1", "Joined"]
    assert lines[4].split()[:5] == ["2", UUIDS[2], "127.0.0.2:31416", "/h2", "Errored"]
    assert lines[4].rstrip().endswith("exited with status: signal: killed")

    r = ms.dmg("-j", "system", "query")
    doc = json.loads(r.stdout)
    assert doc["error"] is None and doc["status"] == 0
    mem = doc["response"]["members"]
    assert [m["rank"] for m in mem] == [0, 1, 2]
    assert mem[0]["addr"] == f"127.0.0.1:{ms.h.port}"     # 0.0.0.0 replaced
    assert mem[0]["state"] == "joined" and mem[2]["state"] == "errored"
    assert mem[2]["info"] == "exited with status: signal: killed"
    assert mem[1]["uuid"] == UUIDS[1] and mem[1]["incarnation"] == 12
    assert mem[0]["fabric_uri"] == "ofi+tcp://127.0.0.1:31416"
    assert mem[0]["fault_domain"] == "/h1" and mem[0]["fabric_contexts"] == 1
    assert mem[0]["last_update"].endswith("Z")

    # rank filter with absent ranks: a group in the table, then the error
    r = ms.dmg("system", "query", "-r", "1,7-9")
    assert r.stdout == ("Rank  State        \n"
                        "----  -----        \n"
                        "[7-9] Unknown Rank \n"
                        "1     Joined       \n\n")
    assert r.returncode == 1
    assert r.stderr == "ERROR: dmg: system query failed: non-existent ranks 7-9\n"
    r = ms.dmg("system", "query", "-v", "-r", "2,7")
    assert r.stdout.splitlines()[2].split()[0] == "2"
    assert "Unknown 1 rank: 7\n" in r.stderr
    r = ms.dmg("-j", "system", "query", "-r", "7")
    doc = json.loads(r.stdout)
    assert doc["response"] == {"members": None}
    assert doc["error"] == "non-existent ranks 7" and doc["status"] == -1025
    assert r.returncode == 1

    # host filter: by address, with a port, and hosts that have no members
    r = ms.dmg("system", "query", "--rank-hosts", "127.0.0.2")
    assert r.returncode == 0 and r.stdout.splitlines()[2].split() == ["2", "Errored"]
    r = ms.dmg("system", "query", "--rank-hosts", f"127.0.0.1:{ms.h.port}")
    assert r.stdout.splitlines()[2].split() == ["[0-1]", "Joined"]
    r = ms.dmg("system", "query", "--rank-hosts", "127.0.0.2,127.0.0.[7-9]")
    assert r.returncode == 1
    assert "Unknown 3 hosts: 127.0.0.[7-9]\n" in r.stderr
    assert r.stderr.endswith("ERROR: dmg: system query failed: non-existent hosts "
                             "127.0.0.[7-9]\n")

    # state filters
    r = ms.dmg("system", "query", "--not-ok")
    assert r.returncode == 0 and r.stdout.splitlines()[2:3] == ["2    Errored "]
    assert len(r.stdout.splitlines()) == 4
    r = ms.dmg("system", "query", "--with-states", "joined")
    assert r.stdout.splitlines()[2].split() == ["[0-1]", "Joined"]
    r = ms.dmg("system", "query", "--with-states", "Stopped,AwaitFormat")
    assert r.stdout == "Query matches no ranks in system\n"

    # bad flag combinations and values are refused before any RPC
    r = ms.dmg("system", "query", "--not-ok", "--with-states", "Joined")
    assert r.returncode == 1 and "--not-ok and --with-states options cannot be set " \
        "together" in r.stderr
    r = ms.dmg("system", "query", "--with-states", "Joined,Sleeping")
    assert r.returncode == 1 and 'invalid state name "Sleeping" in --with-states' in r.stderr
    r = ms.dmg("system", "query", "-r", "1", "--rank-hosts", "127.0.0.2")
    assert "--ranks and --rank-hosts options cannot be set together" in r.stderr
    r = ms.dmg("system", "query", "-r", "1-x")
    assert r.returncode == 1 and 'invalid rank set "1-x" (--ranks)' in r.stderr
    r = ms.dmg("system", "query", "--rank-hosts", "foo[3-1]")
    assert r.returncode == 1 and 'invalid host set "foo[3-1]" (--rank-hosts)' in r.stderr


def test_join_rules_on_the_wire(ms):
    ms.start()
    format_engine0(ms.base)
    populate(ms)
    # rejoin with the same identity: same rank, Errored -> Joined
    r = ms.join(uuid=UUIDS[2], rank=2, uri="ofi+tcp://127.0.0.2:31416", addr="127.0.0.2:10001",
                fd="/h2", inc=14)
    assert r.returncode == 0 and "rank 2 state 0" in r.stdout
    assert "rank 2 rejoined" in ms.srv.read_log()
    r = ms.join(uuid=UUIDS[5], rank=1, uri="ofi+tcp://x:1", addr=ms.ep, fd="/h1")
    assert r.returncode == 1
    assert (f"can't rejoin member with rank 1: uuid changed from {UUIDS[1]} -> {UUIDS[5]}"
            in r.stdout)
    r = ms.join(uuid=UUIDS[1], rank=5, uri="ofi+tcp://x:1", addr=ms.ep, fd="/h1")
    assert r.returncode == 1
    assert f"can't rejoin member with uuid {UUIDS[1]}: rank changed from 1 -> 5" in r.stdout
    r = ms.join(uuid=UUIDS[1], rank=1, uri="ofi+tcp://x:1", addr="127.0.0.9:10001", fd="/h1")
    assert "control address changed" in r.stdout
    r = ms.join(uuid=UUIDS[6], uri="ofi+tcp://x:1", addr="127.0.0.3:1", fd="/a/b")
    assert r.returncode == 1 and "need layers = 1" in r.stdout
    r = ms.join(uuid="not-a-uuid", uri="ofi+tcp://x:1", addr="127.0.0.3:1")
    assert r.returncode == 1 and 'invalid UUID "not-a-uuid"' in r.stdout
    r = ms.join(uuid=UUIDS[6], uri="ofi+tcp://x:1", addr="127.0.0.3:1", sys="other")
    assert "request system does not match running system (other != daos_server)" in r.stdout
    # refusals are logged by the MS
    assert "refused: can't rejoin member with rank 1" in ms.srv.read_log()
    # a new engine gets the next rank
    r = ms.join(uuid=UUIDS[6], uri="ofi+tcp://127.0.0.3:1", addr="127.0.0.3:1", fd="/h3")
    assert r.returncode == 0 and "rank 3 state 0" in r.stdout
    # a cluster event for an older incarnation or an unknown rank changes nothing
    r = ms.event(type="died", rank=1, inc=1, host="h1", msg="old")
    assert r.returncode == 0
    r = ms.event(type="died", rank=9, inc=1, host="h9", msg="x")
    assert r.returncode == 1 and "rank 9: not a member of the system" in r.stdout
    r = ms.dmg("system", "query")
    assert r.stdout.splitlines()[2].split() == ["[0-3]", "Joined"]


def test_join_with_another_fabric_provider_refused(ms):
    """A host restarted with ofi+sockets cannot join an ofi+tcp system: the
    MS refuses it naming both providers and the host to fix."""
    ms.start()
    format_engine0(ms.base)
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+sockets://127.0.0.2:31416",
                addr="127.0.0.2:10001", fd="/h1", inc=11)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "engine at 127.0.0.2:10001 uses fabric provider ofi+sockets but the system uses " \
        "ofi+tcp: engines of one system must share a provider; set provider: ofi+tcp in " \
        "the daos_server.yml of 127.0.0.2:10001" in r.stdout, r.stdout
    r = ms.dmg("system", "query")
    assert r.stdout == "Query matches no ranks in system\n", r.stdout


def test_persistence_restart_and_db_removal(ms):
    ms.start()
    mnt = format_engine0(ms.base)
    populate(ms)
    db = os.path.join(mnt, "control_raft", "daos_system.db")
    assert os.path.isfile(db) and oct(os.stat(db).st_mode & 0o777) == "0o600"
    before = ms.dmg("system", "query", "-v").stdout
    assert ms.srv.stop() == 0
    ms.start()
    r = ms.dmg("system", "query", "-v")
    assert r.stdout == before
    assert "management service database loaded from" in ms.srv.read_log()
    # next rank continues after a restart
    r = ms.join(uuid=UUIDS[6], uri="ofi+tcp://127.0.0.3:1", addr="127.0.0.3:1", fd="/h3")
    assert "rank 3 state 0" in r.stdout
    # a database removed while the MS runs is an alarm: the members are still
    # shown, dmg fails once saying what happened, and the file is written again
    members = ms.dmg("system", "query").stdout
    shutil.rmtree(os.path.join(mnt, "control_raft"))
    r = ms.dmg("system", "query")
    assert r.returncode == 1 and r.stdout == members, r.stdout + r.stderr
    assert re.search(rf"ERROR: dmg: system query failed: the management service database "
                     rf"{re.escape(db)} was removed while the MS was running \(noticed "
                     rf"[-0-9 :]+\); the 4 members shown are held only in memory until it is "
                     rf"written again; it was written again from memory at [-0-9 :]+$",
                     r.stderr.strip()), r.stderr
    assert f"management service database {db} was removed while the MS was running: " \
        "writing the 4 members held in memory back to it" in ms.srv.read_log()
    with open(db) as f:
        assert f.read().count("\nmember ") == 4
    r = ms.dmg("system", "query")
    assert r.returncode == 0 and r.stdout == members and r.stderr == ""
    # a corrupt database is reported with its path
    ms.srv.stop()
    with open(db, "w") as f:
        f.write("garbage\n")
    ms.start()
    r = ms.dmg("system", "query")
    assert r.returncode == 1
    assert f"the management service cannot load its database {db}:" in r.stderr
    assert "move the file away to start with an empty system" in r.stderr
    # unformatted again (superblock gone): the MS goes down
    os.unlink(db)
    os.unlink(os.path.join(mnt, "superblock"))
    r = ms.dmg("system", "query")
    assert "is not formatted; run dmg storage format" in r.stderr


def test_control_metadata_path(ms, tmp_path):
    md = str(tmp_path / "md")
    os.makedirs(md)
    h = ms.h
    extra = engines_extra(h.storage_dir, n=1, replicas=ms.replicas)
    extra["control_metadata"] = {"path": md}
    extra["engines"][0]["storage"][1]["bdev_roles"] = ["wal", "meta", "data"]
    ms.srv = start_server(ms.c, "local-0", certs=ms.certs, extra=extra)
    format_engine0(ms.base)
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.1:1", addr=ms.ep)
    assert r.returncode == 0, r.stdout
    assert os.path.isfile(os.path.join(md, "daos_control", "control_raft", "daos_system.db"))


def test_stop_start_erase_fanout_errors(ms):
    """Without engines behind the members' addresses the fan-out fails per
    host; the results table says so and the command fails."""
    from cluster import free_ports
    ms.start()
    format_engine0(ms.base)
    dead = free_ports(1)[0]
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.1:1", addr=f"127.0.0.1:{dead}")
    assert r.returncode == 0, r.stdout
    r = ms.join(uuid=UUIDS[1], uri="ofi+tcp://127.0.0.1:2", addr=f"127.0.0.1:{dead}", idx=1)
    assert r.returncode == 0, r.stdout
    r = ms.dmg("system", "stop")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Rank", "Operation", "Result"]
    assert lines[2].startswith("[0-1] prep shutdown ")
    assert f"127.0.0.1:{dead}: connection refused" in lines[2]
    assert r.stderr == "ERROR: dmg: system stop failed: check results for failed ranks 0-1\n"
    r = ms.dmg("-j", "system", "stop", "--force", "-r", "1,5")
    doc = json.loads(r.stdout)
    res = doc["response"]["Results"]
    assert [(x["rank"], x["action"], x["errored"]) for x in res] == [(1, "stop", True)]
    assert res[0]["addr"] == f"127.0.0.1:{dead}"
    assert doc["error"] == "non-existent ranks 5, check results for failed ranks 1"
    r = ms.dmg("system", "start", "-r", "0")
    assert r.returncode == 1 and r.stdout.splitlines()[2].startswith("0    start ")
    # states are unchanged by failed calls
    r = ms.dmg("system", "query")
    assert r.stdout.splitlines()[2].split() == ["[0-1]", "Joined"]
    # erase refuses running ranks
    r = ms.dmg("system", "erase")
    assert r.returncode == 1
    assert r.stderr == ("ERROR: dmg: system erase failed: system erase requires the "
                        "following 2 ranks to be stopped: 0-1; run `dmg system stop` first\n")
    # no member matches: nothing is called
    r = ms.dmg("system", "stop", "-r", "9")
    assert r.returncode == 1
    assert r.stdout == "No results returned\n"
    assert r.stderr == ("Unknown 1 rank: 9\n"
                        "ERROR: dmg: system stop failed: non-existent ranks 9\n")


def test_erase_without_members_removes_db(ms):
    ms.start()
    mnt = format_engine0(ms.base)
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.1:1", addr=ms.ep)
    assert r.returncode == 0
    r = ms.event(type="stopped", rank=0, inc=1, host="h", msg="")
    assert r.returncode == 0
    # a stopped member on a host without rank handlers: reset format fails, db kept
    r = ms.dmg("system", "erase")
    assert r.returncode == 1 and "reset format" in r.stdout
    assert os.path.exists(os.path.join(mnt, "control_raft", "daos_system.db"))


# ---------------------------------------------------------------------------
# End to end with daos_engine processes (engine instances of daos_server)

WAIT = 90  # bound for a hung process, not a timing assumption


def wait_query(ms, pred, what):
    import time
    deadline = time.monotonic() + WAIT
    while True:
        r = ms.dmg("-j", "system", "query")
        doc = json.loads(r.stdout) if r.stdout else {}
        mem = (doc.get("response") or {}).get("members") or []
        if pred(mem):
            return mem
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}: {r.stdout}{r.stderr}\n"
                                 f"{ms.srv.read_log()}")
        time.sleep(0.1)


def engine_pid(socket_dir, idx):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"daos_engine") and socket_dir.encode() in argv and \
                b"-I" in argv and argv[argv.index(b"-I") + 1] == str(idx).encode():
            return int(pid)
    return None


def states(mem):
    return [(m["rank"], m["state"]) for m in mem]


def test_database_removed_with_engines_running(local_cluster, tmp_path):
    """The MS database removed under a running system: the engine is still
    reported and `dmg system stop` still stops it; dmg fails once with the
    alarm, and the membership is back on disk."""
    ms = MS(local_cluster, tmp_path)
    fake_format(ms.base, 0)
    ms.start(env=ENGINE_PATH, live=True)
    wait_query(ms, lambda m: states(m) == [(0, "joined")], "rank 0 joined")
    db = f"{ms.base}/scm0/control_raft/daos_system.db"
    os.unlink(db)
    r = ms.dmg("system", "stop")
    assert r.returncode == 1, r.stdout + r.stderr
    assert r.stdout == ("Rank Operation Result \n"
                        "---- --------- ------ \n"
                        "0    stop      OK     \n\n"), r.stdout
    assert f"system stop failed: the management service database {db} was removed while " \
        "the MS was running" in r.stderr
    assert engine_pid(ms.h.socket_dir, 0) is None
    assert states(wait_query(ms, lambda m: True, "query")) == [(0, "stopped")]
    with open(db) as f:
        assert re.search(r"^member 0 \S+ Stopped ", f.read(), re.M)


def test_full_scm_at_restart(local_cluster, tmp_path):
    """SCM full when the system restarts: the engine cannot start and its
    Errored state cannot be saved; it is shown anyway, dmg fails with the
    alarm, the log says so once (not at every liveness round), and once
    space is freed the database is saved and the alarm given out once more."""
    import time
    ms = MS(local_cluster, tmp_path)
    fake_format(ms.base, 0, size="16m")
    ms.start(env=ENGINE_PATH, live=True)
    wait_query(ms, lambda m: states(m) == [(0, "joined")], "rank 0 joined")
    assert ms.srv.stop() == 0
    fill = f"{ms.base}/scm0/fill"
    subprocess.run(["dd", "if=/dev/zero", f"of={fill}", "bs=1M"], capture_output=True)
    ms.start(env=ENGINE_PATH, live=True)
    mem = wait_query(ms, lambda m: states(m) == [(0, "errored")], "rank 0 errored")
    assert "No space left on device" in mem[0]["info"]
    db = f"{ms.base}/scm0/control_raft/daos_system.db"
    r = ms.dmg("system", "query")
    assert r.returncode == 1 and "Errored" in r.stdout
    assert f"system query failed: the management service cannot save its database {db} " \
        "(since " in r.stderr
    assert "No space left on device; free space on that file system; the states shown are " \
        "held only in memory and are lost if this daos_server stops" in r.stderr
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:  # three liveness rounds, each retrying the save
        time.sleep(0.5)
    assert ms.srv.read_log().count("management service: cannot save") == 1
    with open(db) as f:
        assert re.search(r"^member 0 \S+ Joined ", f.read(), re.M)
    # a rank is never given out unsaved: the join is refused and undone
    r = ms.join(uuid=UUIDS[5], uri="ofi+tcp://127.0.0.3:1", addr="127.0.0.3:1", fd="/h3")
    assert r.returncode == 1 and "cannot save its database" in r.stdout, r.stdout + r.stderr
    assert states(wait_query(ms, lambda m: True, "query")) == [(0, "errored")]
    os.unlink(fill)
    t0 = time.monotonic()
    while True:
        with open(db) as f:
            if re.search(r"^member 0 \S+ Errored ", f.read(), re.M):
                break
        assert time.monotonic() - t0 < 30, ms.srv.read_log()
        time.sleep(0.1)
    r = ms.dmg("system", "query")
    assert r.returncode == 1 and "it was written again from memory at" in r.stderr, r.stderr
    r = ms.dmg("system", "query")
    assert r.returncode == 0 and r.stderr == ""
    assert f"management service database {db} written again (1 members)" in ms.srv.read_log()


def test_superblock_of_another_system(local_cluster, tmp_path):
    """SCM formatted for another system name: the engine is not started (it
    would join this system with that system's rank), and the log says why
    and what to do."""
    ms = MS(local_cluster, tmp_path)
    mnt = fake_format(ms.base, 0, rank=3, system="other")
    ms.start(env=ENGINE_PATH, live=True)
    ms.srv.proc.wait_for_log(
        rf"instance 0: the superblock in {re.escape(mnt)} belongs to system \"other\", not to "
        r"this server's system \"daos_server\"; the engine is not started: set name: other in "
        r"daos_server.yml to serve that system, or dmg storage format --force to erase the "
        r"instance for this one")
    assert engine_pid(ms.h.socket_dir, 0) is None
    r = ms.dmg("system", "query")
    assert "Joined" not in r.stdout, r.stdout


def test_default_replica_is_this_server(local_cluster, tmp_path):
    """No mgmt_svc_replicas: the MS is this server on the port it listens on
    (it was localhost:10001 whatever the port), so its engine joins it."""
    import time
    c = local_cluster(1)
    certs = make_certs(tmp_path)
    h = c.host("local-0")
    fake_format(h.storage_dir, 0)
    srv = start_server(c, "local-0", certs=certs, extra=engines_extra(h.storage_dir, n=1),
                       env=ENGINE_PATH)
    cfg = control_yml(tmp_path / "dmg.yml", [f"127.0.0.1:{h.port}"], certs)
    deadline = time.monotonic() + WAIT
    while True:
        r = dmg("-o", cfg, "system", "query")
        if r.returncode == 0 and r.stdout.splitlines()[2:3] and \
                r.stdout.splitlines()[2].split() == ["0", "Joined"]:
            break
        assert time.monotonic() < deadline, r.stdout + r.stderr + srv.read_log()
        time.sleep(0.1)
    r = dmg("-o", cfg, "system", "leader-query")
    assert f"localhost:{h.port}" in r.stdout, r.stdout


def test_system_stop_of_an_unformatted_instance_fails(local_cluster, tmp_path):
    """An instance whose reformat did not finish (or is under way) has no
    engine: `dmg system stop` reaching it fails, naming it (it said OK and
    stopped nothing)."""
    from test_liveness import start_host
    ms = MS(local_cluster, tmp_path, nhosts=2)
    fake_format(ms.base, 0)
    ms.start(env=ENGINE_PATH)
    h1 = ms.c.host("local-1")
    ep1 = f"127.0.0.1:{h1.port}"
    bdevdir = os.path.join(h1.storage_dir, "bdev0")
    os.makedirs(bdevdir)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1100m", "tmpfs", bdevdir], check=True)
    start_host(ms, "local-1")
    r = ms.dmg("storage", "format", "-l", ep1)
    assert r.returncode == 0, r.stdout + r.stderr
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "ranks 0-1 joined")
    # 200 MiB taken from the bdev file system: the 1 GB file no longer fits
    subprocess.run(["dd", "if=/dev/zero", f"of={bdevdir}/filler", "bs=1M", "count=200"],
                   check=True, capture_output=True)
    r = ms.dmg("storage", "format", "--force", "-l", ep1)
    assert r.returncode == 1 and "not enough space for bdev file" in r.stderr, r.stderr
    r = ms.dmg("system", "stop")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "instance 0 has no formatted storage (a storage format is under way or did not " \
        "finish): there is no engine to stop; finish the format with dmg storage format" \
        in r.stdout + r.stderr, r.stdout + r.stderr


def test_errored_rank_that_fails_again_shows_the_new_reason(local_cluster, tmp_path):
    """An Errored rank that `dmg system start` cannot bring back: the MS shows
    why it failed now (it kept the first death's reason, with that engine's
    pid)."""
    ms = MS(local_cluster, tmp_path)
    fake_format(ms.base, 0)
    fake_format(ms.base, 1)
    ms.start(env=ENGINE_PATH, n=2, live=True)
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "ranks 0-1 joined")
    pid = engine_pid(ms.h.socket_dir, 1)
    os.kill(pid, signal.SIGKILL)
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "errored")],
                     "rank 1 errored")
    assert f"pid {pid}," in mem[1]["info"], mem[1]
    # the next start fails for another reason: the superblock names another system
    sb = os.path.join(ms.base, "scm1", "superblock")
    with open(sb) as f:
        text = f.read()
    with open(sb, "w") as f:
        f.write(re.sub(r"(?m)^system: .*$", "system: other", text))
    r = ms.dmg("system", "start", "-r", "1")
    assert r.returncode == 1, r.stdout + r.stderr
    mem = wait_query(ms, lambda m: 'belongs to system \\"other\\"' in json.dumps(m[1]),
                     "the new reason")
    assert f"pid {pid}," not in mem[1]["info"], mem[1]


def test_end_to_end_with_engines(local_cluster, tmp_path):
    ms = MS(local_cluster, tmp_path)
    for i in range(2):
        fake_format(ms.base, i)
    ms.start(env=ENGINE_PATH, n=2, live=True)
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "ranks 0-1 joined")
    uuids = [m["uuid"] for m in mem]
    assert mem[0]["addr"] == ms.ep and mem[1]["addr"] == ms.ep
    log = ms.srv.read_log()
    assert log.count("MS leader running on") == 1
    assert re.search(rf"rank 0 joined \({uuids[0]}, {re.escape(ms.ep)}\)", log)
    assert re.search(rf"rank 1 joined \({uuids[1]}, {re.escape(ms.ep)}\)", log)
    r = ms.dmg("system", "query")
    assert r.stdout.splitlines()[2].split() == ["[0-1]", "Joined"]

    # controlled stop (prep shutdown, then stop), then start again
    r = ms.dmg("system", "stop")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == ("Rank  Operation Result \n"
                        "----  --------- ------ \n"
                        "[0-1] stop      OK     \n\n")
    assert states(wait_query(ms, lambda m: True, "query")) == [(0, "stopped"),
                                                              (1, "stopped")]
    assert engine_pid(ms.h.socket_dir, 0) is None
    r = ms.dmg("-j", "system", "start")
    doc = json.loads(r.stdout)
    assert doc["status"] == 0 and doc["error"] is None
    assert [(x["rank"], x["action"], x["errored"], x["state"], x["addr"])
            for x in doc["response"]["Results"]] == [(0, "start", False, "joined", ms.ep),
                                                     (1, "start", False, "joined", ms.ep)]
    wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")], "rejoin")

    # an engine that dies is Errored with the reason; start brings it back
    pid = engine_pid(ms.h.socket_dir, 1)
    os.kill(pid, signal.SIGKILL)
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "errored")],
                     "rank 1 errored")
    assert "exited with status: signal: killed" in mem[1]["info"]
    r = ms.dmg("system", "query", "--not-ok")
    assert r.stdout.splitlines()[2].split() == ["1", "Errored"]
    r = ms.dmg("system", "start", "-r", "1")
    assert r.returncode == 0 and r.stdout.splitlines()[2].split() == ["1", "start", "OK"]
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "rank 1 restarted")
    assert [m["uuid"] for m in mem] == uuids

    # a restart of daos_server keeps the ranks
    assert ms.srv.stop() == 0, ms.srv.proc.read_log()[-6000:]
    ms.start(env=ENGINE_PATH, n=2, live=True)
    ms.srv.proc.wait_for_log(rf"rank 0 rejoined \({uuids[0]}, ")
    ms.srv.proc.wait_for_log(rf"rank 1 rejoined \({uuids[1]}, ")
    mem = wait_query(ms, lambda m: states(m) == [(0, "joined"), (1, "joined")],
                     "rejoin after restart")
    assert [m["uuid"] for m in mem] == uuids

    # erase: refused while ranks run; after a stop it resets the format
    r = ms.dmg("system", "erase")
    assert r.returncode == 1
    assert "system erase requires the following 2 ranks to be stopped: 0-1; run " \
        "`dmg system stop` first" in r.stderr
    r = ms.dmg("system", "stop", "--force", "--rank-hosts", "127.0.0.1")
    assert r.returncode == 0 and "[0-1] stop      OK" in r.stdout
    r = ms.dmg("system", "erase")
    assert r.returncode == 0 and r.stdout == "" and r.stderr == "", r.stdout + r.stderr
    assert not os.path.exists(os.path.join(ms.base, "scm0", "control_raft",
                                           "daos_system.db"))
    assert not os.path.exists(os.path.join(ms.base, "scm0", "superblock"))
    assert "system erased: management service database" in ms.srv.read_log()
    r = ms.dmg("system", "query")
    assert "is not formatted; run dmg storage format" in r.stderr


def test_request_and_database_errors(ms):
    ms.start()
    mnt = format_engine0(ms.base)
    # the database path exists but cannot be read as a file
    os.makedirs(os.path.join(mnt, "control_raft", "daos_system.db"))
    r = ms.dmg("system", "query")
    assert r.returncode == 1
    assert "system query failed: the management service cannot load its database: cannot " \
        "read " in r.stderr
    os.rmdir(os.path.join(mnt, "control_raft", "daos_system.db"))
    # malformed bodies
    r = rpc_call(None, None, "Join", [ms.ep], certs=ms.certs, role="server",
                 args=["--raw", "ff"])
    assert r.returncode == 1 and "malformed Join request: cannot decode its body" in r.stdout
    r = rpc_call(None, None, "SystemQuery", [ms.ep], certs=ms.certs, args=["--raw", "ff"])
    assert "malformed SystemQuery request: cannot decode its body" in r.stdout
    # another system name in dmg's configuration
    other = str(ms.tmp / "other.yml")
    with open(ms.cfg) as f, open(other, "w") as g:
        g.write(f.read().replace("name: daos_server", "name: other"))
    r = dmg("-o", other, "system", "leader-query")
    assert r.returncode == 1
    assert "request system does not match running system (other != daos_server)" in r.stderr
    # a full SCM: the change is refused and not kept in memory
    r = ms.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.1:1", addr=ms.ep)
    assert r.returncode == 0
    filler = os.path.join(mnt, "filler")
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M", "count=32"],
                   capture_output=True)
    r = ms.join(uuid=UUIDS[1], uri="ofi+tcp://127.0.0.1:2", addr=ms.ep, idx=1)
    assert r.returncode == 1
    assert "the management service cannot save its database " in r.stdout
    assert "cannot save" in ms.srv.read_log()
    os.unlink(filler)
    r = ms.dmg("-j", "system", "query")
    assert [m["rank"] for m in json.loads(r.stdout)["response"]["members"]] == [0]


def test_server_without_replicas_or_engines(local_cluster, tmp_path):
    m = MS(local_cluster, tmp_path, nhosts=2)
    # discovery mode: no engines, the default replica is this server on its port
    start_server(m.c, "local-0", certs=m.certs)
    r = m.dmg("system", "leader-query")
    assert r.returncode == 0
    assert r.stdout.startswith(f"Current Leader: localhost:{m.h.port}\n"), r.stdout
    r = m.join(uuid=UUIDS[0], rank=0, uri="ofi+tcp://x:1", addr=m.ep)
    assert r.returncode == 1
    assert "the management service is not started: " in r.stdout, r.stdout
    assert "has no engines configured; add an engines section" in r.stdout
    # a replica without engines has no storage for the MS
    h1 = m.c.host("local-1")
    ep1 = f"127.0.0.1:{h1.port}"
    start_server(m.c, "local-1", certs=m.certs, extra={"mgmt_svc_replicas": [ep1]})
    r = dmg("-o", control_yml(tmp_path / "h1.yml", [ep1], m.certs), "system", "query")
    assert r.returncode == 1
    assert "the management service is not started: " in r.stderr
    assert "has no engines configured; add an engines section" in r.stderr
