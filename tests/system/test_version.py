"""`version` of each binary."""
import re

from conftest import run_bin

VERSION_RE = r"version \d+\.\d+\.\d+(-g[0-9a-f]+)?$"


def test_daos_server_version():
    r = run_bin("daos_server", "version")
    assert r.returncode == 0, r.stderr
    assert re.match(r"^DAOS Control Server " + VERSION_RE, r.stdout.strip())


def test_dmg_version():
    r = run_bin("dmg", "version")
    assert r.returncode == 0, r.stderr
    assert re.match(r"^DAOS Admin Tool " + VERSION_RE, r.stdout.strip())


def test_daos_agent_version():
    r = run_bin("daos_agent", "version")
    assert r.returncode == 0, r.stderr
    assert re.match(r"^DAOS Agent " + VERSION_RE, r.stdout.strip())
