"""`daos_agent` / `daos_agent start`: the client node's daemon as a process
(issue "daos_agent", the daemon part): configuration and flags, upstream's
start and listening lines, its socket, systemd readiness, signals, a
runtime directory it cannot use, a stale socket, another agent, and a run
as an unprivileged user."""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time

import pytest

from conftest import BINARIES

AGENT = BINARIES["daos_agent"]
WAIT = 30  # bound for a hung process, not a timing assumption


@pytest.fixture
def work():
    """A directory every user may traverse (pytest's tmp_path is root's 0700)."""
    d = tempfile.mkdtemp(prefix="daos-agent-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


def config(work, runtime_dir=None, extra=""):
    run = runtime_dir or os.path.join(work, "run")
    os.makedirs(run, exist_ok=True)
    path = os.path.join(work, "daos_agent.yml")
    with open(path, "w") as f:
        f.write(f"name: daos_server\naccess_points: ['localhost:10001']\nruntime_dir: {run}\n"
                f"transport_config:\n  allow_insecure: true\n{extra}")
    os.chmod(path, 0o644)
    return path, os.path.join(run, "daos_agent.sock")


class Agent:
    def __init__(self, work, args, env=None, user=None):
        self.log = os.path.join(work, f"agent.{time.monotonic_ns()}.log")
        argv = [AGENT, *args]
        if user is not None:
            argv = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *argv]
        with open(self.log, "w") as out:
            self.p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                      env=dict(os.environ, **(env or {})))

    def text(self):
        with open(self.log) as f:
            return f.read()

    def wait_for(self, pattern):
        deadline = time.monotonic() + WAIT
        while True:
            m = re.search(pattern, self.text(), re.M)
            if m:
                return m
            assert self.p.poll() is None, f"agent exited {self.p.returncode}:\n{self.text()}"
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.02)

    def stop(self, sig=signal.SIGTERM):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        return self.p.wait(timeout=WAIT)


def listening(sock):
    return rf"^INFO \S+ \S+ daos_agent: DAOS Agent v\S+ \(pid \d+\) listening on {re.escape(sock)}$"


@pytest.mark.parametrize("args", [[], ["start"]])
def test_starts_listens_and_stops_cleanly(work, args):
    cfg, sock = config(work)
    a = Agent(work, ["-o", cfg, *args])
    a.wait_for(listening(sock))
    assert re.search(rf"^INFO \S+ \S+ daos_agent: Starting DAOS Agent v\S+ \(pid {a.p.pid}\)$",
                     a.text(), re.M), a.text()
    st = os.stat(sock)
    assert stat.S_ISSOCK(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o666
    # SIGPIPE ignored; SIGUSR2 refreshes the caches; SIGUSR1 is not fatal
    with open(f"/proc/{a.p.pid}/status") as f:
        ign = int(re.search(r"^SigIgn:\s+(\S+)", f.read(), re.M).group(1), 16)
    assert ign & (1 << (signal.SIGPIPE - 1))
    a.p.send_signal(signal.SIGUSR2)
    a.wait_for(r"daos_agent: Signal received\. Caught user defined signal 2; refreshing caches$")
    a.p.send_signal(signal.SIGUSR1)
    a.wait_for(r"daos_agent: Signal received\.  Caught non-fatal user defined signal 1; "
               r"continuing$")
    assert a.p.poll() is None
    assert a.stop(signal.SIGINT if args else signal.SIGTERM) == 0
    a.wait_for(r"daos_agent: Signal received\.  Caught (interrupt|terminated); shutting down$")
    assert not os.path.exists(sock)


def test_flags_override_the_file(work):
    cfg, _ = config(work)
    other = os.path.join(work, "other")
    os.makedirs(other)
    log = os.path.join(work, "agent-file.log")
    a = Agent(work, ["-o", cfg, "-s", other, "-l", log, "-d"])
    sock = os.path.join(other, "daos_agent.sock")
    deadline = time.monotonic() + WAIT
    while not os.path.exists(sock):
        assert a.p.poll() is None and time.monotonic() < deadline, a.text()
        time.sleep(0.02)
    assert a.stop() == 0
    with open(log) as f:
        text = f.read()
    assert re.search(listening(sock), text, re.M), text
    assert a.text() == ""  # everything went to -l


def test_runtime_dir_missing_or_not_writable(work):
    cfg, _ = config(work)
    r = subprocess.run([AGENT, "-o", cfg, "-s", os.path.join(work, "nope")],
                       capture_output=True, text=True, timeout=WAIT)
    assert r.returncode == 1
    assert r.stderr.endswith(
        f"ERROR: daos_agent: runtime_dir {work}/nope: No such file or directory; create it "
        "(the systemd unit's RuntimeDirectory or tmpfiles.d entry does) or set runtime_dir / -s "
        "to a directory that exists\n"), r.stderr
    # root's directory, agent as nobody
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", AGENT,
                        "-o", cfg], capture_output=True, text=True, timeout=WAIT)
    assert r.returncode == 1
    assert r.stderr.endswith(
        f"ERROR: daos_agent: runtime_dir {work}/run is not writable by uid 65534 (owner uid 0, "
        "mode 0755); give it to the user daos_agent runs as\n"), r.stderr
    r = subprocess.run([AGENT, "-o", os.path.join(work, "missing.yml")],
                       capture_output=True, text=True, timeout=WAIT)
    assert r.returncode == 1 and "missing.yml" in r.stderr, r.stderr


def test_stale_socket_and_second_agent(work):
    cfg, sock = config(work)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.bind(sock)
    s.close()  # an agent killed with SIGKILL leaves this behind
    a = Agent(work, ["-o", cfg])
    a.wait_for(listening(sock))
    assert f"removed the stale socket {sock} of an agent that is gone" in a.text()
    r = subprocess.run([AGENT, "-o", cfg], capture_output=True, text=True, timeout=WAIT)
    assert r.returncode == 1
    assert r.stderr.endswith(f"ERROR: daos_agent: another daos_agent is listening on {sock}; "
                             "stop it or give this one another runtime_dir (-s)\n"), r.stderr
    assert os.path.exists(sock) and a.p.poll() is None
    a.p.kill()
    a.p.wait()
    a2 = Agent(work, ["-o", cfg])  # after SIGKILL: starts again
    a2.wait_for(listening(sock))
    assert a2.stop() == 0


def test_tells_systemd_it_is_ready(work):
    cfg, sock = config(work)
    notify = os.path.join(work, "notify")
    n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n.bind(notify)
    n.settimeout(WAIT)
    try:
        a = Agent(work, ["-o", cfg], env={"NOTIFY_SOCKET": notify})
        msg = n.recv(4096).decode()
        assert msg == "READY=1", msg
        assert os.path.exists(sock)  # ready means listening
        assert a.stop() == 0
        assert n.recv(4096).decode() == "STOPPING=1"
    finally:
        n.close()


def test_runs_as_an_unprivileged_user(work):
    run = os.path.join(work, "run")
    os.makedirs(run)
    os.chown(run, 65534, 65534)
    cfg, sock = config(work, runtime_dir=run)
    a = Agent(work, ["-o", cfg], user=65534)
    a.wait_for(listening(sock))
    with open(f"/proc/{a.p.pid}/status") as f:
        assert re.search(r"^Uid:\s+65534\s+65534\s+65534\s+65534$", f.read(), re.M)
    assert os.stat(sock).st_uid == 65534
    assert a.stop() == 0
    assert not os.path.exists(sock)


def test_net_scan_is_the_servers_network_scan():
    """`daos_agent net-scan` prints this node's interfaces as `daos_server
    network scan` does (same scan, same table), -j too; a bad provider is
    named with the ones available."""
    for args in (["-p", "ofi+tcp"], ["-p", "all"], []):
        a = subprocess.run([AGENT, "net-scan", *args], capture_output=True, text=True,
                           timeout=WAIT)
        s = subprocess.run([BINARIES["daos_server"], "network", "scan", *args],
                           capture_output=True, text=True, timeout=WAIT)
        assert a.returncode == 0 and s.returncode == 0, a.stderr + s.stderr
        assert a.stdout == s.stdout and a.stdout.startswith("---------\nlocalhost\n"), a.stdout
    a = subprocess.run([AGENT, "net-scan", "-j", "-p", "ofi+tcp"], capture_output=True,
                       text=True, timeout=WAIT)
    doc = json.loads(a.stdout)
    assert doc["error"] is None and doc["status"] == 0
    (entry,) = doc["response"].values()
    assert entry["HostSet"] == "localhost"
    assert {i["Provider"] for i in entry["HostFabric"]["Interfaces"]} == {"ofi+tcp"}
    a = subprocess.run([AGENT, "net-scan", "-p", "ofi+bogus"], capture_output=True, text=True,
                       timeout=WAIT)
    assert a.returncode == 1
    assert a.stderr.startswith('ERROR: daos_agent: get local fabric interfaces: unknown fabric '
                               'provider "ofi+bogus"; providers available on this host: '), a.stderr


def test_start_errors_name_the_problem(work):
    def start(cfg, *args):
        return subprocess.run([AGENT, "-o", cfg, *args], capture_output=True, text=True,
                              timeout=WAIT)

    cfg, sock = config(work, extra=f"log_file: {work}/nodir/agent.log\n")
    r = start(cfg)
    assert r.returncode == 1
    assert r.stderr == (f"ERROR: daos_agent: cannot open log_file \"{work}/nodir/agent.log\": No "
                        "such file or directory; check that its directory exists and is "
                        "writable\n"), r.stderr
    cfg, sock = config(work)
    afile = os.path.join(work, "afile")
    open(afile, "w").close()
    r = start(cfg, "-s", afile)
    assert r.returncode == 1 and r.stderr.endswith(
        f"ERROR: daos_agent: runtime_dir {afile} is not a directory\n"), r.stderr
    open(sock, "w").close()  # something else has the socket's name
    r = start(cfg)
    assert r.returncode == 1 and r.stderr.endswith(
        f"ERROR: daos_agent: {sock} exists and is not a socket; remove it\n"), r.stderr
    os.unlink(sock)
    deep = os.path.join(work, *["d" * 40] * 3)  # <dir>/daos_agent.sock over 107 bytes
    os.makedirs(deep)
    r = start(cfg, "-s", deep)
    assert r.returncode == 1
    last = r.stderr.splitlines()[-1]
    assert last.startswith(f"ERROR: daos_agent: Unable to create socket server: "
                           f"{deep}/daos_agent.sock: "), r.stderr
    assert last.endswith("is empty or longer than 107 bytes; use a shorter socket directory"), \
        last


def test_unreachable_notify_socket_is_a_warning(work):
    cfg, sock = config(work)
    a = Agent(work, ["-o", cfg], env={"NOTIFY_SOCKET": os.path.join(work, "no-systemd")})
    a.wait_for(listening(sock))
    a.wait_for(r"WARN \S+ \S+ daos_agent: cannot tell systemd the agent is ready "
               rf"\(NOTIFY_SOCKET {re.escape(work)}/no-systemd\): No such file or directory$")
    assert a.stop() == 0
