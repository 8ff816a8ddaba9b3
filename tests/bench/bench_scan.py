#!/usr/bin/python3
"""Benchmark of dmg's fan-out: `dmg storage scan` and `dmg network scan`
against N loopback control servers (tests/system/cluster.py LocalCluster,
every host on the wolf fixture), insecure and with TLS.  Prints, per case,
the median / min wall time of REPS runs, the cost per host, and the resident
memory of one idle server; first the machine's limits that matter here.

Not part of `make test` (`make bench` runs it).  Usage:
    DAOS_BUILD_DIR=build /usr/bin/python3 tests/bench/bench_scan.py [N ...]
Environment: REPS (default 5), SERVER=daos_server|rpc_tool (default
daos_server in listening mode; rpc_tool is the control RPC library's test
server, useful to separate the library's cost from the daemon's),
DMG_CONCURRENCY etc. are passed to dmg unchanged.
"""
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
import cluster  # noqa: E402

BUILD = os.environ.get("DAOS_BUILD_DIR", os.path.join(TOP, "build"))
DMG = os.path.join(BUILD, "src", "control", "dmg", "dmg")
RPC_TOOL = os.path.join(BUILD, "tests", "tools", "rpc_tool")
DAOS_SERVER = os.path.join(BUILD, "src", "control", "server", "daos_server")
FIXTURE = os.path.join(TOP, "tests", "fixtures", "hosts", "wolf")
REPS = int(os.environ.get("REPS", "5"))
SERVER = os.environ.get("SERVER", "daos_server")


def certs_dir(tmp):
    subprocess.run(["bash", os.path.join(TOP, "utils", "certs", "gen_certificates.sh"), tmp],
                   check=True, capture_output=True)
    d = os.path.join(tmp, "daosCA", "certs")
    return d


def server_argv(c, h, certs, tmp):
    if SERVER == "daos_server":
        cfg = os.path.join(tmp, f"{h}.yml")
        with open(cfg, "w") as f:
            f.write(f"name: daos_server\nport: {c.port(h)}\n"
                    f"socket_dir: {c.hosts[h].socket_dir}\n"
                    "transport_config:\n")
            if certs:
                f.write(f"  allow_insecure: false\n  ca_cert: {certs}/daosCA.crt\n"
                        f"  cert: {certs}/server.crt\n  key: {certs}/server.key\n"
                        f"  client_cert_dir: {certs}/clients\n")
            else:
                f.write("  allow_insecure: true\n")
        return [DAOS_SERVER, "start", "-o", cfg], r"listening"
    argv = [RPC_TOOL, "server", "--port", str(c.port(h))]
    if certs:
        argv += ["--ca", f"{certs}/daosCA.crt", "--cert", f"{certs}/server.crt",
                 "--key", f"{certs}/server.key", "--client-cert-dir", f"{certs}/clients"]
    else:
        argv.append("--insecure")
    return argv, r"listening on port"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def control_yml(path, certs):
    with open(path, "w") as f:
        f.write("name: daos_server\ntransport_config:\n")
        if certs:
            f.write(f"  allow_insecure: false\n  ca_cert: {certs}/daosCA.crt\n"
                    f"  cert: {certs}/admin.crt\n  key: {certs}/admin.key\n")
        else:
            f.write("  allow_insecure: true\n")
    return path


def run_case(n, certs, tmp):
    fixtures = {f"local-{i}": FIXTURE for i in range(n)}
    c = cluster.LocalCluster(n, workdir=os.path.join(tmp, f"c{n}{'s' if certs else 'i'}"),
                             fixtures=fixtures)
    try:
        procs = []
        for h in c.names:
            argv, ready = server_argv(c, h, certs, tmp)
            procs.append((c.start(h, argv), ready))
        for p, ready in procs:
            p.wait_for_log(ready, timeout=60)
        time.sleep(0.5)          # let start-up allocations settle before measuring RSS
        rss = rss_kib(procs[0][0].pid)
        cfg = control_yml(os.path.join(tmp, f"dmg{n}{'s' if certs else 'i'}.yml"), certs)
        hl = c.hostlist()
        mode = "tls" if certs else "insecure"
        for cmd in (["storage", "scan"], ["network", "scan", "-p", "all"]):
            walls = []
            for _ in range(REPS):
                t0 = time.perf_counter()
                r = subprocess.run([DMG, "-o", cfg, *cmd, "-l", hl], capture_output=True,
                                   text=True)
                walls.append(time.perf_counter() - t0)
                if r.returncode != 0:
                    print(f"  dmg {' '.join(cmd)} failed: {r.stderr[-500:]}")
                    return
                if hl.split(",")[0] not in r.stdout:
                    print("  unexpected output:", r.stdout[:300])
                    return
            med = statistics.median(walls)
            print(f"hosts={n:<4} {mode:<8} dmg {' '.join(cmd[:2]):<13} "
                  f"wall median={med * 1000:7.1f} ms min={min(walls) * 1000:7.1f} ms "
                  f"per-host={med / n * 1e6:6.0f} us")
        print(f"hosts={n:<4} {mode:<8} idle {os.path.basename(procs[0][0].argv[0])} "
              f"RSS={rss} KiB ({rss / 1024:.1f} MiB)")
    finally:
        c.teardown()


def limits():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    with open("/proc/meminfo") as f:
        mem = f.readline().split()[1]
    print(f"machine: cpus={os.cpu_count()} mem={int(mem) // 1024} MiB "
          f"nofile={soft}/{hard} dmg concurrency={os.environ.get('DMG_CONCURRENCY', 64)} "
          f"server={SERVER} reps={REPS}")


def main():
    sizes = [int(a) for a in sys.argv[1:]] or [64, 256]
    limits()
    with tempfile.TemporaryDirectory(prefix="bench_scan.") as tmp:
        certs = certs_dir(os.path.join(tmp, "ca"))
        for n in sizes:
            for cs in (None, certs):
                run_case(n, cs, tmp)


if __name__ == "__main__":
    main()
