"""`daos_server start`: discovery (listening) mode, the control RPCs it
serves over TLS and insecure transport, refusals (same socket_dir, port in
use, bad config, certificate problems), clean stop on SIGTERM/SIGINT, the
engine storage check, and several daemons on one machine (loopback and
network-namespace clusters).  Real processes, real sockets; rpc_tool
(tests/tools) is the client."""
import json
import os
import re
import signal
import socket
import subprocess

import pytest
import yaml

from conftest import BINARIES, TOP, run_bin
from daos_helpers import (LISTENING, file_mode, make_certs, rpc_call, server_config,
                          start_server)

FIXTURES = os.path.join(TOP, "tests", "fixtures", "hosts")


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


def start_fails(cfg, *args, timeout=30):
    """Run daos_server start expecting a refusal; return the CompletedProcess."""
    r = run_bin("daos_server", "start", "-o", cfg, *args, timeout=timeout)
    assert r.returncode == 1, (r.stdout, r.stderr)
    return r


def test_discovery_mode_log_and_active_config(local_cluster, certs):
    c = local_cluster(1)
    h = c.host("local-0")
    sock = os.path.join(h.dir, "new", "run")     # missing: created 0755
    log = os.path.join(h.log_dir, "control.log")
    cfg = server_config(os.path.join(h.dir, "s.yml"), h.port, sock, certs=certs, log_file=log)
    srv = start_server(c, h, config=cfg, log_file=log)
    text = srv.read_log()
    lines = [
        f"DAOS Server config loaded from {cfg}",
        "No DAOS I/O Engines in configuration, DAOS Control Server starting in discovery mode",
        f"active config saved to {sock}/.daos_server.active.yml (read-only)",
        f"DAOS Control Server v",
    ]
    pos = [text.find(s) for s in lines]
    assert -1 not in pos and pos == sorted(pos), text
    m = re.search(r"DAOS Control Server v(\S+) \(pid (\d+)\) listening on 0\.0\.0\.0:(\d+)", text)
    assert m and int(m.group(2)) == srv.proc.pid and int(m.group(3)) == h.port, text
    assert "insecure" not in text
    assert file_mode(sock) == 0o755
    active = os.path.join(sock, ".daos_server.active.yml")
    assert file_mode(active) == 0o644
    with open(active) as f:
        eff = yaml.safe_load(f)
    assert eff["port"] == h.port and eff["socket_dir"] == sock
    assert eff["transport_config"]["cert"] == certs.server_cert
    assert eff["control_log_file"] == log
    assert eff.get("engines") in (None, [])
    with open(os.path.join(sock, "daos_server.lock")) as f:
        assert int(f.read()) == srv.proc.pid
    assert srv.stop() == 0
    assert "shutting down" in srv.read_log()


def test_rpcs_over_tls(local_cluster, certs):
    wolf = os.path.join(FIXTURES, "wolf")
    c = local_cluster(1, fixtures={"local-0": wolf})
    srv = start_server(c, "local-0", certs=certs)
    r = rpc_call(c, None, "GetVersion", ["local-0"], certs=certs)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok DAOS Control Server version " in r.stdout
    assert f"host {socket.gethostname()}" in r.stdout
    r = rpc_call(c, None, "StorageScan", ["local-0"], certs=certs)
    assert r.returncode == 0 and "12 modules 2 namespaces 3 controllers" in r.stdout, r.stdout
    r = rpc_call(c, None, "NetworkScan", ["local-0"], certs=certs)
    assert r.returncode == 0 and re.search(r"ok \d+ interfaces 2 numa", r.stdout), r.stdout
    r = rpc_call(c, None, "NetworkScan", ["local-0"], certs=certs,
                 args=["--provider", "ofi+bogus"])
    assert r.returncode == 1 and 'unknown fabric provider "ofi+bogus"' in r.stdout, r.stdout
    # the role table applies: an agent may not scan storage
    r = rpc_call(c, None, "StorageScan", ["local-0"], certs=certs, role="agent")
    assert r.returncode == 1
    assert "agent does not have permission to call StorageScan" in r.stdout, r.stdout
    # an insecure client against a TLS server is refused, not hung
    r = rpc_call(c, None, "GetVersion", ["local-0"], insecure=True)
    assert r.returncode == 1 and " error " in r.stdout
    assert srv.stop() == 0


def test_network_scan_provider_from_config(local_cluster, certs):
    """An empty provider in the request means the configured `provider`."""
    c = local_cluster(1, fixtures={"local-0": os.path.join(FIXTURES, "wolf")})
    srv = start_server(c, "local-0", insecure=True, extra={"provider": "ofi+tcp"})
    one = rpc_call(c, None, "NetworkScan", ["local-0"], insecure=True)
    every = rpc_call(c, None, "NetworkScan", ["local-0"], insecure=True,
                     args=["--provider", "all"])
    tcp = rpc_call(c, None, "NetworkScan", ["local-0"], insecure=True,
                   args=["--provider", "ofi+tcp"])
    assert one.returncode == every.returncode == tcp.returncode == 0
    n = lambda r: int(re.search(r"ok (\d+) interfaces", r.stdout).group(1))  # noqa: E731
    assert n(one) == n(tcp) < n(every), (one.stdout, every.stdout)
    assert srv.stop() == 0


def test_insecure_both_ends(local_cluster):
    c = local_cluster(1, fixtures={"local-0": os.path.join(FIXTURES, "asym")})
    srv = start_server(c, "local-0", insecure=True)
    assert re.search(r"WARN .*allow_insecure is true.*without TLS", srv.read_log())
    r = rpc_call(c, None, "StorageScan", ["local-0"], insecure=True)
    assert r.returncode == 0 and "4 modules 1 namespaces 2 controllers" in r.stdout, r.stdout
    assert srv.stop() == 0


def test_insecure_flag_overrides_config(local_cluster, certs):
    c = local_cluster(1)
    srv = start_server(c, "local-0", certs=certs, args=["-i"])
    assert "allow_insecure is true" in srv.read_log()
    r = rpc_call(c, None, "GetVersion", ["local-0"], insecure=True)
    assert r.returncode == 0, r.stdout
    assert srv.stop() == 0


def test_same_socket_dir_refused(local_cluster):
    c = local_cluster(2)
    first = start_server(c, "local-0", insecure=True)
    h0, h1 = c.host("local-0"), c.host("local-1")
    cfg = server_config(os.path.join(h1.dir, "s.yml"), h1.port, h0.socket_dir, insecure=True)
    r = start_fails(cfg)
    assert (f"another daos_server (pid {first.proc.pid}) is already running with socket_dir "
            f"{h0.socket_dir}") in r.stderr
    # the refused one changed nothing: the first still serves and owns its lock
    assert rpc_call(c, None, "GetVersion", ["local-0"], insecure=True).returncode == 0
    with open(os.path.join(h0.socket_dir, "daos_server.lock")) as f:
        assert int(f.read()) == first.proc.pid
    assert first.stop() == 0


def test_port_in_use_refused(local_cluster, tmp_path):
    c = local_cluster(2)
    h0, h1 = c.host("local-0"), c.host("local-1")
    # held by this test process
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("0.0.0.0", h1.port))
    s.listen(1)
    try:
        cfg = server_config(str(tmp_path / "a.yml"), h1.port, h1.socket_dir, insecure=True)
        r = start_fails(cfg)
        assert re.search(rf"port {h1.port} is already in use by \S+ \(pid {os.getpid()}\)",
                         r.stderr), r.stderr
        assert not os.path.exists(os.path.join(h1.socket_dir, "daos_server.lock"))
        assert not os.path.exists(os.path.join(h1.socket_dir, ".daos_server.active.yml"))
    finally:
        s.close()
    # held by another daos_server (its own socket_dir)
    first = start_server(c, h0, insecure=True)
    cfg = server_config(str(tmp_path / "b.yml"), h0.port, h1.socket_dir, insecure=True)
    r = start_fails(cfg)
    assert (f"port {h0.port} is already in use by daos_server (pid {first.proc.pid})"
            in r.stderr), r.stderr
    # -p overrides the file's port
    r = start_fails(cfg, "-p", "70000")
    assert "invalid argument for flag `-p, --port'" in r.stderr, r.stderr
    assert first.stop() == 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly(local_cluster, sig):
    c = local_cluster(1)
    srv = start_server(c, "local-0", insecure=True)
    lock = os.path.join(c.host("local-0").socket_dir, "daos_server.lock")
    assert os.path.exists(lock)
    srv.proc.send_signal(signal.SIGHUP)     # ignored: no reload, no exit
    assert rpc_call(c, None, "GetVersion", ["local-0"], insecure=True).returncode == 0
    assert srv.proc.running
    srv.proc.send_signal(sig)
    assert srv.proc.wait() == 0
    assert not os.path.exists(lock)
    assert re.search(rf"DAOS Control Server \(pid {srv.proc.pid}\) shutting down \(signal "
                     rf"{int(sig)}\)", srv.read_log())
    # the port and socket_dir are free again
    again = start_server(c, "local-0", insecure=True)
    assert again.stop() == 0


def test_real_machine_network_scan_then_stop(local_cluster):
    """A network scan of this machine loads libfabric, whose PSM provider
    replaces SIGTERM handlers; the daemon scans in a child so it still stops
    cleanly, and its memory does not grow by the provider libraries."""
    c = local_cluster(1)          # no fixture: the real machine
    srv = start_server(c, "local-0", insecure=True)
    for _ in range(2):
        r = rpc_call(c, None, "NetworkScan", ["local-0"], insecure=True)
        assert r.returncode == 0, r.stdout + r.stderr
    with open(f"/proc/{srv.proc.pid}/maps") as f:
        assert "libfabric" not in f.read()
    assert srv.stop() == 0


def test_idle_memory(local_cluster, certs):
    """Goal of the issue: an idle daos_server (TLS set up, after serving
    requests) stays under 10 MiB resident."""
    with open(BINARIES["daos_server"], "rb") as f:
        if b"__asan_init" in f.read():
            pytest.skip("sanitizer build: its shadow memory is not the daemon's footprint")
    c = local_cluster(1, fixtures={"local-0": os.path.join(FIXTURES, "wolf")})
    srv = start_server(c, "local-0", certs=certs)
    for m in ("GetVersion", "StorageScan", "NetworkScan"):
        assert rpc_call(c, None, m, ["local-0"], certs=certs).returncode == 0
    with open(f"/proc/{srv.proc.pid}/status") as f:
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", f.read()).group(1))
    print(f"idle daos_server VmRSS {rss} kB")
    assert rss < 10 * 1024, rss
    assert srv.stop() == 0


def test_bad_config_refused(tmp_path):
    cfg = tmp_path / "bad.yml"
    cfg.write_text("name: daos_server\nport: 10001\nbogus_key: 1\ncontrol_log_mask: LOUD\n")
    r = start_fails(str(cfg))
    assert re.search(rf"^{re.escape(str(cfg))}:3: bogus_key: ", r.stderr, re.M), r.stderr
    assert re.search(rf"^{re.escape(str(cfg))}:4: control_log_mask: ", r.stderr, re.M), r.stderr
    assert "the configuration is not valid" in r.stderr
    # a file that does not exist
    r = start_fails(str(tmp_path / "none.yml"))
    assert "none.yml" in r.stderr
    # out-of-range port in discovery mode: start and config validate judge it alike
    for port in ("0", "-1", "65536"):
        cfg.write_text(f"port: {port}\n")
        r = start_fails(str(cfg))
        want = rf"{re.escape(str(cfg))}:1: port: port {port} is out of range"
        assert re.search(want, r.stderr), r.stderr
        v = run_bin("daos_server", "config", "validate", "-o", str(cfg))
        assert v.returncode != 0 and re.search(want, v.stderr), (v.stdout, v.stderr)
    # -s needs an engine with an SCM tier
    cfg.write_text(f"port: 10001\nsocket_dir: {tmp_path}/run\n")
    r = start_fails(str(cfg), "-s", "/mnt/daos")
    assert "flag `-s, --storage' needs an engine with an scm tier" in r.stderr
    # unusable control_iface
    cfg.write_text(f"port: 10001\nsocket_dir: {tmp_path}/run\ncontrol_iface: nosuch0\n"
                   "transport_config: {allow_insecure: true}\n")
    r = start_fails(str(cfg))
    assert "control_iface nosuch0 does not exist on this host" in r.stderr, r.stderr
    # socket_dir that cannot be a directory
    (tmp_path / "afile").write_text("")
    cfg.write_text(f"port: 10001\nsocket_dir: {tmp_path}/afile/run\n")
    r = start_fails(str(cfg))
    assert "cannot create socket_dir" in r.stderr, r.stderr


def test_control_iface_listens_on_its_address(local_cluster):
    c = local_cluster(1)
    srv = start_server(c, "local-0", insecure=True, extra={"control_iface": "lo"})
    assert re.search(rf"listening on 127\.0\.0\.1:{c.port('local-0')}", srv.read_log())
    assert rpc_call(c, None, "GetVersion", ["local-0"], insecure=True).returncode == 0
    assert srv.stop() == 0


def test_certificate_problems_refused(local_cluster, certs, tmp_path):
    c = local_cluster(1)
    h = c.host("local-0")
    t = certs.transport("server")
    missing = str(tmp_path / "nope.crt")
    cfg = server_config(str(tmp_path / "m.yml"), h.port, h.socket_dir,
                        extra={"transport_config": {**t, "cert": missing}})
    r = start_fails(cfg)
    assert f"certificates are enabled, but {missing} was not found" in r.stderr, r.stderr
    loose = str(tmp_path / "server.key")
    with open(t["key"], "rb") as src, open(loose, "wb") as dst:
        dst.write(src.read())
    os.chmod(loose, 0o644)
    cfg = server_config(str(tmp_path / "p.yml"), h.port, h.socket_dir,
                        extra={"transport_config": {**t, "key": loose}})
    r = start_fails(cfg)
    assert f"{loose} has insecure permissions 0644 (suggested: 0400)" in r.stderr, r.stderr
    # the agent's (or admin's) certificate is not a server's: refused, not served
    for role in ("agent", "admin"):
        cfg = server_config(str(tmp_path / f"{role}.yml"), h.port, h.socket_dir,
                            extra={"transport_config": {
                                **t, "cert": getattr(certs, role + "_cert"),
                                "key": getattr(certs, role + "_key")}})
        r = start_fails(cfg)
        want = (f'certificate at path "{getattr(certs, role + "_cert")}" is the {role} '
                f"certificate (CN={role}): transport_config.cert of daos_server must be the "
                "server certificate (CN=server")
        assert want in r.stderr, r.stderr
    # a key owned by another user
    other = str(tmp_path / "other.key")
    with open(t["key"], "rb") as src, open(other, "wb") as dst:
        dst.write(src.read())
    os.chmod(other, 0o400)
    os.chown(other, 65534, 65534)
    cfg = server_config(str(tmp_path / "o.yml"), h.port, h.socket_dir,
                        extra={"transport_config": {**t, "key": other}})
    r = start_fails(cfg)
    assert (f'private key at path "{other}" is owned by uid 65534, but this process runs as '
            f"uid {os.geteuid()}: give the key to the user that runs it") in r.stderr, r.stderr
    # nothing left behind by the refusals
    assert not os.path.exists(os.path.join(h.socket_dir, "daos_server.lock"))


def test_engine_awaits_scm_format(local_cluster, tmp_path):
    c = local_cluster(1, fixtures={"local-0": os.path.join(FIXTURES, "wolf")})
    h = c.host("local-0")
    mnt = str(tmp_path / "scm0")
    os.makedirs(mnt)
    extra = {"provider": "ofi+tcp", "mgmt_svc_replicas": ["localhost"],
             "engines": [{"targets": 2, "nr_xs_helpers": 0, "fabric_iface": "eth0",
                          "fabric_iface_port": 31416,
                          "storage": [{"class": "ram", "scm_mount": mnt, "scm_size": 4}]}]}
    srv = start_server(c, h, insecure=True, extra=extra)
    srv.proc.wait_for_log(r"SCM format required on instance 0")
    text = srv.read_log()
    assert "discovery mode" not in text
    assert text.find("listening on") < text.find(
        "Checking DAOS I/O Engine instance 0 storage ...") < text.find(
        "SCM format required on instance 0"), text
    # still serving scans while waiting for format
    r = rpc_call(c, None, "StorageScan", ["local-0"], insecure=True)
    assert r.returncode == 0 and "3 controllers" in r.stdout
    assert srv.stop() == 0


def test_engine_formatted_scm_detected(local_cluster, tmp_path):
    mnt = str(tmp_path / "scm0")
    os.makedirs(mnt)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = local_cluster(1)
    try:
        extra = {"provider": "ofi+tcp", "mgmt_svc_replicas": ["localhost"],
                 "engines": [{"targets": 1, "nr_xs_helpers": 0, "fabric_iface": "eth0",
                              "fabric_iface_port": 31416,
                              "storage": [{"class": "ram", "scm_mount": mnt,
                                           "scm_size": 4}]}]}
        # mounted tmpfs without superblock: still needs an SCM format
        srv = start_server(c, "local-0", insecure=True, extra=extra)
        srv.proc.wait_for_log(r"SCM format required on instance 0")
        assert srv.stop() == 0
        with open(os.path.join(mnt, "superblock"), "w") as f:
            f.write("version: 0\n")
        # a superblock: daos_server starts the engine, which reads it first
        srv = start_server(c, "local-0", insecure=True, extra=extra)
        srv.proc.wait_for_log(r"ERROR .*instance 0: .*/superblock:1: missing key \"uuid\"")
        assert "format required" not in srv.read_log().split("listening on")[-1]
        assert srv.stop() == 0
    finally:
        c.stop_all()
        subprocess.run(["umount", mnt])


def test_local_cluster_of_four(local_cluster, certs):
    c = local_cluster(4)
    servers = [start_server(c, n, certs=certs) for n in c.names]
    r = rpc_call(c, None, "GetVersion", c.names, certs=certs)
    assert r.returncode == 0, r.stdout
    assert r.stdout.count(" ok DAOS Control Server version") == 4
    pids = {s.proc.pid for s in servers}
    assert len(pids) == 4
    for s in servers:
        assert s.stop() == 0


def test_netns_cluster_fixtures(netns_cluster, certs):
    names = ["wolf-71", "asym-72"]
    c = netns_cluster(names, fixtures={"wolf-71": os.path.join(FIXTURES, "wolf"),
                                       "asym-72": os.path.join(FIXTURES, "asym")})
    servers = [start_server(c, n, certs=certs) for n in names]
    # every host uses the default socket_dir /var/run/daos_server of its own /run
    r = rpc_call(c, "wolf-71", "StorageScan", names, certs=certs)
    assert r.returncode == 0, r.stdout + r.stderr
    expect = {}
    for n, fx in (("wolf-71", "wolf"), ("asym-72", "asym")):
        j = run_bin("daos_server", "storage", "scan", "-j",
                    env={"DAOS_HW_ROOT": os.path.join(FIXTURES, fx)})
        d = json.loads(j.stdout)["response"]
        expect[n] = (f"{len(d['scm_modules'])} modules {len(d['scm_namespaces'])} namespaces "
                     f"{len(d['nvme_devices'])} controllers")
    for n in names:
        assert f"{n}:{c.port(n)} ok {expect[n]}" in r.stdout, (n, r.stdout)
    r = rpc_call(c, "asym-72", "GetVersion", names, certs=certs)
    for n in names:
        assert re.search(rf"{n}:\d+ ok DAOS Control Server version \S+ host {n}$", r.stdout,
                         re.M), r.stdout
    for s in servers:
        assert s.stop() == 0


def test_start_failure_reported_once_and_logged(local_cluster, tmp_path):
    """A refusal goes to stderr exactly once, and also into control_log_file when set."""
    c = local_cluster(1)
    first = start_server(c, "local-0", insecure=True)
    h = c.host("local-0")
    cfg = server_config(str(tmp_path / "s.yml"), h.port + 1, h.socket_dir, insecure=True)
    r = start_fails(cfg)
    assert r.stderr.count("is already running with socket_dir") == 1, r.stderr
    log = str(tmp_path / "control.log")
    cfg = server_config(str(tmp_path / "s2.yml"), h.port + 1, h.socket_dir, insecure=True,
                        log_file=log)
    r = start_fails(cfg)
    assert r.stderr.count("is already running with socket_dir") == 1, r.stderr
    with open(log) as f:
        assert re.search(r"ERROR .*is already running with socket_dir", f.read())
    assert first.stop() == 0
