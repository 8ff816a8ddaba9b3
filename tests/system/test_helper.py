"""daos_server_helper's own refusals (the build tree's copy, run by root:
not setuid, the same checks): what it reads, what it takes as arguments,
a configuration that does not load.  The unprivileged workflow and the
path checks are in test_unprivileged.py and the unit tests."""
import os
import subprocess

from conftest import BINARIES

HELPER = BINARIES["daos_server_helper"]


def helper(inp=None, args=(), stdin=None):
    return subprocess.run([HELPER, *args], input=inp, stdin=stdin, capture_output=True,
                          text=True, timeout=30)


def test_takes_no_arguments():
    r = helper("", args=["--help"])
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == ("daos_server_helper performs the privileged storage operations of "
                        "daos_server; it reads one request on stdin and takes no arguments\n")


def test_request_too_long_or_unreadable(tmp_path):
    r = helper("op=scm-unmount\n" + "x" * 9000)
    assert r.returncode == 1
    assert r.stdout == "status=-1003\nmessage=request longer than 8192 bytes\n"
    fd = os.open(tmp_path, os.O_RDONLY)  # read() of a directory: EISDIR
    try:
        r = helper(stdin=fd)
    finally:
        os.close(fd)
    assert r.returncode == 1
    assert r.stdout == "status=-2001\nmessage=cannot read the request: Is a directory\n", r.stdout


def test_configuration_that_does_not_load(tmp_path):
    cfg = tmp_path / "daos_server.yml"
    cfg.write_text("engines: [\n")
    r = helper(f"op=scm-unmount\nconfig={cfg}\nmount=/mnt/daos0\n")
    assert r.returncode == 1
    assert r.stdout.startswith(f"status=-1003\nmessage=cannot load {cfg}: {cfg}:"), r.stdout
    r = helper(f"op=scm-unmount\nconfig={tmp_path}/missing.yml\nmount=/mnt/daos0\n")
    assert r.returncode == 1
    missing = f"{tmp_path}/missing.yml"
    assert r.stdout == (f"status=-1005\nmessage=cannot load {missing}: {missing}: config file "
                        "not found; check the path given with -o or create the file\n"), r.stdout


def test_a_helper_that_dies_is_named(local_cluster, tmp_path):
    """daos_server's side: a helper that exits without answering fails the
    format with its path and exit status (first in PATH, as upstream finds it)."""
    import yaml

    import daos_helpers
    c = local_cluster(1)
    h = c.host("local-0")
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "daos_server_helper").write_text("#!/bin/sh\nexit 3\n")
    (fake / "daos_server_helper").chmod(0o755)
    extra = daos_helpers.engines_extra(h.storage_dir, n=1)
    srv = daos_helpers.start_server(c, h, insecure=True, extra=extra,
                                    env={"PATH": f"{fake}:{os.environ['PATH']}"})
    try:
        srv.proc.wait_for_log(r"SCM format required on instance 0")
        ctl = tmp_path / "dmg.yml"
        ctl.write_text(yaml.safe_dump({"name": "daos_server",
                                       "hostlist": [f"127.0.0.1:{h.port}"],
                                       "transport_config": {"allow_insecure": True}}))
        r = subprocess.run([BINARIES["dmg"], "-o", str(ctl), "storage", "format"],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 1
        assert f"{fake}/daos_server_helper ended without an answer (exit status 3)" in r.stderr, \
            r.stdout + r.stderr
    finally:
        assert srv.stop() == 0
        daos_helpers.unmount_under(h.storage_dir)


def test_not_setuid_says_how_to_install_it():
    """The build tree's helper (not setuid) run by an ordinary user, on a
    configuration only root can change: the mount is refused by the kernel
    and the message says what the installed helper needs."""
    import shutil
    import tempfile
    top = tempfile.mkdtemp(prefix="daos-helper-")
    try:
        os.chmod(top, 0o755)
        mnt = os.path.join(top, "scm0")
        os.mkdir(mnt, 0o755)
        cfg = os.path.join(top, "daos_server.yml")
        with open(cfg, "w") as f:
            f.write("name: daos_server\nprovider: ofi+tcp\nengines:\n- targets: 1\n"
                    "  fabric_iface: lo\n  fabric_iface_port: 31416\n  storage:\n"
                    f"  - class: ram\n    scm_mount: {mnt}\n    scm_size: 4\n")
        os.chmod(cfg, 0o644)
        r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            HELPER], input=f"op=scm-mount-ram\nconfig={cfg}\nmount={mnt}\n"
                           "size_gib=4\n", capture_output=True, text=True, timeout=30)
        assert r.returncode == 1
        assert r.stdout == (f"status=-1001\nmessage=cannot mount tmpfs on {mnt}: permission "
                            "denied (mounting needs root: daos_server_helper must be installed "
                            "setuid root, mode 4750 root:daos_server, as make install does)\n"), \
            r.stdout
        assert not os.path.ismount(mnt)
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_log_only_to_a_file_of_its_own(tmp_path):
    """helper_log_file is appended to only when it is root's own single-link
    file (or new): not through another user's file or a hard link someone
    made to a file of root's."""
    log = tmp_path / "helper.log"
    cfg = tmp_path / "daos_server.yml"
    cfg.write_text(f"name: daos_server\nhelper_log_file: {log}\n")
    req = f"op=scm-unmount\nconfig={cfg}\nmount=/etc\n"
    log.write_text("x\n")
    os.chown(log, 65534, 65534)
    assert helper(req).returncode == 1
    assert log.read_text() == "x\n"
    os.chown(log, 0, 0)
    os.link(log, tmp_path / "other-name")
    assert helper(req).returncode == 1
    assert log.read_text() == "x\n"
    os.unlink(tmp_path / "other-name")
    assert helper(req).returncode == 1
    text = log.read_text()
    assert text.startswith("x\nERROR ") and "daos_server_helper: uid 0: scm-unmount /etc: /etc " \
        "is not the scm_mount of an engine" in text, text
