"""Self-tests of the multi-host test harness (cluster.py); no DAOS binary.

Network-namespace tests skip (with the reason) when the machine cannot run
namespaces; everything else about them must hold."""
import errno
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap

import pytest

import cluster
from cluster import ClusterError, LocalCluster, NetnsCluster

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
NAMES = ["wolf-71", "wolf-72", "wolf-73"]


def alive(pid):
    """True while pid runs (a zombie or a vanished pid does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
def three(netns_cluster):
    return netns_cluster(NAMES)


def test_netns_hostnames_and_name_resolution(three):
    for name in NAMES:
        r = three.run(name, ["hostname"])
        assert r.returncode == 0 and r.stdout == name + "\n", r
        r = three.run(name, ["getent", "hosts", *NAMES])
        assert r.returncode == 0, r
        got = {line.split()[1]: line.split()[0] for line in r.stdout.splitlines()}
        assert got == {n: three.address(n) for n in NAMES}
        # the test runner's own hostname is untouched
    assert socket.gethostname() not in NAMES
    addrs = [ipaddress.ip_address(three.address(n)) for n in NAMES]
    assert all(a in cluster.SUBNET for a in addrs) and len(set(addrs)) == 3


def test_netns_tcp_server_reached_by_hostname(three, tmp_path):
    www = tmp_path / "www"
    www.mkdir()
    (www / "who").write_text("served by wolf-71\n")
    srv = three.start("wolf-71", [PY, "-u", "-m", "http.server", "--bind", "0.0.0.0",
                                  "--directory", str(www), "8000"])
    srv.wait_for_log(r"^Serving HTTP")
    fetch = "import urllib.request as u; print(u.urlopen('http://wolf-71:8000/who').read().decode(), end='')"
    for client in ("wolf-72", "wolf-73"):
        r = three.run(client, [PY, "-c", fetch])
        assert r.returncode == 0 and r.stdout == "served by wolf-71\n", r
    # the requests came over the bridge from the clients' own addresses
    log = srv.read_log()
    for client in ("wolf-72", "wolf-73"):
        assert f"{three.address(client)} - - " in log, log
    assert srv.stop() == -signal.SIGTERM


CONNECT = textwrap.dedent("""
    import socket, sys
    fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect((sys.argv[1], 80))
        print("connected")
    except OSError as e:
        print(e.errno)
""")


def root_addresses():
    out = subprocess.run(["ip", "-j", "addr", "show"], capture_output=True, text=True).stdout
    return [a["local"] for link in json.loads(out) for a in link.get("addr_info", [])
            if not a["local"].startswith(("127.", "::1", "fe80:"))]


def test_netns_reaches_nothing_outside(three):
    for name in NAMES:
        r = three.run(name, ["ip", "-4", "route", "show", "table", "all"])
        assert "default" not in r.stdout, r.stdout
        r = three.run(name, ["ip", "-6", "route", "show"])
        assert "default" not in r.stdout, r.stdout
    targets = ["192.0.2.1", "8.8.8.8", "10.0.0.1", "2001:db8::1"] + root_addresses()
    for target in targets:
        r = three.run("wolf-72", [PY, "-c", CONNECT, target])
        assert r.stdout.strip() == str(errno.ENETUNREACH), (target, r)
    # the bridge has no address: the root namespace is not on the test network
    r = subprocess.run(["ip", "-j", "addr", "show", "dev", f"{cluster.PREFIX}{three.run_id}b"],
                       capture_output=True, text=True, check=True)
    assert [a for link in json.loads(r.stdout) for a in link.get("addr_info", [])] == []
    # names outside the cluster do not resolve (no DNS inside)
    r = three.run("wolf-71", ["getent", "hosts", "localhost", "example.com"])
    assert r.returncode == 2 and "example.com" not in r.stdout, r


def test_netns_per_host_run_dir_and_fixture(netns_cluster, tmp_path):
    fix = str(tmp_path / "fixture")
    c = netns_cluster(["wolf-71", "wolf-72"], fixtures={"wolf-71": fix})
    r = c.run("wolf-71", ["sh", "-c", 'echo "$DAOS_HW_ROOT"'], env={"X": "1"})
    assert r.stdout == fix + "\n"
    r = c.run("wolf-72", ["sh", "-c", 'echo "${DAOS_HW_ROOT-unset}"'])
    assert r.stdout == "unset\n"
    h71 = c.host("wolf-71")
    assert h71.socket_dir == "/var/run/daos_server"
    r = c.run("wolf-71", ["sh", "-c", "echo 71 > /var/run/daos_server/mark"])
    assert r.returncode == 0, r
    assert open(os.path.join(h71.run_dir, "daos_server", "mark")).read() == "71\n"
    assert not os.path.exists("/run/daos_server/mark")
    r = c.run("wolf-72", ["ls", "/var/run/daos_server"])
    assert r.returncode == 0 and r.stdout == ""
    assert c.hostlist() == "wolf-71:10001,wolf-72:10001"


def test_netns_process_handles(three):
    trap = ["sh", "-c", "trap '' TERM; echo ready; exec sleep 1000"]
    p = three.start("wolf-73", trap)
    p.wait_for_log("^ready$")
    assert p.running and p.log.startswith(three.host("wolf-73").log_dir)
    # ignores SIGTERM: stop() escalates to SIGKILL after its timeout
    assert p.stop(timeout=0.2) == -signal.SIGKILL and not alive(p.pid)
    q = three.start("wolf-71", ["sh", "-c", "echo bye; exit 3"])
    with pytest.raises(ClusterError, match="exited with 3 before logging"):
        q.wait_for_log("never")
    assert q.wait() == 3
    with pytest.raises(ClusterError, match="no host 'wolf-99'"):
        three.run("wolf-99", ["true"])


def test_netns_host_mount_table_outlives_processes(three, tmp_path):
    # A mount made by one process of a host is seen by its later processes
    # (as SCM tmpfs must survive a daos_server restart), and by no other host
    # nor the root namespace.
    d = str(tmp_path / "scm")
    os.makedirs(d)
    three.run("wolf-71", ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", d], check=True)
    three.run("wolf-71", ["sh", "-c", f"echo kept > {d}/f"], check=True)
    assert three.run("wolf-71", ["cat", f"{d}/f"]).stdout == "kept\n"
    assert three.run("wolf-72", ["ls", d]).stdout == ""
    assert not os.path.exists(f"{d}/f")
    # /etc of the host (its hosts file) and its own /run still apply
    assert three.run("wolf-71", ["getent", "hosts", "wolf-73"]).returncode == 0


def test_netns_bad_arguments():
    with pytest.raises(ClusterError, match="duplicate"):
        NetnsCluster(["a", "a"])
    with pytest.raises(ClusterError, match="unknown hosts"):
        NetnsCluster(["a"], fixtures={"b": "/x"})
    with pytest.raises(ClusterError, match="not valid host names"):
        NetnsCluster(["a_b"])
    with pytest.raises(ClusterError, match="do not fit"):
        NetnsCluster([f"h{i}" for i in range(cluster.MAX_HOSTS + 1)])


def test_netns_teardown_leaves_nothing(netns_cluster):
    c = netns_cluster(NAMES)
    sleeper = c.start("wolf-72", ["sleep", "1000"])
    # a daemon that left the process group is found through its namespace
    r = c.run("wolf-73", ["sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 & echo $!"])
    daemon = int(r.stdout)
    assert alive(daemon)
    # netns, bridge, veths, etc dirs, mount namespaces, lock
    assert len(c.leftovers()) == 3 + 1 + 3 + 3 + 3 + 1
    c.teardown()
    assert c.leftovers() == []
    assert not alive(sleeper.pid)
    assert not alive(daemon)
    c.teardown()                                         # idempotent


def test_subnet_in_use_is_refused(netns_cluster, monkeypatch):
    # the root namespace check, on a subnet this machine certainly uses
    assert any("address 127.0.0.1/8 on lo" in u
               for u in cluster.subnet_users(ipaddress.ip_network("127.0.0.0/24")))
    # A foreign namespace holding an address of the test subnet.  The test
    # moves the harness to a neighbouring subnet first so that runs of the
    # harness going on in parallel do not see theirs taken.
    other = ipaddress.ip_network("10.71.214.0/24")
    monkeypatch.setattr(cluster, "SUBNET", other)
    foreign = f"daos-subnet-probe-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", foreign], check=True)
    try:
        subprocess.run(["ip", "-n", foreign, "addr", "add", f"{other[5]}/32", "dev", "lo"],
                       check=True)
        with pytest.raises(ClusterError, match=f"test subnet {other} is already "
                           f"in use.*netns {foreign}: address {other[5]}/32 on lo"):
            netns_cluster(["wolf-71"])
    finally:
        subprocess.run(["ip", "netns", "del", foreign], check=True)


INNER = """
import os, sys
sys.path.insert(0, {here!r})
from conftest import netns_cluster  # noqa: F401  (the fixture under test)

def test_fails(netns_cluster):
    c = netns_cluster(["wolf-1", "wolf-2"])
    p = c.start("wolf-1", ["sleep", "1000"])
    with open({out!r}, "w") as f:
        f.write(f"{{c.run_id}} {{p.pid}}")
    assert False, "simulated failure"
"""


def test_netns_cleanup_after_failing_test(tmp_path):
    ok, why = cluster.netns_support()
    if not ok:
        pytest.skip(why)
    out = tmp_path / "inner.out"
    (tmp_path / "test_inner.py").write_text(INNER.format(here=HERE, out=str(out)))
    r = subprocess.run([PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull,
                        "--rootdir", str(tmp_path), str(tmp_path / "test_inner.py")],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1 and "simulated failure" in r.stdout, r.stdout + r.stderr
    run_id, pid = out.read_text().split()
    assert cluster.run_leftovers(run_id) == []
    assert not alive(int(pid))


CRASH = """
import os, signal, sys
sys.path.insert(0, {here!r})
import cluster
c = cluster.NetnsCluster(["wolf-1", "wolf-2"])
p = c.start("wolf-2", ["sleep", "1000"])
print(c.run_id, p.pid, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_netns_stale_run_removed_at_setup(netns_cluster):
    r = subprocess.run([PY, "-c", CRASH.format(here=HERE)], capture_output=True, text=True)
    assert r.returncode == -signal.SIGKILL, r
    run_id, pid = r.stdout.split()
    assert len(cluster.run_leftovers(run_id)) == 2 + 1 + 2 + 2 + 2 + 1  # + mount namespaces
    assert alive(int(pid))
    # The next setup removes it (or a parallel run's setup did, which is as
    # good: only setups remove stale runs).
    live = netns_cluster(["wolf-3"])
    assert cluster.run_leftovers(run_id) == []
    assert not alive(int(pid))
    # a live run is never taken for stale
    assert live.run_id not in cluster.remove_stale()
    assert live.leftovers() != []


def test_local_cluster_ports_and_dirs(local_cluster):
    c = local_cluster(4)
    hosts = [c.host(n) for n in c.names]
    ports = [h.port for h in hosts]
    assert c.names == ["local-0", "local-1", "local-2", "local-3"]
    assert len(set(ports)) == 4 and all(cluster.port_free(p) for p in ports)
    for attr in ("dir", "socket_dir", "storage_dir", "log_dir"):
        paths = [getattr(h, attr) for h in hosts]
        assert len(set(paths)) == 4 and all(os.path.isdir(p) for p in paths), attr
    assert c.hostlist() == ",".join(f"127.0.0.1:{p}" for p in ports)
    h = hosts[2]
    srv = c.start(h.name, [PY, "-u", "-m", "http.server", "--bind", "127.0.0.1",
                           "--directory", h.dir, str(h.port)])
    srv.wait_for_log(r"^Serving HTTP")
    assert not cluster.port_free(h.port)
    with socket.create_connection((c.address(h.name), c.port(h.name))):
        pass
    r = c.run("local-0", ["sh", "-c", 'echo "${DAOS_HW_ROOT-unset}"'])
    assert r.stdout == "unset\n"


def test_free_ports_skips_ports_in_use():
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        assert not cluster.port_free(port)
        if cluster.port_free(port + 1):
            assert cluster.free_ports(1, low=port, high=port + 2) == [port + 1]
        else:
            with pytest.raises(ClusterError):
                cluster.free_ports(1, low=port, high=port + 2)
        with pytest.raises(ClusterError, match=f"only 0 of 1 free TCP ports in {port}-{port}"):
            cluster.free_ports(1, low=port, high=port + 1)
    finally:
        busy.close()


def test_local_cluster_teardown_stops_processes(tmp_path):
    c = LocalCluster(2)
    workdir = c.workdir
    p = c.start("local-1", ["sleep", "1000"])
    c.teardown()
    assert not alive(p.pid) and not os.path.exists(workdir)
    with pytest.raises(ClusterError, match="torn down"):
        c.start("local-1", ["true"])


if __name__ == "__main__":
    sys.exit(pytest.main([__file__]))


def test_no_lookup_leaves_the_machine():
    """The session's /etc/resolv.conf names no server (conftest._no_dns): a
    made-up name fails without a query leaving the machine, while hosts-file
    names resolve."""
    if os.geteuid() != 0:
        pytest.skip("needs root for the session's mount namespace")
    with open("/etc/resolv.conf") as f:
        assert "nameserver" not in f.read()
    with pytest.raises(socket.gaierror):
        socket.getaddrinfo("daos-made-up-name.example", 10001)
    assert socket.getaddrinfo("localhost", 10001)[0][4][0] in ("127.0.0.1", "::1")
    # and our binaries see the same file
    r = subprocess.run(["getent", "hosts", "daos-made-up-name.example"], capture_output=True)
    assert r.returncode == 2
