"""dmg's remote commands against real control-RPC servers.

Servers: real `daos_server start` processes in listening mode, one per cluster
host (with its DAOS_HW_ROOT fixture).  The one exception is the version
mismatch case: no daos_server of another version exists, so there the peer is
tests/tools/rpc_tool's server claiming an old version.  Multi-host cases run
dmg inside a namespace host (the root namespace is not on the test bridge);
TLS, flag and config cases use loopback hosts.
"""
import glob
import json
import os
import shutil
import socket
import subprocess
import uuid as uuidlib

import pytest

import daos_helpers
from conftest import BINARIES, BUILD, TOP

DMG = BINARIES["dmg"]
RPC_TOOL = os.path.join(BUILD, "tests", "tools", "rpc_tool")
HOSTS = os.path.join(TOP, "tests", "fixtures", "hosts")
GEN_CERTS = os.path.join(TOP, "utils", "certs", "gen_certificates.sh")

WOLF4 = ["wolf-71", "wolf-72", "wolf-73", "wolf-74"]
FIX4 = {"wolf-71": HOSTS + "/wolf", "wolf-72": HOSTS + "/wolf",
        "wolf-73": HOSTS + "/asym", "wolf-74": HOSTS + "/asym"}


# ---------------------------------------------------------------------------
# helpers

def make_certs(d):
    """Fresh certificates in d/daosCA/certs; returns that directory."""
    subprocess.run(["bash", GEN_CERTS, str(d)], check=True, capture_output=True)
    certs = os.path.join(str(d), "daosCA", "certs")
    return certs


def start_server(c, host, certs=None, version=None):
    """daos_server in listening mode on `host` (TLS with the certificates in
    `certs`, a .../daosCA/certs directory, or insecure); with `version`, an
    rpc_tool server claiming that version instead (see the module comment)."""
    if version is None:
        tls = None if certs is None else daos_helpers.Certs(
            os.path.dirname(os.path.dirname(certs)))
        return daos_helpers.start_server(c, host, certs=tls, insecure=certs is None).proc
    argv = [RPC_TOOL, "server", "--port", str(c.port(host)), "--claim-version", version]
    if certs is None:
        argv.append("--insecure")
    else:
        argv += ["--ca", os.path.join(certs, "daosCA.crt"),
                 "--cert", os.path.join(certs, "server.crt"),
                 "--key", os.path.join(certs, "server.key"),
                 "--client-cert-dir", os.path.join(certs, "clients")]
    p = c.start(host, argv)
    p.wait_for_log(r"listening on port")
    return p


def control_yml(path, hostlist=None, certs=None, role="admin", port=None):
    lines = ["name: daos_server"]
    if port:
        lines.append(f"port: {port}")
    if hostlist:
        lines.append("hostlist: [" + ", ".join(f"'{h}'" for h in hostlist) + "]")
    lines.append("transport_config:")
    if certs is None:
        lines.append("  allow_insecure: true")
    else:
        lines += ["  allow_insecure: false",
                  f"  ca_cert: {certs}/daosCA.crt",
                  f"  cert: {certs}/{role}.crt",
                  f"  key: {certs}/{role}.key"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return str(path)


def dmg(*args, env=None, timeout=60):
    e = dict(os.environ)
    e.pop("DAOS_HW_ROOT", None)
    if env:
        e.update(env)
    return subprocess.run([DMG, *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


def errors_table(text):
    """{error: hosts} from an "Errors:" block."""
    out, inside = {}, False
    for line in text.splitlines():
        if line.startswith("Errors:"):
            inside = True
            continue
        if inside:
            if not line.startswith("  ") or line.strip().startswith(("Hosts", "-----")):
                if not line.startswith("  "):
                    inside = False
                continue
            hosts, err = line.strip().split(" ", 1)
            out[err.strip()] = hosts
    return out


# ---------------------------------------------------------------------------
# four namespace hosts, two hardware kinds

def _same_hardware_other_ids(src, dst):
    """A copy of fixture host `src` as another machine of the same model: its
    own PMem namespace UUIDs and NVMe serial numbers (as every real host)."""
    shutil.copytree(src, dst)
    for d in glob.glob(os.path.join(dst, "storage", "pmem", "namespaces", "*")):
        with open(os.path.join(d, "uuid"), "w") as f:
            f.write(str(uuidlib.uuid4()) + "\n")
    for d in glob.glob(os.path.join(dst, "storage", "nvme", "*")):
        with open(os.path.join(d, "serial")) as f:
            serial = f.read().strip()
        with open(os.path.join(d, "serial"), "w") as f:
            f.write(serial[::-1] + "\n")
    return dst


@pytest.fixture
def wolf4(netns_cluster, tmp_path):
    fix = dict(FIX4, **{"wolf-72": _same_hardware_other_ids(FIX4["wolf-72"],
                                                           str(tmp_path / "wolf72"))})
    c = netns_cluster(WOLF4, fixtures=fix)
    for h in WOLF4:
        start_server(c, h)
    cfg = control_yml(tmp_path / "daos_control.yml", hostlist=["wolf-[71-74]"])
    return c, cfg


def test_scans_group_identical_hosts(wolf4):
    c, cfg = wolf4
    r = c.run("wolf-71", [DMG, "-o", cfg, "storage", "scan"])
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["Hosts", "SCM", "Total", "NVMe", "Total"]
    assert lines[2].startswith("wolf-[71-72] 6.4 TB (2 namespaces) 3.1 TB (3 controllers)")
    assert lines[3].startswith("wolf-[73-74] ")
    assert len(lines) == 4

    r = c.run("wolf-72", [DMG, "-o", cfg, "storage", "scan", "--verbose"])
    assert r.returncode == 0, r.stderr
    assert "------------\nwolf-[71-72]\n------------\nHugePage Size: 2048 KB" in r.stdout
    assert "0000:87:00.0" in r.stdout and "wolf-[73-74]" in r.stdout

    r = c.run("wolf-73", [DMG, "-o", cfg, "storage", "scan", "-n"])
    assert r.returncode == 0, r.stderr
    # one entry per controller of each group (3 + 2), health read where the fixture has it
    assert r.stdout.count("PCI:") == 5 and r.stdout.count("Health Stats:") >= 3
    assert "wolf-[71-72]\n" in r.stdout and "wolf-[73-74]\n" in r.stdout

    r = c.run("wolf-71", [DMG, "-o", cfg, "-j", "storage", "scan"])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == 0 and doc["error"] is None
    assert doc["response"]["host_errors"] == {}
    groups = {v["hosts"]: v["storage"] for v in doc["response"]["HostStorage"].values()}
    assert set(groups) == {"wolf-[71-72]", "wolf-[73-74]"}
    assert len(groups["wolf-[71-72]"]["nvme_devices"]) == 3
    assert [n["blockdev"] for n in groups["wolf-[71-72]"]["scm_namespaces"]] == ["pmem0", "pmem1"]

    r = c.run("wolf-74", [DMG, "-o", cfg, "network", "scan", "-p", "all"])
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("------------\nwolf-[71-72]\n------------\n")
    assert "\n------------\nwolf-[73-74]\n------------\n" in r.stdout
    assert "NUMA Socket 1" in r.stdout.split("wolf-[73-74]")[0]

    r = c.run("wolf-71", [DMG, "-o", cfg, "-j", "network", "scan", "-p", "all"])
    doc = json.loads(r.stdout)
    fab = doc["response"]["HostFabrics"]
    assert sorted(v["HostSet"] for v in fab.values()) == ["wolf-[71-72]", "wolf-[73-74]"]

    r = c.run("wolf-71", [DMG, "-o", cfg, "server-version"])
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()[2:]
    assert len(rows) == 1 and rows[0].startswith("wolf-[71-74] DAOS Control Server ")


def test_config_generate_homogeneous_and_heterogeneous(wolf4, tmp_path):
    c, cfg = wolf4
    r = c.run("wolf-73", [DMG, "-o", cfg, "config", "generate", "-l", "wolf-[71-72]"])
    assert r.returncode == 0, r.stderr
    # access point default: the first host of the sorted list
    assert "mgmt_svc_replicas:\n- wolf-71:10001\n" in r.stdout
    assert "pinned_numa_node: 1" in r.stdout and "port: 10001" in r.stdout
    out = tmp_path / "gen.yml"
    out.write_text(r.stdout)
    v = subprocess.run([BINARIES["daos_server"], "config", "validate", "-o", str(out)],
                       capture_output=True, text=True)
    assert v.returncode == 0, v.stderr

    r = c.run("wolf-73", [DMG, "-o", cfg, "config", "generate", "-l", "wolf-[71-72]",
                          "-a", "wolf-72", "-e", "1", "--scm-only", "-j"])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["status"] == 0 and len(doc["response"]["engines"]) == 1

    r = c.run("wolf-71", [DMG, "-o", cfg, "config", "generate"])
    assert r.returncode == 1
    assert "hardware not consistent across hosts" in r.stderr
    assert "wolf-[71-72] (2 hosts), wolf-[73-74] (2 hosts)" in r.stderr
    assert "for example -l wolf-[71-72]" in r.stderr or "-l wolf-[73-74]" in r.stderr


def test_unreachable_hosts(netns_cluster, tmp_path):
    c = netns_cluster(["wolf-71", "wolf-72", "wolf-73"],
                      fixtures={h: HOSTS + "/wolf" for h in ("wolf-71", "wolf-72", "wolf-73")})
    start_server(c, "wolf-71")
    start_server(c, "wolf-72")
    # wolf-73 runs no server; wolf-99 does not exist
    cfg = control_yml(tmp_path / "c.yml")
    r = c.run("wolf-71", [DMG, "-o", cfg, "storage", "scan", "-l", "wolf-[71-73],wolf-99"])
    assert r.returncode == 1
    assert r.stdout.splitlines()[2].startswith("wolf-[71-72] ")
    assert errors_table(r.stderr) == {"connection refused": "wolf-73", "no such host": "wolf-99"}
    assert r.stderr.rstrip().endswith("ERROR: dmg: 2 hosts had errors")

    r = c.run("wolf-71", [DMG, "-o", cfg, "network", "scan", "-l", "wolf-[71-73]"])
    assert r.returncode == 1
    # network scan prints its errors on stdout, before the groups
    assert r.stdout.startswith("Errors:\n")
    assert errors_table(r.stdout) == {"connection refused": "wolf-73"}
    assert "wolf-[71-72]" in r.stdout
    assert "ERROR: dmg: 1 host had errors" in r.stderr

    r = c.run("wolf-71", [DMG, "-o", cfg, "-j", "server-version", "-l", "wolf-[71-73]"])
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["error"] == "1 host had errors" and doc["status"] != 0
    assert doc["response"]["host_errors"] == {"connection refused": "wolf-73"}
    assert doc["response"]["versions"][0]["hosts"] == "wolf-[71-72]"

    r = c.run("wolf-71", [DMG, "-o", cfg, "config", "generate", "-l", "wolf-[71-73]"])
    assert r.returncode == 1
    assert errors_table(r.stderr) == {"connection refused": "wolf-73"}


# ---------------------------------------------------------------------------
# loopback hosts: TLS and roles, errors, flags, config files

@pytest.fixture
def certs(tmp_path):
    return make_certs(tmp_path / "ca1")


def test_tls_and_role_matrix(local_cluster, certs, tmp_path):
    c = local_cluster(2, fixtures={n: HOSTS + "/wolf" for n in ("local-0", "local-1")})
    start_server(c, "local-0", certs=certs)
    start_server(c, "local-1")                    # insecure
    secure = f"127.0.0.1:{c.port('local-0')}"
    insecure = f"127.0.0.1:{c.port('local-1')}"
    other = make_certs(tmp_path / "ca2")

    def scan(cfg, host, *extra):
        return dmg("-o", cfg, "storage", "scan", "-l", host, *extra)

    admin = control_yml(tmp_path / "admin.yml", certs=certs)
    r = scan(admin, secure)
    assert r.returncode == 0, r.stderr
    assert f"{secure} 6.4 TB" in r.stdout

    # wrong CA: the server's certificate does not verify
    r = scan(control_yml(tmp_path / "ca2.yml", certs=other), secure)
    assert r.returncode == 1
    (err, hosts), = errors_table(r.stderr).items()
    assert hosts == secure and err.startswith("TLS handshake failed: ")

    # agent certificate used for dmg
    r = scan(control_yml(tmp_path / "agent.yml", certs=certs, role="agent"), secure)
    assert r.returncode == 1
    (err, hosts), = errors_table(r.stderr).items()
    assert err == "permission denied: agent does not have permission to call StorageScan", err

    # insecure dmg against a secure server, and the reverse
    r = scan(admin, secure, "-i")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err == ("TLS handshake failed: server requires TLS but this client has "
                   "allow_insecure: true; set allow_insecure: false and configure certificates "
                   "in the client's transport_config (or set allow_insecure: true on every "
                   "server too)"), err
    r = scan(admin, insecure)
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err == ("TLS handshake failed: the server does not use TLS (it has allow_insecure: "
                   "true); set allow_insecure: true in this client's config too, or remove it from "
                   "the server's"), err

    # both insecure
    r = scan(control_yml(tmp_path / "ins.yml"), insecure)
    assert r.returncode == 0, r.stderr

    # certificate problems are reported before any host is contacted
    bad = control_yml(tmp_path / "bad.yml", certs=str(tmp_path / "nowhere"))
    r = scan(bad, secure)
    assert r.returncode == 1
    assert r.stderr.startswith("ERROR: dmg: Unable to load Certificate Data: ")
    assert "nowhere" in r.stderr


def test_version_mismatch_and_silent_host(local_cluster, tmp_path):
    c = local_cluster(1, fixtures={"local-0": HOSTS + "/wolf"})
    start_server(c, "local-0", version="1.2.0")
    cfg = control_yml(tmp_path / "c.yml")
    r = dmg("-o", cfg, "server-version", "-l", f"127.0.0.1:{c.port('local-0')}")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err.startswith("version mismatch: "), err


def test_silent_host_times_out(certs, tmp_path):
    """A host that accepts connections and never answers: with TLS it costs
    the connect (handshake) timeout, without TLS the call timeout."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    try:
        r = dmg("-o", control_yml(tmp_path / "s.yml", certs=certs), "storage", "scan",
                "-l", f"127.0.0.1:{port}", env={"DMG_CONNECT_TIMEOUT_MS": "200"})
        assert r.returncode == 1
        assert errors_table(r.stderr) == {"timed out": f"127.0.0.1:{port}"}
        r = dmg("-o", control_yml(tmp_path / "i.yml"), "network", "scan",
                "-l", f"127.0.0.1:{port}", env={"DMG_RPC_TIMEOUT_MS": "200"})
        assert r.returncode == 1
        assert errors_table(r.stdout) == {"timed out": f"127.0.0.1:{port}"}
    finally:
        silent.close()


def test_bad_flags_and_config(tmp_path):
    cfg = control_yml(tmp_path / "c.yml", hostlist=["localhost"])
    r = dmg("-o", cfg, "storage", "scan", "-v", "-n")
    assert r.returncode == 1
    assert r.stderr.strip() == "ERROR: dmg: cannot use --verbose with --nvme-health"
    r = dmg("-o", cfg, "-j", "storage", "scan", "--verbose", "--nvme-health")
    assert json.loads(r.stdout)["error"] == "cannot use --verbose with --nvme-health"
    r = dmg("-o", cfg, "storage", "scan", "--bogus")
    assert r.returncode == 1 and "unknown flag `bogus'" in r.stderr
    r = dmg("-o", cfg, "network", "scan", "-p")
    assert r.returncode == 1 and "expected argument for flag `-p, --provider'" in r.stderr
    r = dmg("-o", cfg, "config", "generate", "-e", "x")
    assert r.returncode == 1 and "--num-engines" in r.stderr
    r = dmg("-o", cfg, "config", "generate", "-f", "31416,abc")
    assert r.returncode == 1 and "invalid --fabric-ports \"31416,abc\": item 2" in r.stderr
    r = dmg("-o", cfg, "config", "generate", "-c", "wifi")
    assert r.returncode == 1 and "wifi" in r.stderr
    r = dmg("-o", cfg, "config", "generate", "-a", "a", "-r", "b")
    assert r.returncode == 1 and "--access-points and --ms-replicas both given" in r.stderr
    r = dmg("-o", cfg, "storage", "scan", "-l", "wolf-[9-1]")
    assert r.returncode == 1 and "-l/--host-list" in r.stderr

    missing = str(tmp_path / "missing.yml")
    r = dmg("-o", missing, "storage", "scan")
    assert r.returncode == 1 and missing in r.stderr
    empty = tmp_path / "empty.yml"
    empty.write_text("")
    r = dmg("-o", str(empty), "network", "scan")
    assert r.returncode == 1 and "empty config file" in r.stderr
    typo = tmp_path / "typo.yml"
    typo.write_text("hostlists: [a]\n")
    r = dmg("-o", str(typo), "server-version")
    assert r.returncode == 1 and "hostlists" in r.stderr


def test_hostlist_from_config_files(local_cluster, tmp_path):
    c = local_cluster(3, fixtures={n: HOSTS + "/wolf" for n in ("local-0", "local-1", "local-2")})
    for h in c.names:
        start_server(c, h)
    ep = {h: f"127.0.0.1:{c.port(h)}" for h in c.names}
    home = tmp_path / "home"
    home.mkdir()
    control_yml(home / ".daos_control.yml", hostlist=[ep["local-0"]])
    other = control_yml(tmp_path / "other.yml", hostlist=[ep["local-1"]])
    env = {"HOME": str(home)}

    def hosts_of(r):
        assert r.returncode == 0, r.stderr
        return [line.split()[0] for line in r.stdout.splitlines()[2:]]

    # ~/.daos_control.yml is used when no -o is given
    assert hosts_of(dmg("server-version", env=env)) == [ep["local-0"]]
    # -o wins over it, -l (command or hidden global) over both
    assert hosts_of(dmg("-o", other, "server-version", env=env)) == [ep["local-1"]]
    assert hosts_of(dmg("server-version", "-l", ep["local-2"], env=env)) == [ep["local-2"]]
    assert hosts_of(dmg("-l", ep["local-2"], "server-version", env=env)) == [ep["local-2"]]

    # the config `port` is the default for hosts without one, and is not displayed
    portcfg = control_yml(tmp_path / "port.yml", hostlist=["127.0.0.1"], port=c.port("local-1"))
    assert hosts_of(dmg("-o", portcfg, "server-version", env=env)) == ["127.0.0.1"]


def test_config_generate_keeps_the_servers_port(local_cluster, tmp_path):
    """Servers on a port other than 10001, reached through the configured
    port: the generated configuration names that port, for `port` and for the
    default replica (it wrote 10001 before)."""
    c = local_cluster(1, fixtures={"local-0": HOSTS + "/wolf"})
    h = c.host("local-0")
    assert h.port != 10001
    start_server(c, "local-0")
    cfg = control_yml(tmp_path / "c.yml", port=h.port)
    r = dmg("-o", cfg, "config", "generate", "-l", "localhost")
    assert r.returncode == 0, r.stderr
    assert f"mgmt_svc_replicas:\n- localhost:{h.port}\n" in r.stdout
    assert f"\nport: {h.port}\n" in r.stdout
    # explicit replicas without a port get the servers' port too
    r = dmg("-o", cfg, "config", "generate", "-l", "localhost", "-r", "localhost")
    assert r.returncode == 0, r.stderr
    assert f"mgmt_svc_replicas:\n- localhost:{h.port}\n" in r.stdout
    assert f"\nport: {h.port}\n" in r.stdout
