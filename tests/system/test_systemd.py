"""The systemd units and tmpfiles.d entry that `meson install` ships
(utils/systemd): installed where systemd looks under the prefix, accepted by
`systemd-analyze verify` without a warning, with the settings DAOS relies on.

There is no systemd running here: verify works on unit files, and the
tmpfiles entry is applied to a scratch root with systemd-tmpfiles --root."""
import json
import os
import re
import shutil
import socket
import stat
import subprocess
import tempfile

import pytest

from conftest import BUILD


def prefix_and_bindir():
    with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
        opts = {o["name"]: o["value"] for o in json.load(f)}
    bindir = opts["bindir"]
    return opts["prefix"], bindir if bindir.startswith("/") else opts["prefix"] + "/" + bindir


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """DESTDIR install; returns (destdir root + prefix, installed bindir as
    seen on the target, destdir)."""
    dest = str(tmp_path_factory.mktemp("systemd") / "root")
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", dest], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    prefix, bindir = prefix_and_bindir()
    return dest + prefix, bindir, dest


def parse_unit(path):
    """{section: {key: [values...]}} of a systemd unit file."""
    out, section = {}, None
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#;":
                continue
            m = re.fullmatch(r"\[(\w+)\]", line)
            if m:
                section = out.setdefault(m.group(1), {})
                continue
            key, _, value = line.partition("=")
            section.setdefault(key.strip(), []).append(value.strip())
    return out


def verify(path):
    return subprocess.run(["systemd-analyze", "verify", path], capture_output=True, text=True)


def runnable_copy(installed, unit, tmp_path):
    """The installed unit with ExecStart moved under DESTDIR, where the binary
    exists, so verify can check it is executable."""
    root, bindir, dest = installed
    text = open(os.path.join(root, "lib", "systemd", "system", unit)).read()
    assert f"ExecStart={bindir}/" in text
    path = tmp_path / unit
    path.write_text(text.replace(f"ExecStart={bindir}/", f"ExecStart={dest}{bindir}/"))
    return path, text


@pytest.mark.parametrize("unit", ["daos_server.service", "daos_agent.service"])
def test_unit_verifies_clean(installed, unit, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze not found: install the systemd package (utils/install-deps.sh)")
    path, text = runnable_copy(installed, unit, tmp_path)
    r = verify(str(path))
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r
    # verify does catch what it should: a missing binary and an unknown key
    broken = tmp_path / "broken" / unit
    broken.parent.mkdir()
    broken.write_text(text.replace("ExecStart=", "ExecStart=/nonexistent"))
    r = verify(str(broken))
    assert r.returncode != 0 and "/nonexistent" in r.stderr, r
    broken.write_text(path.read_text().replace("[Service]", "[Service]\nRestartt=always"))
    r = verify(str(broken))
    assert "Unknown key 'Restartt'" in r.stderr, r


def test_server_unit_settings(installed):
    root, bindir, _ = installed
    u = parse_unit(os.path.join(root, "lib", "systemd", "system", "daos_server.service"))
    assert u["Service"] == {
        "Type": ["simple"],
        "User": ["daos_server"],
        "Group": ["daos_server"],
        "RuntimeDirectory": ["daos_server"],
        "RuntimeDirectoryMode": ["0755"],
        "ExecStart": [f"{bindir}/daos_server start"],
        "StandardOutput": ["journal"],
        "StandardError": ["journal"],
        "Restart": ["on-failure"],
        "RestartSec": ["10"],
        "LimitMEMLOCK": ["infinity"],
        "LimitCORE": ["infinity"],
        "LimitNOFILE": ["infinity"],
    }
    check_common(u, "DAOS Server")


def test_agent_unit_settings(installed):
    root, bindir, _ = installed
    u = parse_unit(os.path.join(root, "lib", "systemd", "system", "daos_agent.service"))
    assert u["Service"] == {
        "Type": ["notify"],
        "User": ["daos_agent"],
        "Group": ["daos_agent"],
        "RuntimeDirectory": ["daos_agent"],
        "RuntimeDirectoryMode": ["0755"],
        "ExecStart": [f"{bindir}/daos_agent"],
        "StandardOutput": ["journal"],
        "StandardError": ["journal"],
        "Restart": ["always"],
        "RestartSec": ["10"],
        "LimitMEMLOCK": ["infinity"],
        "LimitCORE": ["infinity"],
    }
    check_common(u, "DAOS Agent")


def check_common(u, description):
    assert u["Unit"]["Description"] == [description]
    assert u["Unit"]["StartLimitIntervalSec"] == ["60"]
    assert u["Unit"]["StartLimitBurst"] == ["5"]
    assert u["Unit"]["Wants"] == ["network-online.target"]
    assert u["Unit"]["After"] == ["network-online.target"]
    assert u["Install"] == {"WantedBy": ["multi-user.target"]}


def test_tmpfiles_creates_runtime_dirs(installed, tmp_path):
    root, _, _ = installed
    conf = os.path.join(root, "lib", "tmpfiles.d", "daosfiles.conf")
    lines = [ln.split() for ln in open(conf) if ln.strip() and not ln.startswith("#")]
    assert lines == [["d", "/run/daos_server", "0755", "daos_server", "daos_server", "-"],
                     ["d", "/run/daos_agent", "0755", "daos_agent", "daos_agent", "-"]]
    # Apply it to a scratch root whose passwd/group name the service users.
    scratch = tmp_path / "target"
    (scratch / "etc").mkdir(parents=True)
    (scratch / "etc" / "passwd").write_text(
        "root:x:0:0::/root:/bin/sh\n"
        "daos_server:x:990:990::/:/usr/sbin/nologin\n"
        "daos_agent:x:991:991::/:/usr/sbin/nologin\n")
    (scratch / "etc" / "group").write_text("root:x:0:\ndaos_server:x:990:\ndaos_agent:x:991:\n")
    r = subprocess.run(["systemd-tmpfiles", f"--root={scratch}", "--create", conf],
                       capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr == "", r
    for name, uid in (("daos_server", 990), ("daos_agent", 991)):
        st = os.stat(scratch / "run" / name)
        assert (st.st_uid, st.st_gid) == (uid, uid), name
        assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o755, name
    # and it names the problem when a user does not exist
    (scratch / "etc" / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    r = subprocess.run(["systemd-tmpfiles", f"--root={scratch}", "--create", conf],
                       capture_output=True, text=True)
    assert r.returncode != 0 and "daos_server" in r.stderr, r


# ---------------------------------------------------------------------------
# Each unit's ExecStart run as systemd would run it on an installed machine.

@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    """A DESTDIR install whose etc/ starts as a copy of this machine's, so
    that `meson install` creates the service users there; plus what an
    administrator adds before starting the services: the shipped templates
    as /etc/daos/daos_*.yml and certificates in /etc/daos/certs."""
    top = tmp_path_factory.mktemp("machine")
    dest = top / "root"
    shutil.copytree("/etc", dest / "etc", symlinks=True, ignore_dangling_symlinks=True,
                    ignore=shutil.ignore_patterns("daos", "mtab"))
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", str(dest)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    prefix, bindir = prefix_and_bindir()
    etc_daos = dest / "etc" / "daos"
    etc_daos.mkdir()
    for name in ("daos_server.yml", "daos_agent.yml", "daos_control.yml"):
        shutil.copy(dest / prefix.lstrip("/") / "share" / "daos" / "config" / name, etc_daos)
    r = subprocess.run([str(dest / prefix.lstrip("/") / "share" / "daos" / "certgen" /
                            "gen_certificates.sh"), str(top / "gen")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    shutil.copytree(top / "gen" / "daosCA" / "certs", etc_daos / "certs")
    return top, dest, prefix


def _ids(dest, user):
    with open(dest / "etc" / "passwd") as f:
        for line in f:
            p = line.split(":")
            if p[0] == user:
                return int(p[2]), int(p[3])
    raise AssertionError(f"no user {user} in the installed passwd")


def run_unit(machine, unit, tmp_path, seconds=3):
    """Start the unit's ExecStart in a private network and mount namespace
    where the installed tree is the machine's (/etc and the prefix bound from
    DESTDIR, a fresh /run with the unit's RuntimeDirectory), as its User and
    Group, with NOTIFY_SOCKET for a Type=notify unit; return (still running
    after `seconds`, its output, what it told systemd)."""
    top, dest, prefix = machine
    ndir = tempfile.mkdtemp(prefix="daos-notify-")
    os.chmod(ndir, 0o755)
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(os.path.join(ndir, "notify"))
    os.chmod(os.path.join(ndir, "notify"), 0o777)
    notify.setblocking(False)
    u = parse_unit(dest / prefix.lstrip("/") / "lib" / "systemd" / "system" / unit)
    svc = u["Service"]
    uid, gid = _ids(dest, svc["User"][0])
    rundir = "/run/" + svc["RuntimeDirectory"][0]
    script = f"""set -e
ip link set lo up
mount --make-rprivate /
mount --bind {dest}/etc /etc
mount --bind {dest}{prefix} {prefix}
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m {svc["RuntimeDirectoryMode"][0]} {rundir}
chown {uid}:{gid} {rundir}
{f"export NOTIFY_SOCKET={ndir}/notify" if svc["Type"] == ["notify"] else ""}
exec setpriv --reuid={svc["User"][0]} --regid={svc["Group"][0]} --init-groups -- \
{svc["ExecStart"][0]}
"""
    log = tmp_path / f"{unit}.log"
    with open(log, "w") as out:
        p = subprocess.Popen(["unshare", "--net", "--mount", "--", "sh", "-c", script],
                             stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        p.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        pass
    running = p.poll() is None
    if running:
        p.terminate()
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    told = []
    while True:
        try:
            told.append(notify.recv(4096).decode())
        except BlockingIOError:
            break
    notify.close()
    shutil.rmtree(ndir, ignore_errors=True)
    return running, log.read_text(), told


def test_server_unit_command_starts_and_stays_up(machine, tmp_path):
    """daos_server.service's command, as user daos_server, on the shipped
    template with certificates in place: listening mode, up and running."""
    top, dest, _ = machine
    uid, gid = _ids(dest, "daos_server")
    certs = dest / "etc" / "daos" / "certs"
    os.chown(certs / "server.key", uid, gid)
    for d, _, files in os.walk(certs / "clients"):
        os.chown(d, uid, gid)
        for f in files:
            os.chown(os.path.join(d, f), uid, gid)
    running, out, told = run_unit(machine, "daos_server.service", tmp_path)
    assert running, out
    assert told == [], told  # Type=simple
    assert re.search(r"DAOS Control Server v\S+ \(pid \d+\) listening on 0\.0\.0\.0:10001", out), out
    assert "No DAOS I/O Engines in configuration, DAOS Control Server starting in discovery " \
        "mode" in out, out
    # its socket_dir is the unit's RuntimeDirectory, writable by the service user
    assert "active config saved to /var/run/daos_server/.daos_server.active.yml" in out, out


def test_agent_unit_command_starts_and_stays_up(machine, tmp_path):
    """daos_agent.service's command (`daos_agent`, no command), as user
    daos_agent, on the shipped template: listening on the unit's
    RuntimeDirectory, READY=1 sent (Type=notify), up and running."""
    running, out, told = run_unit(machine, "daos_agent.service", tmp_path)
    assert running, out
    assert re.search(r"daos_agent: DAOS Agent v\S+ \(pid \d+\) listening on "
                     r"/var/run/daos_agent/daos_agent\.sock$", out, re.M), out
    assert told == ["READY=1", "STOPPING=1"], told
