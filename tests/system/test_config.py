"""`config validate` of daos_server, daos_agent and dmg on the shipped files,
the examples and broken files: exit codes, messages with file:line: key,
and the -j envelope."""
import glob
import json
import os
import shutil
import subprocess

import pytest

from conftest import BINARIES, TOP, run_bin

CONFIG = os.path.join(TOP, "utils", "config")
EXAMPLES = os.path.join(CONFIG, "examples")


def validate(kind, path, *extra, env=None):
    """Run `<binary> config validate` on path for the file kind."""
    if kind == "server":
        return run_bin("daos_server", *extra, "config", "validate", "-o", path, env=env)
    if kind == "agent":
        return run_bin("daos_agent", "-o", path, *extra, "config", "validate", env=env)
    return run_bin("dmg", "-o", path, *extra, "config", "validate", env=env)


def kind_of(path):
    base = os.path.basename(path)
    for prefix, kind in (("daos_server", "server"), ("daos_agent", "agent"),
                         ("daos_control", "control")):
        if base.startswith(prefix):
            return kind
    raise AssertionError(base)


SHIPPED = sorted(glob.glob(os.path.join(CONFIG, "*.yml")) +
                 glob.glob(os.path.join(EXAMPLES, "*.yml")))


def test_all_files_found():
    assert len(SHIPPED) >= 8


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_shipped_file_valid(path):
    res = validate(kind_of(path), path)
    assert res.returncode == 0, res.stderr
    assert "configuration is valid" in res.stderr
    # the effective configuration is YAML with every key of the file type
    first_key = {"server": "name:", "agent": "name:", "control": "name:"}[kind_of(path)]
    assert res.stdout.startswith(first_key)


@pytest.mark.parametrize("path", SHIPPED, ids=os.path.basename)
def test_shipped_file_json(path):
    res = validate(kind_of(path), path, "-j")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["status"] == 0 and doc["error"] is None
    assert doc["response"]["valid"] is True
    assert doc["response"]["errors"] == []
    assert doc["response"]["config"]["name"] == "daos_server"


def test_shipped_server_is_discovery_mode():
    res = validate("server", os.path.join(CONFIG, "daos_server.yml"))
    assert res.returncode == 0
    assert ("No DAOS I/O Engines in configuration, DAOS Control Server starting in "
            "discovery mode") in res.stderr
    assert "engines: []" in res.stdout


def test_wolf_example_old_syntax():
    path = os.path.join(EXAMPLES, "daos_server_wolf.yml")
    res = validate("server", path)
    assert res.returncode == 0, res.stderr
    assert ("access_points is deprecated; please use mgmt_svc_replicas instead"
            in res.stderr)
    assert "- wolf-71:10001" in res.stdout
    assert "ofi+verbs;ofi_rxm" in res.stdout
    assert '"0000:87:00.0"' in res.stdout or "0000:87:00.0" in res.stdout


def test_effective_config_reloads(tmp_path):
    path = os.path.join(EXAMPLES, "daos_server_mdonssd.yml")
    first = validate("server", path)
    assert first.returncode == 0, first.stderr
    again = tmp_path / "effective.yml"
    again.write_text(first.stdout)
    second = validate("server", str(again))
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout


BROKEN = [
    # (kind, content, expected line, key, message)
    ("server", "port: 10001\nfoo: 1\n", 2, "foo", 'unknown key "foo"'),
    ("server", "name: daos\nport: abc\n", 2, "port", "expected an integer"),
    ("server", "mgmt_svc_replicas: host1\n", 1, "mgmt_svc_replicas", "expected a list"),
    ("server", "provider: ofi+tcp\nengines:\n- targets: 8\n  fabric_iface: lo\n"
               "  fabric_iface_port: 31416\n  log_file: /tmp/x\n  storage:\n"
               "  - class: ram\n    scm_mount: /mnt/daos\n    scm_size: 2\n",
     10, "engines[0].storage[0].scm_size",
     "configured ram-disk size 2.0 GiB is lower than the minimum (4.0 GiB) required for SCM"),
    ("server", "mgmt_svc_replicas: [a, b]\nprovider: ofi+tcp\nengines:\n- targets: 1\n"
               "  fabric_iface: lo\n  fabric_iface_port: 1\n  log_file: /tmp/x\n  storage:\n"
               "  - class: ram\n    scm_mount: /m\n",
     1, "mgmt_svc_replicas", "non-odd number of MS replicas in configuration"),
    ("server", "access_points: [a]\nmgmt_svc_replicas: [b]\n", 1, "access_points",
     "access_points is deprecated; please use mgmt_svc_replicas instead"),
    ("agent", "include_fabric_ifaces: [a]\nexclude_fabric_ifaces: [b]\n", 1,
     "include_fabric_ifaces", "cannot specify both exclude_fabric_ifaces and include_fabric_ifaces"),
    ("agent", "telemetry_enabled: yes please\n", 1, "telemetry_enabled", "expected true or false"),
    ("control", "hostlist: [a]\nhosts: [b]\n", 2, "hosts", 'unknown key "hosts"'),
    ("control", "port: [1]\n", 1, "port", "expected an integer, got a list"),
]


@pytest.mark.parametrize("kind,content,line,key,msg", BROKEN,
                         ids=[f"{b[0]}-{b[3]}" for b in BROKEN])
def test_broken_file(tmp_path, kind, content, line, key, msg):
    path = tmp_path / "broken.yml"
    path.write_text(content)
    res = validate(kind, str(path))
    assert res.returncode == 1
    assert res.stdout == ""
    assert f"{path}:{line}: {key}: {msg}" in res.stderr, res.stderr

    res = validate(kind, str(path), "-j")
    assert res.returncode == 1
    doc = json.loads(res.stdout)
    assert doc["status"] == -1003
    assert msg in doc["error"]
    errs = doc["response"]["errors"]
    assert any(e["line"] == line and e["key"] == key and msg in e["message"] for e in errs)
    assert "config" not in doc["response"]


def test_every_problem_listed(tmp_path):
    path = tmp_path / "many.yml"
    path.write_text("port: x\nfoo: 1\ndisable_vfio: 3\ntransport_config:\n  cert: [a]\n")
    res = validate("server", str(path))
    assert res.returncode == 1
    lines = [l for l in res.stderr.splitlines() if l.startswith(str(path) + ":")]
    assert len(lines) == 4, res.stderr
    assert [l.split(":")[1] for l in lines] == ["1", "2", "3", "5"]
    assert "4 problems found" in res.stderr


@pytest.mark.parametrize("kind", ["server", "agent", "control"])
def test_missing_file(tmp_path, kind):
    path = tmp_path / "nope.yml"
    res = validate(kind, str(path))
    assert res.returncode == 1
    assert f"{path}: config file not found" in res.stderr
    res = validate(kind, str(path), "-j")
    doc = json.loads(res.stdout)
    assert doc["status"] == -1005
    assert "config file not found" in doc["error"]


@pytest.mark.parametrize("kind", ["server", "agent", "control"])
def test_yaml_syntax_error(tmp_path, kind):
    path = tmp_path / "syntax.yml"
    path.write_text("name: daos_server\nport: 10001\n  bad: [\n")
    res = validate(kind, str(path))
    assert res.returncode == 1
    assert f"{path}:3: YAML syntax error" in res.stderr, res.stderr


def test_empty_files(tmp_path):
    path = tmp_path / "empty.yml"
    path.write_text("")
    res = validate("control", str(path))
    assert res.returncode == 1
    assert f"empty config file: {path}" in res.stderr
    # an empty server file is the discovery-mode default, an empty agent file the defaults
    assert validate("server", str(path)).returncode == 0
    assert validate("agent", str(path)).returncode == 0


def test_directory_is_not_a_file(tmp_path):
    res = validate("server", str(tmp_path))
    assert res.returncode == 1
    assert "is a directory" in res.stderr


def test_unreadable_file(tmp_path):
    """Permission denied needs a non-root reader: run the check as nobody."""
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to drop privileges")
    binary = BINARIES["daos_server"]
    probe = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                            binary, "version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the build directory is not reachable for user nobody")
    os.chmod(tmp_path, 0o755)
    path = tmp_path / "secret.yml"
    path.write_text("port: 10001\n")
    os.chmod(path, 0o600)
    res = subprocess.run([setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
                          binary, "config", "validate", "-o", str(path)],
                         capture_output=True, text=True)
    assert res.returncode == 1
    assert "permission denied" in res.stderr


def test_dmg_defaults_without_file(tmp_path):
    res = run_bin("dmg", "config", "validate", env={"HOME": str(tmp_path)})
    if os.path.exists("/etc/daos/daos_control.yml"):
        pytest.skip("a system daos_control.yml exists on this machine")
    assert res.returncode == 0, res.stderr
    assert "using built-in defaults" in res.stderr
    assert "- localhost:10001" in res.stdout


def test_dmg_home_file_preferred(tmp_path):
    (tmp_path / ".daos_control.yml").write_text("hostlist: [from-home]\n")
    res = run_bin("dmg", "config", "validate", env={"HOME": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert "- from-home" in res.stdout
    assert str(tmp_path / ".daos_control.yml") in res.stderr


def test_uncommented_server_template(tmp_path):
    """Removing one '#' from every line of daos_server.yml gives a valid file."""
    text = open(os.path.join(CONFIG, "daos_server.yml")).read()
    lines = [l[1:] if l.startswith("#") else l for l in text.splitlines()]
    path = tmp_path / "uncommented.yml"
    path.write_text("\n".join(lines) + "\n")
    res = validate("server", str(path))
    assert res.returncode == 0, res.stderr
    assert "- storage-1:10001" in res.stdout


def test_agent_flags_override_file(tmp_path):
    """Global flags -i, -s and -l take precedence over daos_agent.yml."""
    path = os.path.join(TOP, "utils", "config", "examples", "daos_agent.yml")
    r = run_bin("daos_agent", "-o", path, "-i", "-s", str(tmp_path), "-l",
                str(tmp_path / "agent.log"), "-j", "config", "validate")
    assert r.returncode == 0, r.stderr
    cfg = json.loads(r.stdout)["response"]["config"]
    assert cfg["runtime_dir"] == str(tmp_path)
    assert cfg["log_file"] == str(tmp_path / "agent.log")
    assert cfg["transport_config"]["allow_insecure"] is True


def test_dmg_flags_override_file():
    path = os.path.join(TOP, "utils", "config", "examples", "daos_control.yml")
    r = run_bin("dmg", "-o", path, "-i", "-l", "wolf-[71,72]", "-j", "config", "validate")
    assert r.returncode == 0, r.stderr
    cfg = json.loads(r.stdout)["response"]["config"]
    assert cfg["hostlist"] == ["wolf-[71,72]"]
    assert cfg["transport_config"]["allow_insecure"] is True


def test_dmg_bad_hostlist_flag():
    path = os.path.join(TOP, "utils", "config", "examples", "daos_control.yml")
    r = run_bin("dmg", "-o", path, "-l", "wolf-[71", "config", "validate")
    assert r.returncode == 1
    assert "-l/--host-list: " in r.stderr and "wolf-[71" in r.stderr
