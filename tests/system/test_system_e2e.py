"""The guide's deployment workflow end to end on four namespace hosts with
two engines each.

Hosts start in listening mode on the wolf hardware fixture (2 NUMA nodes,
PMem, NVMe, fabric) so that `dmg config generate` sees server hardware; the
generated configuration is written to each host with its storage swapped for
emulated storage (tmpfs SCM + a sparse file bdev, as the fixture's PMem and
NVMe do not exist) and its fabric interface for the host's real `eth0`, and
the hosts restart on the real machine.  Then: maintenance mode, `dmg storage
format`, 8 ranks Joined, kill -9 of an engine, `dmg system stop/start`, a
daos_server restart keeping ranks and SCM content, a format of running
engines touching nothing, and a `--force` reformat.  Every process is real:
daos_server, daos_engine and dmg with TLS.
"""
import json
import os
import re
import signal
import time

import pytest
import yaml

import daos_helpers
from conftest import BINARIES, TOP

DMG = BINARIES["dmg"]
HOSTS = ["wolf-1", "wolf-2", "wolf-3", "wolf-4"]
FIX = os.path.join(TOP, "tests", "fixtures", "hosts", "wolf")
# Bound for the system to converge; only reached when something is broken.
CONVERGE = 90


def run_dmg(c, cfg, *args, host="wolf-1", check=True):
    r = c.run(host, [DMG, "-o", cfg, *args], timeout=120)
    if check:
        assert r.returncode == 0, f"dmg {' '.join(args)}:\n{r.stdout}\n{r.stderr}"
    return r


def members(c, cfg):
    r = run_dmg(c, cfg, "system", "query", "-j", check=False)
    if r.returncode != 0:
        return None
    return json.loads(r.stdout)["response"]["members"] or []


def wait_members(c, cfg, want, n=8, servers=()):
    """Poll `dmg system query -j` until `want(members)` holds."""
    deadline = time.monotonic() + CONVERGE
    last = None
    while time.monotonic() < deadline:
        last = members(c, cfg)
        if last is not None and len(last) == n and want(last):
            return last
        for s in servers:
            assert s.proc.running, f"daos_server on {s.host.name} exited:\n{s.read_log()}"
        time.sleep(0.2)
    logs = "\n".join(f"--- {s.host.name}\n{s.read_log()[-3000:]}" for s in servers)
    raise AssertionError(f"system did not converge; last members: {last}\n{logs}")


def all_in(state):
    return lambda ms: all(m["state"].lower() == state.lower() for m in ms)


def engine_pids(server):
    """{engine index: pid} of the daos_engine processes in the network
    namespace of `server` (a daos_helpers.Server)."""
    netns = os.stat(f"/proc/{server.proc.pid}/ns/net").st_ino
    pids = {}
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if not argv or not argv[0].endswith(b"daos_engine"):
            continue
        args = [a.decode() for a in argv]
        try:
            if os.stat(f"/proc/{p}/ns/net").st_ino != netns:
                continue
        except OSError:
            continue
        pids[int(args[args.index("-I") + 1])] = int(p)
    return pids


# Storage paths are the same on every host, as in a real deployment: they
# are under the host's own /run, and each host mounts its SCM tmpfs in its own
# mount namespace.
BASE = "/run/daos"


def write_host_config(h, generated, certs):
    """The generated config with TLS material and emulated storage under
    BASE; returns the path."""
    cfg = yaml.safe_load(generated)
    base = BASE
    cfg["socket_dir"] = h.socket_dir
    # The control log goes to stderr, i.e. the process log the harness keeps.
    cfg.pop("control_log_file", None)
    cfg["transport_config"] = certs.transport("server")
    cfg["provider"] = "ofi+tcp"
    cfg.pop("helper_log_file", None)
    cfg.pop("telemetry_port", None)
    engines = []
    for i, gen in enumerate(cfg["engines"]):
        e = daos_helpers.engine_section(base, i, iface="eth0",
                                        fabric_port=gen["fabric_iface_port"])
        e["log_file"] = os.path.join(BASE, f"daos_engine.{i}.log")
        engines.append(e)
    cfg["engines"] = engines
    path = os.path.join(h.dir, "daos_server.yml")
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


@pytest.fixture
def system(netns_cluster, tmp_path):
    c = netns_cluster(HOSTS, fixtures={h: FIX for h in HOSTS})
    certs = daos_helpers.make_certs(str(tmp_path / "certs"))
    cfg = str(tmp_path / "daos_control.yml")
    with open(cfg, "w") as f:
        yaml.safe_dump({"name": "daos_server", "port": c.host("wolf-1").port,
                        "hostlist": ["wolf-[1-4]"],
                        "transport_config": certs.transport("admin")}, f)
    servers = {h: daos_helpers.start_server(c, h, certs=certs) for h in HOSTS}
    yield c, cfg, certs, servers
    for h in HOSTS:
        c.stop_all()


def restart(c, servers, configs, expect_format):
    for h in HOSTS:
        servers[h].stop()
    for h in HOSTS:
        servers[h] = daos_helpers.start_server(c, h, config=configs[h], wait=False,
                                               env=daos_helpers.ENGINE_PATH)
    for h in HOSTS:
        s = servers[h]
        line = "SCM format required on instance 1"
        if expect_format:
            s.proc.wait_for_log(line, timeout=CONVERGE)
        else:
            assert line not in s.read_log()
    return servers


def test_deployment_workflow(system):
    c, cfg, certs, servers = system

    # 1. listening mode -> dmg config generate for the four hosts
    r = run_dmg(c, cfg, "config", "generate", "-a", "wolf-1", "--use-tmpfs-scm")
    gen = yaml.safe_load(r.stdout)
    assert gen["mgmt_svc_replicas"] == [f"wolf-1:{c.host('wolf-1').port}"]
    assert len(gen["engines"]) == 2

    # 2. configs written, restart on the real machine: maintenance mode
    configs = {h: write_host_config(c.host(h), r.stdout, certs) for h in HOSTS}
    for h in HOSTS:
        c.host(h).fixture = None
    servers = restart(c, servers, configs, expect_format=True)

    # 3. format -> 8 ranks joined, bootstrap engine is rank 0
    r = run_dmg(c, cfg, "storage", "format")
    assert re.search(r"wolf-\[1-4\]\s+2\s+2", r.stdout), r.stdout
    ms = wait_members(c, cfg, all_in("Joined"), servers=servers.values())
    assert sorted(m["rank"] for m in ms) == list(range(8))
    by_rank = {m["rank"]: (m["uuid"], m["addr"]) for m in ms}
    assert by_rank[0][1].startswith(c.host("wolf-1").address + ":")
    for h in HOSTS:
        assert "DAOS I/O Engine" in servers[h].read_log()

    # 4. kill -9 of one engine: its rank shows Errored; system start restarts it
    wolf3 = c.host("wolf-3")
    pid = engine_pids(servers["wolf-3"])[1]
    victim = next(m["rank"] for m in ms if m["addr"].startswith(wolf3.address + ":") and
                  m["uuid"] == superblock_uuid(c, wolf3, 1))
    os.kill(pid, signal.SIGKILL)
    wait_members(c, cfg, lambda ms: {m["rank"]: m["state"] for m in ms}[victim] == "errored",
                 servers=servers.values())
    run_dmg(c, cfg, "system", "start", "-r", str(victim))
    ms = wait_members(c, cfg, all_in("Joined"), servers=servers.values())
    assert {m["rank"]: (m["uuid"], m["addr"]) for m in ms} == by_rank

    # 5. system stop / start
    r = run_dmg(c, cfg, "system", "stop")
    wait_members(c, cfg, all_in("Stopped"), servers=servers.values())
    assert all(not engine_pids(servers[h]) for h in HOSTS)
    run_dmg(c, cfg, "system", "start")
    ms = wait_members(c, cfg, all_in("Joined"), servers=servers.values())
    assert {m["rank"]: (m["uuid"], m["addr"]) for m in ms} == by_rank

    # 6. daos_server restart: no maintenance mode, same ranks, SCM content kept
    marker = os.path.join(BASE, "scm0", "marker")
    c.run("wolf-3", ["sh", "-c", f"echo kept > {marker}"], check=True)
    servers = restart(c, servers, configs, expect_format=False)
    ms = wait_members(c, cfg, all_in("Joined"), servers=servers.values())
    assert {m["rank"]: (m["uuid"], m["addr"]) for m in ms} == by_rank
    assert c.run("wolf-3", ["cat", marker]).stdout == "kept\n"

    # 7. format of running, formatted engines without --force touches nothing
    r = run_dmg(c, cfg, "storage", "format", "-v", check=False)
    assert "already formatted" in r.stdout + r.stderr, r.stdout + r.stderr
    ms = wait_members(c, cfg, all_in("Joined"), servers=servers.values())
    assert {m["rank"]: (m["uuid"], m["addr"]) for m in ms} == by_rank
    assert c.run("wolf-3", ["cat", marker]).stdout == "kept\n"

    # 8. --force: engines stopped, storage reformatted (new engine UUIDs, SCM
    # emptied), a new system of 8 ranks
    run_dmg(c, cfg, "storage", "format", "--force")
    ms = wait_members(c, cfg, lambda ms: all_in("Joined")(ms) and
                      not {m["uuid"] for m in ms} & {u for u, _ in by_rank.values()},
                      servers=servers.values())
    assert sorted(m["rank"] for m in ms) == list(range(8))
    assert c.run("wolf-3", ["cat", marker]).returncode != 0


def superblock_uuid(c, h, idx):
    """Engine UUID in the superblock of engine idx of host h (the tmpfs is
    mounted in the host's mount namespace only)."""
    r = c.run(h.name, ["cat", os.path.join(BASE, f"scm{idx}", "superblock")],
              check=True)
    return yaml.safe_load(r.stdout)["uuid"]
