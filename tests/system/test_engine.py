"""daos_engine as a process: options and environment, core accounting and
pinning, the fabric endpoint, and the dRPC exchange with daos_server
(played by tests/tools/drpc_peer): NotifyReady, SetRank, SetUp, banner,
PrepShutdown, clean exit on SIGTERM/SIGINT."""
import os
import queue
import re
import signal
import socket
import subprocess
import threading

import pytest

from conftest import BINARIES, BUILD, run_bin
from daos_helpers import free_port

ENGINE = BINARIES["daos_engine"]
PEER = os.path.join(BUILD, "tests", "tools", "drpc_peer")
WAIT = 60  # generous bound for a hung process, not a timing assumption
BANNER = re.compile(
    r"^DAOS I/O Engine \(v(\d+\.\d+\.\d+)\) process (\d+) started on rank (\d+) with (\d+) "
    r"target, (\d+) helper XS, firstcore (\d+), host (\S+)\.$")


def phys_cores():
    """CPU lists of the physical cores, in the order hwloc numbers them."""
    cores = set()
    base = "/sys/devices/system/cpu"
    for d in os.listdir(base):
        f = os.path.join(base, d, "topology", "core_cpus_list")
        if re.fullmatch(r"cpu\d+", d) and os.path.exists(f):
            with open(f) as fh:
                cores.add(fh.read().strip())
    return sorted(cores, key=lambda c: int(re.split(r"[-,]", c)[0]))


class Lines:
    """Collects a pipe's lines on a thread so reads can be bounded."""

    def __init__(self, pipe):
        self.q = queue.Queue()
        self.seen = []
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        for line in pipe:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def until(self, pattern):
        """Lines up to the first matching `pattern`; fails at EOF."""
        rx = re.compile(pattern)
        while True:
            line = self.q.get(timeout=WAIT)
            if line is None:
                raise AssertionError(f"EOF before /{pattern}/; got {self.seen}")
            self.seen.append(line)
            if rx.search(line):
                return line

    def rest(self):
        self.t.join(WAIT)
        while True:
            line = self.q.get(timeout=WAIT)
            if line is None:
                return self.seen
            self.seen.append(line)


def engine_env(tmp_path, **kw):
    env = {"D_INTERFACE": "lo", "D_PORT": str(free_port()), "D_PROVIDER": "ofi+tcp",
           "D_LOG_FILE": str(tmp_path / "engine.log"), "D_LOG_MASK": "DEBUG",
           "DAOS_TARGET_OVERSUBSCRIBE": "1"}
    env.update(kw)
    return {k: v for k, v in env.items() if v is not None}


def start_peer(sockdir, *args):
    p = subprocess.Popen([PEER, str(sockdir), *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    lines = Lines(p.stdout)
    lines.until(r"^listening ")
    return p, lines


def start_engine(args, env):
    full = dict(os.environ)
    for k in ("D_INTERFACE", "D_PORT", "D_PROVIDER", "D_LOG_FILE", "D_LOG_MASK",
              "DAOS_TARGET_OVERSUBSCRIBE"):
        full.pop(k, None)
    full.update(env)
    p = subprocess.Popen([ENGINE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=full)
    return p, Lines(p.stdout)


def run_engine(args, env):
    full = {k: "" for k in ("D_INTERFACE", "D_PORT", "D_PROVIDER", "D_LOG_FILE", "D_LOG_MASK",
                            "DAOS_TARGET_OVERSUBSCRIBE")}
    full.update(env)
    return run_bin("daos_engine", *args, env=full, timeout=WAIT)


def xs_cpus(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            comm = f.read().strip()
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            m = re.search(r"^Cpus_allowed_list:\s*(\S+)$", f.read(), re.M)
        out[comm] = m.group(1)
    return out


def expected_cpus(first, targets, helpers, ncores):
    """The placement of engine.h: XS0, SWIM+dRPC, then targets/helpers."""
    cores = phys_cores()
    n = ncores or len(cores)
    helpers = min(helpers, 2 * targets)
    slots = [("daos_sys_0", 0), ("daos_swim", 1), ("daos_drpc", 1)]
    slot = 2
    per = helpers // targets if helpers % targets == 0 else 0
    h = 0
    for t in range(targets):
        slots.append((f"daos_io_{t}", slot))
        slot += 1
        for _ in range(per):
            slots.append((f"daos_off_{h}", slot))
            slot += 1
            h += 1
    while h < helpers:
        slots.append((f"daos_off_{h}", slot))
        slot += 1
        h += 1
    return {name: cores[(first + s) % n] for name, s in slots}


def stop(eng, sig=signal.SIGTERM):
    eng.send_signal(sig)
    eng.wait(WAIT)
    return eng.returncode


def test_engine_full_start(tmp_path):
    env = engine_env(tmp_path)
    peer, plines = start_peer(tmp_path, "--rank", "3", "--map-version", "7", "--prep-shutdown")
    eng, elines = start_engine(["-t", "2", "-x", "1", "-d", str(tmp_path), "-I", "1",
                                "-g", "daos_server"], env)
    try:
        assert elines.until("core allocation") == "Using legacy core allocation algorithm"
        banner = elines.until(r"^DAOS I/O Engine")
        m = BANNER.match(banner)
        assert m, banner
        assert m.group(2) == str(eng.pid)
        assert m.groups()[2:] == ("3", "2", "1", "0", socket.gethostname())
        peer.wait(WAIT)
        out = plines.rest()
        assert peer.returncode == 0, out
        nr = [line for line in out if line.startswith("NotifyReady ")]
        assert len(nr) == 1
        f = dict(kv.split("=", 1) for kv in nr[0].split()[1:])
        assert f["uri"] == f"ofi+tcp://127.0.0.1:{env['D_PORT']}"
        assert f["nctxs"] == "5"  # 2 + targets + min(helpers, targets)
        sock = str(tmp_path / f"daos_engine_{eng.pid}.sock")
        assert f["drpcListenerSock"] == sock
        assert (f["instanceIdx"], f["ntgts"], f["check_mode"]) == ("1", "2", "0")
        assert int(f["incarnation"]) > 0
        assert "SetRank status=SUCCESS daos_status=0" in out
        assert "SetUp status=SUCCESS daos_status=0" in out
        assert "PrepShutdown status=SUCCESS daos_status=0" in out
        assert os.path.exists(sock)
        assert oct(os.stat(sock).st_mode & 0o777) == "0o600"
        ncores = len(phys_cores())
        got = xs_cpus(eng.pid)
        for name, cpus in expected_cpus(0, 2, 1, ncores).items():
            assert got[name] == cpus, (name, got)
    finally:
        rc = stop(eng)
    assert rc == 0, eng.stderr.read()
    assert not os.path.exists(sock)
    log = (tmp_path / "engine.log").read_text()
    assert "Using legacy core allocation algorithm" in log
    assert banner in log
    assert "SetRank: rank 3, map version 7" in log
    assert "PrepShutdown received" in log
    assert "received signal" in log


def test_engine_numa_mode_and_no_helpers(tmp_path):
    env = engine_env(tmp_path)
    peer, plines = start_peer(tmp_path, "--rank", "0")
    eng, elines = start_engine(["-t", "1", "-x", "0", "-p", "0", "-d", str(tmp_path)], env)
    try:
        assert elines.until("core allocation") == "Using NUMA core allocation algorithm"
        m = BANNER.match(elines.until(r"^DAOS I/O Engine"))
        assert m and m.group(3) == "0" and m.group(5) == "0"
        assert elines.until(r"^Using NUMA node") == "Using NUMA node: 0"
        got = xs_cpus(eng.pid)
        for name, cpus in expected_cpus(0, 1, 0, None).items():
            assert got[name] == cpus, (name, got)
        peer.wait(WAIT)
    finally:
        rc = stop(eng, signal.SIGINT)
    assert rc == 0
    log = (tmp_path / "engine.log").read_text()
    assert "Suggest to config at least 1 helper XS per DAOS engine" in log
    assert "Using NUMA node: 0" in log


def test_engine_first_core_offset_and_per_target_helpers(tmp_path):
    if len(phys_cores()) < 2:
        pytest.skip("needs 2 cores")
    env = engine_env(tmp_path)
    peer, _ = start_peer(tmp_path)
    eng, elines = start_engine(["-t", "2", "-x", "2", "-f", "1", "-d", str(tmp_path)], env)
    try:
        m = BANNER.match(elines.until(r"^DAOS I/O Engine"))
        assert m and m.group(5) == "2" and m.group(6) == "1"
        got = xs_cpus(eng.pid)
        exp = expected_cpus(1, 2, 2, None)
        assert set(exp) <= set(got)
        for name, cpus in exp.items():
            assert got[name] == cpus, (name, got)
        # helpers % targets == 0: each target's helper follows it
        assert exp["daos_off_0"] != exp["daos_io_0"]
        peer.wait(WAIT)
    finally:
        assert stop(eng) == 0


def test_engine_helpers_capped(tmp_path):
    env = engine_env(tmp_path)
    peer, _ = start_peer(tmp_path)
    eng, elines = start_engine(["-t", "1", "-x", "5", "-d", str(tmp_path)], env)
    try:
        m = BANNER.match(elines.until(r"^DAOS I/O Engine"))
        assert m and m.group(5) == "2"
        peer.wait(WAIT)
    finally:
        assert stop(eng) == 0
    log = (tmp_path / "engine.log").read_text()
    assert "#nr_xs_helpers(5) cannot exceed 2 times #targets (2 x 1 = 2)" in log


def test_engine_too_few_cores(tmp_path):
    n = len(phys_cores())
    env = engine_env(tmp_path, DAOS_TARGET_OVERSUBSCRIBE=None)
    r = run_engine(["-t", str(n), "-x", "1", "-d", str(tmp_path), "-I", "0"], env)
    assert r.returncode == 1
    assert (f"cannot start engine with {n} targets 1 xs_helpers on {n} cores, may try with "
            "DAOS_TARGET_OVERSUBSCRIBE=1") in r.stderr
    # "0" is not the documented switch either
    env["DAOS_TARGET_OVERSUBSCRIBE"] = "0"
    assert run_engine(["-t", str(n), "-x", "1", "-d", str(tmp_path)], env).returncode == 1


def test_engine_oversubscribed_starts(tmp_path):
    n = len(phys_cores())
    env = engine_env(tmp_path)
    peer, _ = start_peer(tmp_path)
    eng, elines = start_engine(["-t", str(n + 1), "-x", "1", "-d", str(tmp_path)], env)
    try:
        m = BANNER.match(elines.until(r"^DAOS I/O Engine"))
        assert m and m.group(4) == str(n + 1)
        got = xs_cpus(eng.pid)
        for name, cpus in expected_cpus(0, n + 1, 1, None).items():
            assert got[name] == cpus, (name, got)
        peer.wait(WAIT)
    finally:
        assert stop(eng) == 0
    assert "oversubscribe" in (tmp_path / "engine.log").read_text()


@pytest.mark.parametrize("args,env,msg", [
    ([], {}, "missing -t (targets)"),
    (["-t", "abc"], {}, 'invalid -t (targets) "abc"'),
    (["-c", "-1"], {}, 'invalid -c (targets) "-1"'),
    (["-t", "1", "-x", "1x"], {}, 'invalid -x (helper xstreams) "1x"'),
    (["-t", "1", "-g", "a" * 16], {}, "invalid -g (group)"),
    (["-t", "1", "-q"], {}, "unknown option -q"),
    (["-t"], {}, "option -t needs a value"),
    (["-t", "1", "extra"], {}, 'unexpected argument "extra"'),
    (["-t", "1", "-T", "9"], {}, 'invalid -T (storage tiers) "9"'),
    (["-t", "1", "-I", "x"], {}, 'invalid -I (instance index) "x"'),
    (["-t", "1", "-r", "1.5"], {}, 'invalid -r (memory size MiB) "1.5"'),
    (["-t", "1", "-H", ""], {}, 'invalid -H (huge page size MiB) ""'),
    (["-t", "1", "-S", "x"], {}, 'invalid -S context count "x"'),
    (["-t", "1", "-S", ","], {}, "expected comma-separated counts"),
    (["-t", "1", "-S", "1,1,1,1,1,1,1,1,1"], {}, "at most 8 secondary providers"),
    (["-t", "1", "-S", "2", "-I", "3"], {}, "engine 3: -S names 1 secondary provider"),
    (["-t", "1", "-I", "2"], {"D_PROVIDER": ""}, "engine 2: D_PROVIDER and D_INTERFACE"),
    (["-t", "1"], {"D_INTERFACE": ""}, "D_PROVIDER and D_INTERFACE must be set"),
    (["-t", "1"], {"D_PORT": "99999"}, 'invalid D_PORT "99999"'),
    (["-t", "1"], {"D_LOG_MASK": "BOGUS"}, "invalid D_LOG_MASK"),
    (["-t", "1"], {"D_LOG_FILE": "/nonexistent-dir/x.log"},
     "cannot open D_LOG_FILE /nonexistent-dir/x.log"),
    (["-t", "1", "-p", "77"], {}, "invalid -p (pinned NUMA node) 77"),
    (["-t", "1", "-f", "4096"], {}, "invalid -f (first core) 4096"),
    (["-t", "1", "-I", "2"], {"D_PROVIDER": "ofi+bogus"},
     'engine 2: fabric provider "ofi+bogus" (D_PROVIDER) is not available'),
    (["-t", "1", "-I", "1"], {"D_PROVIDER": "ucx+tcp"},
     'engine 1: unsupported fabric provider "ucx+tcp"'),
    (["-t", "1", "-I", "1"], {"D_INTERFACE": "nosuch0"},
     'engine 1: fabric interface "nosuch0" (D_INTERFACE) does not exist'),
])
def test_engine_start_errors(tmp_path, args, env, msg):
    full = engine_env(tmp_path)
    full.update(env)
    r = run_engine([*args, "-d", str(tmp_path)] if args != ["-t"] else args, full)
    assert r.returncode == 1, r
    assert r.stderr.startswith("daos_engine: ")
    assert msg in r.stderr, r.stderr
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".sock")]


def test_engine_no_daos_server(tmp_path):
    r = run_engine(["-t", "1", "-x", "1", "-d", str(tmp_path), "-I", "4"], engine_env(tmp_path))
    assert r.returncode == 1
    assert "engine 4: cannot reach daos_server over dRPC" in r.stderr
    assert str(tmp_path / "daos_server.sock") in r.stderr
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".sock")]


def test_engine_notify_ready_refused(tmp_path):
    peer, _ = start_peer(tmp_path, "--refuse")
    r = run_engine(["-t", "1", "-x", "1", "-d", str(tmp_path)], engine_env(tmp_path))
    peer.wait(WAIT)
    assert r.returncode == 1
    assert "refused NotifyReady: FAILURE" in r.stderr
    assert not [p for p in os.listdir(tmp_path) if p.startswith("daos_engine_")]


def test_engine_setup_before_rank_and_bad_calls(tmp_path):
    env = engine_env(tmp_path)
    peer, plines = start_peer(tmp_path, "--no-set-rank", "--unknown-method", "--bad-body")
    eng, elines = start_engine(["-t", "1", "-x", "1", "-d", str(tmp_path)], env)
    try:
        elines.until("core allocation")
        peer.wait(WAIT)
        out = plines.rest()
        assert "Unknown status=UNKNOWN_METHOD daos_status=0" in out
        assert "SetRank status=FAILED_UNMARSHAL_PAYLOAD daos_status=0" in out
        assert "SetUp status=SUCCESS daos_status=-1015" in out  # -DER_UNINIT
    finally:
        assert stop(eng) == 0
    assert not any(BANNER.match(line) for line in elines.rest())
    log = (tmp_path / "engine.log").read_text()
    assert "SetUp before SetRank refused" in log
    assert "SetRank: cannot decode" in log


def test_engine_eth0_uri(tmp_path):
    try:
        import fcntl
        import struct
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", b"eth0"))
        ip = socket.inet_ntoa(packed[20:24])
    except OSError:
        pytest.skip("no IPv4 eth0")
    env = engine_env(tmp_path, D_INTERFACE="eth0", D_PROVIDER="ofi+tcp;ofi_rxm")
    peer, plines = start_peer(tmp_path)
    eng, elines = start_engine(["-t", "1", "-x", "1", "-d", str(tmp_path)], env)
    try:
        elines.until(r"^DAOS I/O Engine")
        peer.wait(WAIT)
        nr = [line for line in plines.rest() if line.startswith("NotifyReady ")][0]
        assert f"uri=ofi+tcp;ofi_rxm://{ip}:{env['D_PORT']} " in nr
    finally:
        assert stop(eng) == 0


def test_engine_help():
    r = run_bin("daos_engine", "--help")
    assert r.returncode == 0
    assert r.stdout.startswith("Usage: daos_engine [options]")
    for flag in ("-t, --targets", "-x, --xshelpernr", "-p, --pinned_numa_node", "-S,"):
        assert flag in r.stdout
