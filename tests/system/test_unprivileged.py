"""The deployment guide as written: `make install` creates the daos_server
user and group and installs daos_server_helper setuid root, mode 4750
root:daos_server; daos_server runs as that user (as the shipped unit does)
and the whole format -> engines joined workflow works, the helper doing the
mounts; the helper refuses what is not the SCM of the configuration.

The installation is a real `meson install` into a DESTDIR whose etc/ holds
copies of this machine's passwd and group files, so the users are created
there and nowhere else; the processes run with those numeric ids."""
import os
import re
import shutil
import stat
import subprocess
import tempfile
import time

import pytest
import yaml

import daos_helpers
from conftest import BUILD, BINARIES

DMG = BINARIES["dmg"]


def _ids(root, name):
    with open(os.path.join(root, "etc", "passwd")) as f:
        for line in f:
            p = line.split(":")
            if p[0] == name:
                return int(p[2]), int(p[3])
    raise AssertionError(f"no user {name} in {root}/etc/passwd")


def _group_members(root):
    out = {}
    with open(os.path.join(root, "etc", "group")) as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            out[p[0]] = (int(p[2]), [m for m in p[3].split(",") if m])
    return out


def _status_uids(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return [int(x) for x in line.split()[1:]]
    return None


@pytest.fixture
def image():
    """A DESTDIR with this machine's user files, installed into; removed after."""
    top = tempfile.mkdtemp(prefix="daos-unpriv-")
    os.chmod(top, 0o755)
    etc = os.path.join(top, "root", "etc")
    os.makedirs(etc)
    for name in ("passwd", "group", "shadow", "gshadow"):
        shutil.copy2(os.path.join("/etc", name), etc)
    yield top
    daos_helpers.unmount_under(top)
    shutil.rmtree(top, ignore_errors=True)


def _install(top):
    root = os.path.join(top, "root")
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--destdir", root],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
        import json
        prefix = next(o["value"] for o in json.load(f) if o["name"] == "prefix")
    return root, root + prefix + "/bin", r.stdout + r.stderr


def test_unprivileged_daos_server_formats_and_joins(local_cluster, image, tmp_path):
    top = image
    root, bindir, out = _install(top)

    # make install: users and groups, and the helper's permissions.
    uid, gid = _ids(root, "daos_server")
    agent_uid, agent_gid = _ids(root, "daos_agent")
    groups = _group_members(root)
    assert groups["daos_server"][0] == gid and groups["daos_agent"][0] == agent_gid
    assert sorted(groups["daos_daemons"][1]) == ["daos_agent", "daos_server"]
    assert groups["daos_metrics"][1] == ["daos_server"]
    assert uid != 0 and agent_uid != 0
    for name in ("passwd", "group"):
        with open(os.path.join("/etc", name)) as f:
            assert "daos_server:" not in f.read(), f"/etc/{name} was changed"
    helper = os.path.join(bindir, "daos_server_helper")
    st = os.stat(helper)
    assert (st.st_uid, st.st_gid) == (0, gid), (st.st_uid, st.st_gid)
    assert stat.S_IMODE(st.st_mode) == 0o4750, oct(st.st_mode)

    # Files as an administrator lays them out: config and certificates from
    # root, the server's key, client certificates, socket, logs and bdev
    # directory given to daos_server.
    c = local_cluster(1)
    h = c.host("local-0")
    certs = daos_helpers.make_certs(os.path.join(top, "ca"))
    os.chown(certs.server_key, uid, gid)
    for d, _, files in os.walk(certs.clients):
        os.chown(d, uid, gid)
        for f in files:
            os.chown(os.path.join(d, f), uid, gid)
    for p in (os.path.join(top, "ca"), certs.dir, os.path.dirname(certs.ca)):
        os.chmod(p, 0o755)
    owned = {}
    for name in ("run", "log", "stor"):
        owned[name] = os.path.join(top, name)
        os.makedirs(owned[name])
        os.chown(owned[name], uid, gid)
    base = owned["stor"]
    extra = daos_helpers.engines_extra(base, n=1, bdev_size=1)
    # the mount point under root's directories (as /mnt/daos0 is): the helper
    # refuses one under a directory the daemon's user could change
    os.makedirs(os.path.join(top, "mnt"))
    extra["engines"][0]["storage"][0]["scm_mount"] = os.path.join(top, "mnt", "scm0")
    os.makedirs(os.path.join(base, "bdev0"))
    os.chown(os.path.join(base, "bdev0"), uid, gid)
    extra["helper_log_file"] = os.path.join(owned["log"], "daos_server_helper.log")
    etcdir = os.path.join(top, "etc")
    os.makedirs(etcdir)
    cfg = daos_helpers.server_config(os.path.join(etcdir, "daos_server.yml"), h.port,
                                     owned["run"], certs=certs, extra=extra,
                                     log_file=os.path.join(owned["log"], "daos_server.log"))
    os.chmod(cfg, 0o644)

    srv_proc = c.start(h, ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                           os.path.join(bindir, "daos_server"), "start", "-o", cfg],
                       env={"PATH": "/usr/bin:/bin"})
    srv = daos_helpers.Server(srv_proc, h, cfg, os.path.join(owned["log"], "daos_server.log"))
    daos_helpers.wait_listening(srv)
    assert _status_uids(srv_proc.pid) == [uid] * 4

    ctl = tmp_path / "daos_control.yml"
    with open(ctl, "w") as f:
        yaml.safe_dump({"name": "daos_server", "hostlist": [f"127.0.0.1:{h.port}"],
                        "transport_config": certs.transport("admin")}, f)

    def dmg(*args):
        return subprocess.run([DMG, "-o", str(ctl), *args], capture_output=True, text=True,
                              timeout=120)

    def joined():
        deadline = time.monotonic() + 60
        while True:
            r = dmg("system", "query")
            if r.returncode == 0 and re.search(r"^0 +Joined", r.stdout, re.M):
                return r
            assert time.monotonic() < deadline, r.stdout + r.stderr + srv.read_log()
            time.sleep(0.5)

    r = dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr + srv.read_log()
    joined()

    # The tmpfs is the daemon user's; the engine runs as that user too.
    scm = extra["engines"][0]["storage"][0]["scm_mount"]
    st = os.stat(scm)
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (uid, gid, 0o755)
    assert os.stat(os.path.join(scm, "superblock")).st_uid == uid
    engines = daos_helpers.engine_children(srv_proc.pid)
    assert len(engines) == 1 and _status_uids(engines[0]) == [uid] * 4

    # A reformat unmounts and mounts again through the helper.
    r = dmg("system", "stop")
    assert r.returncode == 0, r.stdout + r.stderr
    r = dmg("storage", "format", "--force")
    assert r.returncode == 0, r.stdout + r.stderr + srv.read_log()
    joined()
    with open(extra["helper_log_file"]) as f:
        hlog = f.read()
    assert re.search(rf"daos_server_helper: uid {uid}: scm-mount-ram {re.escape(scm)}: done",
                     hlog), hlog
    assert f"uid {uid}: scm-unmount {scm}: done" in hlog, hlog

    # The helper, as the daemon's user, refuses what is not the SCM of the
    # configuration, and a configuration that user could have written.
    def helper_run(req, user=(uid, gid)):
        return subprocess.run(["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}",
                               "--clear-groups", helper], input=req, capture_output=True,
                              text=True, timeout=30)

    r = helper_run(f"op=scm-unmount\nconfig={cfg}\nmount=/etc\n")
    assert r.returncode == 1
    assert r.stdout == (f"status=-1001\nmessage=/etc is not the scm_mount of an engine in "
                        f"{cfg}; the helper only acts on the SCM of the configured engines\n")
    r = helper_run(f"op=scm-mount-ram\nconfig={cfg}\nmount=/usr\nsize_gib=1\n")
    assert r.returncode == 1 and "/usr is not the scm_mount of an engine" in r.stdout
    mine = os.path.join(owned["run"], "mine.yml")
    shutil.copy(cfg, mine)
    os.chown(mine, uid, gid)
    r = helper_run(f"op=scm-unmount\nconfig={mine}\nmount={scm}\n")
    assert r.returncode == 1
    assert f"configuration file {mine} is not owned by root" in r.stdout, r.stdout
    assert os.path.ismount(scm)
    with open(extra["helper_log_file"]) as f:
        hlog = f.read()
    assert f"uid {uid}: scm-unmount /etc: /etc is not the scm_mount of an engine" in hlog
    # The tmpfs size is the configuration's, not the caller's.
    r = helper_run(f"op=scm-mount-ram\nconfig={cfg}\nmount={scm}\nsize_gib=4000\n")
    assert r.returncode == 1
    assert r.stdout == (f"status=-1001\nmessage=size_gib 4000 is not the scm_size 4 of engine 0 "
                        f"in {cfg}\n"), r.stdout
    # A root-owned config naming a mount point below the user's own directory:
    # the user could swap a symlink in (to /etc, say) after the checks.
    evil = os.path.join(etcdir, "evil.yml")
    with open(cfg) as f:
        text = f.read()
    with open(evil, "w") as f:
        f.write(text.replace(extra["engines"][0]["storage"][0]["scm_mount"],
                             os.path.join(base, "scm9")))
    r = helper_run(f"op=scm-mount-ram\nconfig={evil}\nmount={base}/scm9\nsize_gib=4\n")
    assert r.returncode == 1
    assert r.stdout == (f"status=-1001\nmessage=directory {base} of scm_mount {base}/scm9 is "
                        "not owned by root: the helper acts only on paths that only root can "
                        "change\n"), r.stdout
    assert not os.path.exists(os.path.join(base, "scm9"))
    # Someone outside the daos_server group cannot run it at all.
    with pytest.raises(PermissionError):
        subprocess.run([helper], input="", capture_output=True, text=True,
                       preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))

    assert srv.stop() == 0
    assert not any(p for p in daos_helpers.engine_children(srv_proc.pid))
