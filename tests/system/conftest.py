"""Shared fixtures for the system tests: where the built binaries are; and
no name lookup leaves the machine (see _no_dns)."""
import os
import subprocess
import tempfile

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DAOS_BUILD_DIR", os.path.join(TOP, "build"))

BINARIES = {
    "daos_server": os.path.join(BUILD, "src", "control", "server", "daos_server"),
    "daos_server_helper": os.path.join(BUILD, "src", "control", "server",
                                       "daos_server_helper"),
    "dmg": os.path.join(BUILD, "src", "control", "dmg", "dmg"),
    "daos_agent": os.path.join(BUILD, "src", "agent", "daos_agent"),
    "daos_engine": os.path.join(BUILD, "src", "engine", "daos_engine"),
}


RESOLV = "/etc/resolv.conf"
RESOLV_MARK = "daos-test-resolv-"


def _resolv_masks():
    """Our bind mounts on /etc/resolv.conf (mountinfo shows the bound file)."""
    with open("/proc/self/mountinfo") as f:
        return [line for line in f
                if line.split()[4] == RESOLV and RESOLV_MARK in line.split()[3]]


def _unmask_resolv():
    while _resolv_masks():
        if subprocess.run(["umount", RESOLV], capture_output=True).returncode != 0:
            break


def _no_dns():
    """Names the tests resolve come from hosts files (/etc/hosts, a netns
    host's own): for the session, /etc/resolv.conf is covered by a bind
    mount of a file naming no server, so a made-up name fails at once on
    loopback and no DNS query leaves the machine.  Undone at the end (and at
    the start, if a killed session left it).  Needs root; without it the
    netns tests skip and the rest resolve only names of /etc/hosts."""
    if os.geteuid() != 0 or os.environ.get("DAOS_TEST_NO_DNS"):
        return False
    _unmask_resolv()
    fd, path = tempfile.mkstemp(prefix=RESOLV_MARK)
    os.write(fd, b"# system tests: no name server, only hosts files\n")
    os.close(fd)
    os.chmod(path, 0o644)
    subprocess.run(["mount", "--bind", path, RESOLV], check=True)
    os.environ["DAOS_TEST_NO_DNS"] = path
    return True


def pytest_configure(config):
    config._daos_no_dns = _no_dns()


def pytest_unconfigure(config):
    if getattr(config, "_daos_no_dns", False):
        _unmask_resolv()
        os.unlink(os.environ.pop("DAOS_TEST_NO_DNS"))


def run_bin(name, *args, env=None, check=False, timeout=60, input=None):
    """Run one of our binaries and return the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([BINARIES[name], *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=check, input=input)


@pytest.fixture(scope="session")
def top():
    return TOP


@pytest.fixture(scope="session")
def build_dir():
    return BUILD


# Multi-host clusters (tests/system/cluster.py, documented in README.md).
# Both fixtures are factories so a test chooses its host names; every cluster
# made is torn down when the test ends, passed or failed.

@pytest.fixture
def netns_cluster(tmp_path):
    """make(names, fixtures=None, port=10001) -> NetnsCluster; skips the
    test when this machine cannot run network namespaces (not root, ...)."""
    import cluster
    ok, why = cluster.netns_support()
    if not ok:
        pytest.skip(why)
    made = []

    def make(names, fixtures=None, **kw):
        c = cluster.NetnsCluster(names, fixtures=fixtures,
                                 workdir=str(tmp_path / f"netns{len(made)}"), **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        c.teardown()


@pytest.fixture
def local_cluster():
    """make(n, fixtures=None) -> LocalCluster of n loopback hosts.  Each
    cluster makes its own short work directory under /tmp (pytest's tmp_path
    of a long test name makes <socket_dir>/daos_server.sock longer than the
    107 bytes of a unix socket path).  At the end its processes are stopped,
    whatever a test mounted under it is unmounted, and the directory is
    removed."""
    import cluster
    from daos_helpers import unmount_under
    made = []

    def make(n, fixtures=None, **kw):
        c = cluster.LocalCluster(n, fixtures=fixtures, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            c.stop_all()
            unmount_under(c.workdir)
        finally:
            c.teardown()
