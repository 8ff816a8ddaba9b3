#!/usr/bin/python3
"""Benchmark of the system's start-up paths on four namespace hosts with two
engines each (tests/system/cluster.py NetnsCluster, emulated storage: tmpfs
SCM + sparse file bdev, ofi+tcp on each host's eth0, TLS everywhere):

  format -> Joined   `dmg storage format` issued until `dmg system query`
                     shows all 8 ranks Joined (servers waiting in
                     maintenance mode beforehand)
  reformat -> Joined `dmg storage format --force` on the running system
                     until 8 Joined again (engines stopped, storage
                     reformatted, a new system)
  restart -> Joined  every daos_server stopped (SIGTERM) and started again on
                     formatted storage until 8 Joined with new engine
                     incarnations
  memory             resident set of each daos_server and of each idle engine

Joined is observed by polling `dmg system query -j` from one host every
POLL seconds, so each figure includes up to one poll interval and one dmg
round trip (a TLS handshake; see bench_scan.py for that cost).  Prints
median and min of REPS runs.  Not part of `make test` (`make bench` runs it).

Usage: DAOS_BUILD_DIR=build /usr/bin/python3 tests/bench/bench_system.py
Environment: REPS (default 3), POLL (default 0.05).
"""
import json
import os
import statistics
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
os.environ["DAOS_BUILD_DIR"] = os.path.abspath(os.environ.get("DAOS_BUILD_DIR", os.path.join(TOP, "build")))
import cluster  # noqa: E402
import daos_helpers  # noqa: E402
import yaml  # noqa: E402

BUILD = os.environ["DAOS_BUILD_DIR"]
DMG = os.path.join(BUILD, "src", "control", "dmg", "dmg")
HOSTS = ["wolf-1", "wolf-2", "wolf-3", "wolf-4"]
ENGINES = 2
REPS = int(os.environ.get("REPS", "3"))
POLL = float(os.environ.get("POLL", "0.05"))
LIMIT = 120  # seconds; only reached when something is broken


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def engine_pids(base):
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0")]
        except OSError:
            continue
        if argv and argv[0].endswith("daos_engine") and "-s" in argv and \
                argv[argv.index("-s") + 1].startswith(base):
            pids.append(int(p))
    return pids


class Bench:
    def __init__(self, tmp):
        self.c = cluster.NetnsCluster(HOSTS, workdir=os.path.join(tmp, "cluster"))
        self.certs = daos_helpers.make_certs(os.path.join(tmp, "certs"))
        self.cfg = os.path.join(tmp, "daos_control.yml")
        with open(self.cfg, "w") as f:
            yaml.safe_dump({"name": "daos_server", "port": self.c.host(HOSTS[0]).port,
                            "hostlist": ["wolf-[1-4]"],
                            "transport_config": self.certs.transport("admin")}, f)
        self.configs = {}
        for h in HOSTS:
            host = self.c.host(h)
            extra = daos_helpers.engines_extra(os.path.join(host.dir, "storage"), n=ENGINES,
                                               iface="eth0",
                                               replicas=[f"wolf-1:{host.port}"])
            self.configs[h] = daos_helpers.server_config(
                os.path.join(host.dir, "daos_server.yml"), host.port, host.socket_dir,
                certs=self.certs, extra=extra)
        self.servers = {}

    def dmg(self, *args, check=True):
        r = self.c.run(HOSTS[0], [DMG, "-o", self.cfg, *args], timeout=LIMIT)
        if check and r.returncode != 0:
            raise RuntimeError(f"dmg {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
        return r

    def joined(self, exclude_uuids=(), exclude_incarnations=()):
        """All ranks Joined, none with an old engine UUID or an old engine
        incarnation (a restarted engine has a new one; the MS keeps showing
        the last state it knew until then)."""
        r = self.dmg("system", "query", "-j", check=False)
        if r.returncode != 0:
            return False
        ms = json.loads(r.stdout)["response"]["members"] or []
        return len(ms) == len(HOSTS) * ENGINES and \
            all(m["state"].lower() == "joined" and m["uuid"] not in exclude_uuids and
                m["incarnation"] not in exclude_incarnations for m in ms)

    def members(self):
        r = self.dmg("system", "query", "-j")
        return json.loads(r.stdout)["response"]["members"]

    def uuids(self):
        return {m["uuid"] for m in self.members()}

    def wait_joined(self, t0, **kw):
        while not self.joined(**kw):
            if time.monotonic() - t0 > LIMIT:
                logs = "\n".join(s.read_log()[-2000:] for s in self.servers.values())
                raise RuntimeError(f"ranks did not join within {LIMIT} s\n{logs}")
            time.sleep(POLL)
        return time.monotonic() - t0

    def start_all(self, wait_line):
        for h in HOSTS:
            self.servers[h] = daos_helpers.start_server(
                self.c, h, config=self.configs[h], wait=False, env=daos_helpers.ENGINE_PATH)
        for s in self.servers.values():
            s.proc.wait_for_log(wait_line, timeout=LIMIT)

    def stop_all(self):
        for s in self.servers.values():
            s.stop()

    def close(self):
        self.c.teardown()


def fmt(xs):
    return f"median {statistics.median(xs) * 1000:7.0f} ms   min {min(xs) * 1000:7.0f} ms"


def main():
    with tempfile.TemporaryDirectory(prefix="bench-system-") as tmp:
        b = Bench(tmp)
        try:
            first, reformat, restart = [], [], []
            b.start_all("SCM format required on instance 1")
            t0 = time.monotonic()
            b.dmg("storage", "format")
            first.append(b.wait_joined(t0))
            srv_rss = [rss_kib(s.proc.pid) for s in b.servers.values()]
            eng_rss = [rss_kib(p) for h in HOSTS for p in engine_pids(b.c.host(h).dir)]
            for _ in range(REPS):
                old = b.uuids()
                t0 = time.monotonic()
                b.dmg("storage", "format", "--force")
                reformat.append(b.wait_joined(t0, exclude_uuids=old))
            for _ in range(REPS):
                old = {m["incarnation"] for m in b.members()}
                b.stop_all()
                t0 = time.monotonic()
                b.start_all("listening on")
                restart.append(b.wait_joined(t0, exclude_incarnations=old))
            print(f"system: {len(HOSTS)} namespace hosts x {ENGINES} engines "
                  f"(1 target each, tmpfs SCM + file bdev, ofi+tcp, TLS); "
                  f"{os.cpu_count()} cores; poll every {POLL * 1000:.0f} ms")
            print(f"format   -> 8 Joined  {fmt(first)}   (1 run; goal < 3 s)")
            print(f"reformat -> 8 Joined  {fmt(reformat)}   ({REPS} runs of --force)")
            print(f"restart  -> 8 Joined  {fmt(restart)}   ({REPS} runs; goal < 2 s)")
            print(f"daos_server RSS       median {statistics.median(srv_rss) / 1024:.1f} MiB "
                  f"(max {max(srv_rss) / 1024:.1f})")
            print(f"idle daos_engine RSS  median {statistics.median(eng_rss) / 1024:.1f} MiB "
                  f"(max {max(eng_rss) / 1024:.1f}, {len(eng_rss)} engines)")
        finally:
            b.stop_all()
            b.close()


if __name__ == "__main__":
    main()
