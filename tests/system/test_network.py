"""`daos_server network scan` on this machine and on the hardware fixtures."""
import json
import os
import pty
import struct
import subprocess

import pytest

from conftest import BINARIES, TOP, run_bin

HOSTS = os.path.join(TOP, "tests", "fixtures", "hosts")


def scan(*args, host=None):
    env = {"DAOS_HW_ROOT": os.path.join(HOSTS, host)} if host else {"DAOS_HW_ROOT": ""}
    return run_bin("daos_server", "network", "scan", *args, env=env)


def table(rows):
    """Indent literal table rows (already padded as upstream's tabwriter pads them)."""
    return "".join(" " * 8 + r + "\n" for r in rows)


BANNER = "---------\nlocalhost\n---------\n\n"


def numa(n):
    return f"    -------------\n    NUMA Socket {n}\n    -------------\n\n"


GOLDEN = {
    "local": BANNER + numa(0) + table([
        "Provider        Interfaces ",
        "--------        ---------- ",
        "ofi+tcp         eth0       ",
        "ofi+tcp;ofi_rxm eth0       ",
        "ofi+sockets     eth0       ",
    ]) + "\n",
    "wolf": BANNER + numa(0) + table([
        "Provider          Interfaces ",
        "--------          ---------- ",
        "ofi+verbs;ofi_rxm ib0        ",
        "ofi+tcp           eth0, ib0  ",
        "ofi+tcp;ofi_rxm   eth0, ib0  ",
        "ofi+sockets       eth0, ib0  ",
    ]) + "\n" + numa(1) + table([
        "Provider          Interfaces ",
        "--------          ---------- ",
        "ofi+verbs;ofi_rxm ib1        ",
        "ofi+tcp           ib1        ",
        "ofi+tcp;ofi_rxm   ib1        ",
        "ofi+sockets       ib1        ",
    ]) + "\n",
    "asym": BANNER + numa(0) + table([
        "Provider          Interfaces ",
        "--------          ---------- ",
        "ofi+verbs;ofi_rxm ib0        ",
        "ofi+tcp           eth0, ib0  ",
        "ofi+tcp;ofi_rxm   eth0, ib0  ",
        "ofi+sockets       eth0, ib0  ",
    ]) + "\n",
}


@pytest.mark.parametrize("host", sorted(GOLDEN))
def test_fixture_golden(host):
    r = scan(host=host)
    assert r.returncode == 0, r.stderr
    assert r.stdout == GOLDEN[host]
    # "all" is the default; any case is accepted.
    assert scan("-p", "all", host=host).stdout == GOLDEN[host]
    assert scan("--provider=ALL", host=host).stdout == GOLDEN[host]


def test_fixture_filter_verbs():
    r = scan("--provider", "ofi+verbs;ofi_rxm", host="wolf")
    assert r.returncode == 0, r.stderr
    assert r.stdout == BANNER + numa(0) + table([
        "Provider          Interfaces ",
        "--------          ---------- ",
        "ofi+verbs;ofi_rxm ib0        ",
    ]) + "\n" + numa(1) + table([
        "Provider          Interfaces ",
        "--------          ---------- ",
        "ofi+verbs;ofi_rxm ib1        ",
    ]) + "\n"
    # The short name CaRT also accepts.
    assert scan("-p", "ofi+verbs", host="wolf").stdout == r.stdout


def test_fixture_filter_tcp_is_exact():
    r = scan("-pofi+tcp", host="asym")
    assert r.returncode == 0, r.stderr
    assert r.stdout == BANNER + numa(0) + table([
        "Provider Interfaces ",
        "-------- ---------- ",
        "ofi+tcp  eth0, ib0  ",
    ]) + "\n"


def test_unknown_provider():
    r = scan("-p", "ofi+psm9", host="wolf")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == (
        'ERROR: daos_server: get local fabric interfaces: unknown fabric provider "ofi+psm9"; '
        "providers available on this host: ofi+verbs;ofi_rxm, ofi+tcp, ofi+tcp;ofi_rxm, "
        'ofi+sockets (or "all")\n')


def test_provider_not_on_host():
    r = scan("-p", "ofi+verbs;ofi_rxm", host="local")
    assert r.returncode == 1
    assert "no fabric interfaces found with provider ofi+verbs;ofi_rxm; providers available " \
           "on this host: ofi+tcp, ofi+tcp;ofi_rxm, ofi+sockets" in r.stderr


def test_json_fixture():
    r = run_bin("daos_server", "-j", "network", "scan",
                env={"DAOS_HW_ROOT": os.path.join(HOSTS, "wolf")})
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["error"] is None and doc["status"] == 0
    groups = list(doc["response"].values())
    assert len(groups) == 1
    assert list(doc["response"])[0].isdigit()
    assert groups[0]["HostSet"] == "localhost"
    hf = groups[0]["HostFabric"]
    assert hf["NumaCount"] == 2
    assert hf["CoresPerNuma"] == 24
    assert hf["Providers"] == sorted(["ofi+verbs;ofi_rxm", "ofi+tcp", "ofi+tcp;ofi_rxm",
                                      "ofi+sockets"])
    assert len(hf["Interfaces"]) == 11
    assert {"Provider": "ofi+verbs;ofi_rxm", "Device": "ib1", "NumaNode": 1, "Priority": 0,
            "NetDevClass": 32} in hf["Interfaces"]
    assert {"Provider": "ofi+sockets", "Device": "eth0", "NumaNode": 0, "Priority": 5,
            "NetDevClass": 1} in hf["Interfaces"]
    # Same hardware, same group key.
    again = json.loads(scan("-j", host="wolf").stdout)
    assert list(again["response"]) == list(doc["response"])


def test_json_error():
    r = scan("-j", "-p", "bogus", host="asym")
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    assert doc["response"] is None
    assert doc["status"] == -1003
    assert doc["error"].startswith('get local fabric interfaces: unknown fabric provider "bogus"')


def test_missing_fixture(tmp_path):
    r = run_bin("daos_server", "network", "scan", env={"DAOS_HW_ROOT": str(tmp_path)})
    assert r.returncode == 1
    assert f"hardware fixture {tmp_path}/topology.xml: cannot open" in r.stderr


def test_bad_fixture_line(tmp_path):
    os.symlink(os.path.join(HOSTS, "local", "topology.xml"), tmp_path / "topology.xml")
    (tmp_path / "libfabric.txt").write_text("tcp;ofi_rxm eth0\nsockets\n")
    r = run_bin("daos_server", "network", "scan", env={"DAOS_HW_ROOT": str(tmp_path)})
    assert r.returncode == 1
    assert f'{tmp_path}/libfabric.txt:2: expected "<libfabric provider> <domain>", got ' \
           '"sockets"' in r.stderr


def test_bad_flags():
    r = scan("--bogus", host="local")
    assert r.returncode == 1
    assert r.stderr.startswith("ERROR: daos_server: unknown flag `bogus'")
    r = scan("-p", host="local")
    assert r.returncode == 1
    assert "expected argument for flag `-p, --provider'" in r.stderr
    r = run_bin("daos_server", "network")
    assert r.returncode == 1
    assert "Please specify the scan command" in r.stderr
    r = scan("extra", host="local")
    assert r.returncode == 1
    assert "unexpected argument" in r.stderr
    r = scan("--help", host="local")
    assert r.returncode == 0
    assert "-p, --provider=" in r.stdout


def real_interfaces():
    """Non-loopback interfaces of this machine that are up with an IPv4/IPv6 address."""
    names = []
    for name in sorted(os.listdir("/sys/class/net")):
        with open(f"/sys/class/net/{name}/type") as f:
            if int(f.read()) == 772:
                continue
        with open(f"/sys/class/net/{name}/operstate") as f:
            state = f.read().strip()
        if state in ("up", "unknown") and has_address(name):
            names.append(name)
    return names


def has_address(name):
    import fcntl
    import socket
    import struct
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))  # SIOCGIFADDR
        return True
    except OSError:
        pass
    finally:
        s.close()
    try:
        with open("/proc/net/if_inet6") as f:
            return any(line.split()[-1] == name for line in f)
    except FileNotFoundError:
        return False


def test_this_machine():
    """The real scan lists exactly the usable non-loopback interfaces /sys/class/net shows."""
    r = scan("-j")
    want = real_interfaces()
    if not want:
        assert r.returncode == 1
        assert "no fabric interfaces could be found" in json.loads(r.stdout)["error"]
        return
    assert r.returncode == 0, r.stderr
    hf = list(json.loads(r.stdout)["response"].values())[0]["HostFabric"]
    devices = sorted({i["Device"] for i in hf["Interfaces"]})
    assert devices == want
    for i in hf["Interfaces"]:
        with open(f"/sys/class/net/{i['Device']}/type") as f:
            assert i["NetDevClass"] == int(f.read())
        assert i["Provider"].startswith("ofi+")
    assert hf["NumaCount"] >= 1
    assert 1 <= hf["CoresPerNuma"] <= os.cpu_count()
    # The text form lists the same interfaces.
    text = scan().stdout
    assert text.startswith(BANNER)
    for dev in want:
        assert dev in text


def test_this_machine_tcp_filter():
    # the engines of these tests use ofi+tcp: the machine has it
    r = scan("-p", "ofi+tcp;ofi_rxm")
    assert r.returncode == 0, r.stderr
    assert "ofi+tcp;ofi_rxm" in r.stdout
    assert "ofi+sockets" not in r.stdout


# The hidden NetworkScan helper of `daos_server start` (srv_net_helper.c): the
# daemon execs its own binary with it rather than forking its threaded self.

HELPER = "network-scan-helper"


def helper(*args, host="wolf", stdout=subprocess.PIPE):
    env = dict(os.environ, DAOS_HW_ROOT=os.path.join(HOSTS, host))
    return subprocess.run([BINARIES["daos_server"], HELPER, *args], stdout=stdout,
                          stderr=subprocess.PIPE, env=env, timeout=60)


def helper_message(out):
    """(rc, body) of the helper's one message: int32 rc, uint32 length, body."""
    assert len(out) >= 8, out
    rc, n = struct.unpack("=iI", out[:8])
    assert len(out) == 8 + n, out
    return rc, out[8:]


def test_scan_helper_result():
    r = helper()
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""
    rc, body = helper_message(r.stdout)
    assert rc == 0
    for s in (b"ofi+verbs;ofi_rxm", b"ofi+tcp;ofi_rxm", b"ofi+sockets", b"ib1", b"eth0"):
        assert s in body
    # the provider filter reaches the scan
    rc, body = helper_message(helper("--provider=ofi+tcp").stdout)
    assert rc == 0 and b"ofi+tcp" in body and b"verbs" not in body and b"sockets" not in body


def test_scan_helper_error():
    r = helper("--provider=ofi+psm9")
    assert r.returncode == 0, r.stderr
    rc, body = helper_message(r.stdout)
    assert rc == -1003  # -DER_INVAL
    assert body.decode() == (
        'unknown fabric provider "ofi+psm9"; providers available on this host: '
        'ofi+verbs;ofi_rxm, ofi+tcp, ofi+tcp;ofi_rxm, ofi+sockets (or "all")')


def test_scan_helper_refused_on_terminal_or_file(tmp_path):
    master, slave = pty.openpty()
    try:
        r = helper(stdout=slave)
    finally:
        os.close(slave)
        os.close(master)
    assert r.returncode == 1
    assert r.stderr.decode() == (
        f"ERROR: daos_server: `{HELPER}' is internal to `daos_server start': it answers one "
        "NetworkScan request and writes a binary result to a pipe, but its standard output "
        "is a terminal; run `daos_server network scan' instead\n")
    with open(tmp_path / "out", "wb") as f:
        r = helper(stdout=f)
    assert r.returncode == 1
    assert b"its standard output is not a pipe" in r.stderr
    assert os.path.getsize(tmp_path / "out") == 0
    r = helper("extra")
    assert r.returncode == 1 and b"unexpected argument `extra'" in r.stderr


def test_scan_helper_hidden():
    r = run_bin("daos_server", "--help")
    assert r.returncode == 0 and "network" in r.stdout
    assert HELPER not in r.stdout
    r = run_bin("daos_server")
    assert r.returncode == 1 and HELPER not in r.stderr
    r = run_bin("daos_server", "network-scan")
    assert r.returncode == 1 and HELPER not in r.stderr
