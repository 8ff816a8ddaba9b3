"""`dmg storage format` against real `daos_server start` processes (TLS,
LocalCluster) on emulated storage: class ram SCM (a tmpfs daos_server
mounts) and class file bdevs (sparse files), as docs/admin guide's
"Format" step and upstream's server/ctl_storage_rpc.go do it; plus
`daos_server start --auto-format` and the restart of a formatted server.
Every test unmounts what it mounted (daos_helpers.unmount_under)."""
import json
import os
import re
import shutil
import subprocess

import pytest
import yaml

import daos_helpers
from conftest import BINARIES, TOP

DMG = BINARIES["dmg"]
GIB = 1 << 30


@pytest.fixture
def certs(tmp_path):
    return daos_helpers.make_certs(tmp_path / "ca")


@pytest.fixture
def base(tmp_path):
    """Directory of the emulated storage; unmounted at teardown."""
    d = str(tmp_path / "stor")
    os.makedirs(d)
    yield d
    daos_helpers.unmount_under(d)


def control_yml(path, certs, hosts):
    cfg = {"name": "daos_server", "hostlist": hosts,
           "transport_config": certs.transport("admin")}
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f)
    return str(path)


def dmg(cfg, *args, timeout=120):
    e = dict(os.environ)
    e.pop("DAOS_HW_ROOT", None)
    return subprocess.run([DMG, "-o", cfg, *args], capture_output=True, text=True, env=e,
                          timeout=timeout)


def mountinfo(path):
    """(fstype, super options) of the mount on `path`, or None."""
    path = os.path.realpath(path)
    found = None
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, post = line.split(" - ")
            if pre.split()[4] == path:
                fstype, _src, opts = post.split()
                found = (fstype, opts)
    return found


def errors_table(text):
    """{error: hosts} of an "Errors:" block."""
    out, inside = {}, False
    for line in text.splitlines():
        if line.startswith("Errors:"):
            inside = True
            continue
        if not inside:
            continue
        if not line.startswith("  "):
            inside = False
            continue
        if line.strip().startswith(("Hosts ", "----- ")):
            continue
        hosts, err = line.strip().split(" ", 1)
        out[err.strip()] = hosts
    return out


class Env:
    """One local host with a TLS daos_server configured with `n` engines on
    ram SCM + file bdev under `base`, and a dmg config for it."""

    def __init__(self, local_cluster, certs, base, tmp_path, n=1, hosts=1, extra_eng=None,
                 args=(), wait=True, fixture=None):
        self.c = local_cluster(hosts, fixtures={"local-0": fixture} if fixture else None)
        self.certs = certs
        self.base = base
        self.servers = {}
        self.extra = daos_helpers.engines_extra(base, n=n, bdev_size=2)
        for i, eng in enumerate(self.extra["engines"]):
            eng.update((extra_eng or {}).get(i, {}))
        self.addrs = [f"127.0.0.1:{h.port}" for h in self.c.hosts.values()]
        self.cfg = control_yml(tmp_path / "daos_control.yml", certs, self.addrs)
        self.args = args
        if wait is not None:
            for name in self.c.names:
                self.start(name, wait=wait)

    def start(self, name="local-0", args=None, wait=True):
        h = self.c.host(name)
        extra = self.extra
        if len(self.c.names) > 1:
            # each host its own storage
            hb = os.path.join(self.base, name)
            extra = daos_helpers.engines_extra(hb, n=len(self.extra["engines"]), bdev_size=2)
        srv = daos_helpers.start_server(self.c, h, certs=self.certs, extra=extra,
                                        args=self.args if args is None else args, wait=wait,
                                        env=daos_helpers.ENGINE_PATH)
        self.servers[name] = srv
        return srv

    @property
    def srv(self):
        return self.servers["local-0"]

    def eng(self, i=0):
        return self.extra["engines"][i]

    def mnt(self, i=0):
        return self.eng(i)["storage"][0]["scm_mount"]

    def bdev(self, i=0):
        return self.eng(i)["storage"][1]["bdev_list"][0]

    def dmg(self, *args):
        return dmg(self.cfg, *args)


def test_format_ram_and_file(local_cluster, certs, base, tmp_path):
    env = Env(local_cluster, certs, base, tmp_path)
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    assert mountinfo(env.mnt()) is None

    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr
    host = env.addrs[0]
    w = len(host)
    assert r.stdout == ("Format Summary:\n"
                        f"  {'Hosts'.ljust(w)} SCM Devices NVMe Devices \n"
                        f"  {'-----'.ljust(w)} ----------- ------------ \n"
                        f"  {host} 1           1            \n"), r.stdout
    assert r.stderr == ""

    # the tmpfs: size from scm_size, huge pages unless the kernel has none
    fstype, opts = mountinfo(env.mnt())
    assert fstype == "tmpfs"
    assert f"size={4 * GIB // 1024}k" in opts.split(","), opts
    if os.path.exists("/sys/kernel/mm/transparent_hugepage/enabled"):
        assert "huge=always" in opts.split(","), opts
    # superblock: version 1, random uuid, system name, no rank yet
    sb = daos_helpers.read_superblock(env.mnt())
    assert sb["version"] == 1 and sb["system"] == "daos_server"
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        sb["uuid"])
    assert sb["rank"] is None and sb["validrank"] is False
    # the bdev file: sparse, bdev_size GB rounded down to 4 KiB
    st = os.stat(env.bdev())
    assert st.st_size == (2 * 10**9) // 4096 * 4096
    assert st.st_blocks * 512 < 1 << 20
    # daos_nvme.conf next to the superblock, naming the file
    with open(os.path.join(env.mnt(), "daos_nvme.conf")) as f:
        conf = json.load(f)
    text = json.dumps(conf)
    assert "bdev_aio_create" in text and env.bdev() in text
    log = env.srv.read_log()
    assert (f'Writing NVMe config file for engine instance 0 to '
            f'"{env.mnt()}/daos_nvme.conf"') in log

    # verbose: per-group tables
    r = env.dmg("storage", "format", "-v")
    assert r.returncode == 0, r.stderr
    wm = max(len(env.mnt()), len("SCM Mount"))
    assert r.stdout == ("-" * w + "\n" + host + "\n" + "-" * w + "\n"
                        f"{'SCM Mount'.ljust(wm)} Format Result            \n"
                        f"{'---------'.ljust(wm)} -------------            \n"
                        f"{env.mnt().ljust(wm)} SCM is already formatted \n"
                        "\n"
                        "  No NVMe devices were formatted\n"
                        "\n"), r.stdout


def test_erased_tmpfs_is_mounted_afresh(local_cluster, certs, base, tmp_path):
    # a tmpfs without superblock (what `dmg system erase` leaves) is replaced
    env = Env(local_cluster, certs, base, tmp_path, wait=None)
    os.makedirs(env.mnt())
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", env.mnt()], check=True)
    open(os.path.join(env.mnt(), "stale"), "w").close()
    env.start()
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    fstype, opts = mountinfo(env.mnt())
    assert fstype == "tmpfs" and f"size={4 * GIB // 1024}k" in opts.split(","), opts
    assert not os.path.exists(os.path.join(env.mnt(), "stale"))
    assert "instance 0: unmounting the old tmpfs on" in env.srv.read_log()


def test_second_format_force_and_json(local_cluster, certs, base, tmp_path):
    env = Env(local_cluster, certs, base, tmp_path)
    r = env.dmg("storage", "format", "-v")
    assert r.returncode == 0, r.stderr
    assert f"{env.mnt()} CTL_SUCCESS" in r.stdout
    assert re.search(rf"^{re.escape(env.bdev())} +CTL_SUCCESS +NA +$", r.stdout, re.M), \
        r.stdout
    first = daos_helpers.read_superblock(env.mnt())["uuid"]
    with open(env.bdev(), "w") as f:
        f.write("data")
    marker = os.path.join(env.mnt(), "marker")
    open(marker, "w").close()

    # no --force: already formatted, nothing touched
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    assert re.search(r" 1 +0 +$", r.stdout, re.M), r.stdout
    assert daos_helpers.read_superblock(env.mnt())["uuid"] == first
    assert os.path.exists(marker)
    assert os.path.getsize(env.bdev()) == 4

    # -j: upstream's envelope and HostStorage field names
    r = env.dmg("storage", "format", "-j")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["error"] is None and doc["status"] == 0
    (group,) = doc["response"]["HostStorage"].values()
    assert group["hosts"] == env.addrs[0]
    (mp,) = group["storage"]["scm_mount_points"]
    assert mp["path"] == env.mnt() and mp["info"] == "SCM is already formatted"
    assert group["storage"]["nvme_devices"] == []
    assert doc["response"]["host_errors"] == {}

    # --force: new uuid, tmpfs and bdev file recreated
    r = env.dmg("storage", "format", "--force", "-j")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    (group,) = doc["response"]["HostStorage"].values()
    (mp,) = group["storage"]["scm_mount_points"]
    assert mp["info"] == "CTL_SUCCESS"
    (nd,) = group["storage"]["nvme_devices"]
    assert nd["pci_addr"] == env.bdev() and nd["info"] == "CTL_SUCCESS"
    second = daos_helpers.read_superblock(env.mnt())["uuid"]
    assert second != first
    assert not os.path.exists(marker)
    assert os.path.getsize(env.bdev()) == (2 * 10**9) // 4096 * 4096

    # --reformat: the guide's alias of --force
    r = env.dmg("storage", "format", "--reformat")
    assert r.returncode == 0, r.stderr
    assert re.search(r" 1 +1 +$", r.stdout, re.M), r.stdout
    assert daos_helpers.read_superblock(env.mnt())["uuid"] not in (first, second)


def test_format_starts_engine_and_restart_skips_maintenance(local_cluster, certs, base,
                                                             tmp_path):
    env = Env(local_cluster, certs, base, tmp_path)
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    # the engine runner takes over: the daos_engine process is started
    env.srv.proc.wait_for_log(r"instance 0: storage ready")
    env.srv.proc.wait_for_log(r"instance 0: joined the system as rank 0 ")
    assert env.srv.stop() == 0
    # restart on formatted storage: no maintenance mode
    srv = env.start()
    srv.proc.wait_for_log(r"Checking DAOS I/O Engine instance 0 storage \.\.\.")
    srv.proc.wait_for_log(r"instance 0: joined the system as rank 0 ")
    assert "format required" not in srv.read_log()
    # and a format now is "already formatted" even while the engine runs
    r = env.dmg("storage", "format", "-v")
    assert r.returncode == 0, r.stderr
    assert "SCM is already formatted" in r.stdout
    first = daos_helpers.read_superblock(env.mnt())["uuid"]

    # storage lost under a running engine: refused without --force
    os.unlink(os.path.join(env.mnt(), "superblock"))
    r = env.dmg("storage", "format")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err == "instance 0: can't format storage of running instance", r.stderr
    assert not os.path.exists(os.path.join(env.mnt(), "superblock"))

    # --force stops the engine, reformats and starts it again
    n_started = srv.read_log().count("instance 0: storage ready")
    r = env.dmg("storage", "format", "--force")
    assert r.returncode == 0, r.stderr
    log = srv.read_log()
    assert "instance 0: stopping the running engine for a reformat" in log
    assert log.count("instance 0: storage ready") == n_started + 1
    assert daos_helpers.read_superblock(env.mnt())["uuid"] != first
    assert srv.stop() == 0


def test_auto_format(local_cluster, certs, base, tmp_path):
    env = Env(local_cluster, certs, base, tmp_path, args=["--auto-format"])
    env.srv.proc.wait_for_log(r"--auto-format: instance 0: \S+: CTL_SUCCESS")
    assert mountinfo(env.mnt())[0] == "tmpfs"
    first = daos_helpers.read_superblock(env.mnt())["uuid"]
    assert env.srv.stop() == 0
    # again: storage is formatted, auto-format leaves it alone
    srv = env.start()
    srv.proc.wait_for_log(r"--auto-format: instance 0: \S+: SCM is already formatted")
    assert daos_helpers.read_superblock(env.mnt())["uuid"] == first
    assert "format required" not in srv.read_log()


def test_two_engines_two_hosts(local_cluster, certs, base, tmp_path):
    env = Env(local_cluster, certs, base, tmp_path, n=2, hosts=2)
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    # loopback hosts have different mount points, so each is its own group, sorted
    w = len(env.addrs[0])
    assert r.stdout == ("Format Summary:\n"
                        f"  {'Hosts'.ljust(w)} SCM Devices NVMe Devices \n"
                        f"  {'-----'.ljust(w)} ----------- ------------ \n"
                        f"  {env.addrs[0]} 2           2            \n"
                        f"  {env.addrs[1]} 2           2            \n"), r.stdout
    for name in env.c.names:
        for i in range(2):
            mnt = os.path.join(base, name, f"scm{i}")
            assert mountinfo(mnt)[0] == "tmpfs"
            assert daos_helpers.read_superblock(mnt)["version"] == 1


def test_identical_host_errors_grouped(local_cluster, certs, tmp_path):
    # two servers in discovery mode give the same error: one row, ranged host set
    c = local_cluster(2)
    for name in c.names:
        daos_helpers.start_server(c, name, certs=certs)
    addrs = [f"127.0.0.1:{h.port}" for h in c.hosts.values()]
    cfg = control_yml(tmp_path / "c.yml", certs, addrs)
    r = dmg(cfg, "storage", "format")
    assert r.returncode == 1
    assert r.stderr.endswith("ERROR: dmg: 2 hosts had errors\n"), r.stderr
    (err, hosts), = errors_table(r.stderr).items()
    assert "discovery mode" in err and "add `engines:`" in err
    p0, p1 = sorted(h.port for h in c.hosts.values())
    assert hosts == f"127.0.0.1:{p0},127.0.0.1:{p1}", hosts
    assert r.stdout == ""


def test_bad_scm_mount_and_bdev_dir(local_cluster, certs, base, tmp_path):
    # engine 0: something other than a tmpfs is mounted on scm_mount;
    # engine 1: its bdev directory cannot be created (a file is in the way)
    blocker = os.path.join(base, "blocker")
    with open(blocker, "w") as f:
        f.write("x")
    env = Env(local_cluster, certs, base, tmp_path, n=2, wait=None)
    env.eng(1)["storage"][1]["bdev_list"] = [os.path.join(blocker, "sub", "daos-bdev")]
    other = env.mnt(0)
    os.makedirs(other)
    src = os.path.join(base, "bindsrc")
    os.makedirs(src)
    subprocess.run(["mount", "--bind", src, other], check=True)
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 1
    assert r.stderr.endswith("ERROR: dmg: 1 host had errors\n"), r.stderr
    errs = errors_table(r.stderr)
    assert len(errs) == 3, r.stderr
    (scm_err,) = [e for e in errs if e.startswith("instance 0: SCM format of ")]
    assert f"{other} is already mounted (" in scm_err, scm_err
    (bdev_err,) = [e for e in errs if e.startswith("cannot create directory")]
    assert f"{blocker}/sub: Not a directory" in bdev_err, bdev_err
    (inst_err,) = [e for e in errs if e.startswith("instance 1: bdev format failed")]
    assert "still needs a format" in inst_err
    # summary: the failed instance's SCM and bdev are not counted
    assert re.search(r" 0 +0 +$", r.stdout, re.M), r.stdout
    # nothing half-written: no superblock on either instance
    assert not os.path.exists(os.path.join(env.mnt(1), "superblock"))
    assert mountinfo(env.mnt(1))[0] == "tmpfs"
    # and both instances still need a format: a retry after the fix formats them
    subprocess.run(["umount", other], check=True)
    env.eng(1)["storage"][1]["bdev_list"] = [os.path.join(base, "bdev1", "daos-bdev")]
    # (the server's config is fixed: restart with the corrected one)
    assert env.srv.stop() == 0
    env.start()
    r = env.dmg("storage", "format", "-v")
    assert r.returncode == 0, r.stderr
    assert r.stdout.count("CTL_SUCCESS") == 4, r.stdout
    # -j with host errors: error text and host_errors
    r = env.dmg("storage", "format", "-j", "-l", "127.0.0.1:1")
    doc = json.loads(r.stdout)
    assert r.returncode == 1 and doc["error"] == "1 host had errors" and doc["status"] != 0
    assert list(doc["response"]["host_errors"].values()) == ["127.0.0.1:1"]


def test_replace_and_flag_errors(local_cluster, certs, base, tmp_path):
    env = Env(local_cluster, certs, base, tmp_path)
    r = env.dmg("storage", "format", "--replace", "--force")
    assert r.returncode == 1
    assert r.stderr == "ERROR: dmg: --replace may not be mixed with --force\n"
    r = env.dmg("storage", "format", "--replace", "-l", f"{env.addrs[0]},127.0.0.1:1")
    assert r.returncode == 1
    assert r.stderr == ("ERROR: dmg: command expects a single host in hostlist if replace "
                        "option used\n")
    # formatted host: replace is refused by the server
    assert env.dmg("storage", "format").returncode == 0
    r = env.dmg("storage", "format", "--replace")
    assert r.returncode == 1
    (err, hosts), = errors_table(r.stderr).items()
    assert hosts == env.addrs[0] and "--replace given but no engine" in err, r.stderr
    # -j form of a flag error
    r = env.dmg("storage", "format", "--replace", "--force", "-j")
    doc = json.loads(r.stdout)
    assert doc["response"] is None and "may not be mixed" in doc["error"]




@pytest.fixture
def loopdev(tmp_path):
    """A 64 MiB loop block device (no DAX: a PMem namespace stand-in that
    daos_server must refuse to mount with dax)."""
    img = str(tmp_path / "pmem.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    r = subprocess.run(["losetup", "-f", "--show", img], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"no loop device here: {r.stderr.strip()}")
    dev = r.stdout.strip()
    yield dev
    subprocess.run(["losetup", "-d", dev], capture_output=True)


def test_dcpm_without_dax(local_cluster, certs, base, tmp_path, loopdev):
    pmem = os.path.join(base, "pmem0")
    env = Env(local_cluster, certs, base, tmp_path, wait=None,
              extra_eng={0: {"storage": [{"class": "dcpm", "scm_list": [loopdev],
                                          "scm_mount": pmem},
                                         {"class": "file", "bdev_size": 1,
                                          "bdev_list": [os.path.join(base, "b", "f")]}]}})
    env.start(args=["-b"])
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    assert f"{pmem} is not mounted and {loopdev} holds no file system" in env.srv.read_log()
    r = env.dmg("storage", "format")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    # mkfs.ext4 ran; the dax mount is refused naming the device
    assert err.startswith(f"instance 0: SCM format of {pmem} failed: "), err
    assert loopdev in err and "DAX" in err, err
    assert mountinfo(pmem) is None
    assert not os.path.exists(os.path.join(base, "b", "f"))   # bdevs untouched
    blkid = subprocess.run(["blkid", "-o", "value", "-s", "TYPE", loopdev],
                           capture_output=True, text=True)
    assert blkid.stdout.strip() == "ext4"
    assert env.srv.stop() == 0

    # restart: the device has the file system; mounting it at start is tried
    # (and fails again without DAX), so the instance still needs a format
    srv = env.start(args=["-b"])
    srv.proc.wait_for_log(r"SCM format required on instance 0")
    assert srv.stop() == 0
    text = srv.read_log()
    assert "DAX" in text and loopdev in text, text
    # without the mount point directory: upstream's message
    os.rmdir(pmem)
    srv = env.start(args=["-b"])
    srv.proc.wait_for_log(r"SCM format required on instance 0")
    assert (f"filesystem exists on device {loopdev} but mount-point path {pmem} does not "
            f"exist") in srv.read_log()


def test_concurrent_formats_do_not_interleave(local_cluster, certs, base, tmp_path):
    # two dmg runs at once: the second waits for the first and then finds the
    # storage formatted, whatever the order they arrive in
    env = Env(local_cluster, certs, base, tmp_path, n=2)
    procs = [subprocess.Popen([DMG, "-o", env.cfg, "storage", "format", "-j"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    infos = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        (group,) = json.loads(out)["response"]["HostStorage"].values()
        infos.append(sorted(m["info"] for m in group["storage"]["scm_mount_points"]))
    assert sorted(infos) == [["CTL_SUCCESS", "CTL_SUCCESS"],
                             ["SCM is already formatted", "SCM is already formatted"]], infos
    assert env.srv.read_log().count("Writing NVMe config file for engine instance") == 2


def mem_total():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no MemTotal")


def test_ramdisk_auto_size(local_cluster, certs, base, tmp_path):
    scm = {"class": "ram", "scm_mount": os.path.join(base, "scm0")}
    bdev = {"class": "file", "bdev_size": 1, "bdev_list": [os.path.join(base, "b", "f")]}
    env = Env(local_cluster, certs, base, tmp_path, wait=None,
              extra_eng={0: {"storage": [scm, bdev]}})
    # upstream's default system_ram_reserved (64 GiB) leaves nothing on a small machine
    if mem_total() < 70 * GIB:
        env.start()
        r = env.dmg("storage", "format")
        assert r.returncode == 1
        (err, _), = errors_table(r.stderr).items()
        assert err.startswith(f"instance 0: SCM format of {scm['scm_mount']} failed: "
                              f"cannot size the tmpfs for {scm['scm_mount']}: "
                              "insufficient ram to meet minimum requirements"), err
        assert err.endswith("; set scm_size"), err
        assert mountinfo(scm["scm_mount"]) is None
        assert env.srv.stop() == 0
    # with 1 GiB reserved: (total - reserved - max(targets * 128 MiB, 1 GiB)) / engines
    env.extra["system_ram_reserved"] = 1
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    want = (mem_total() - GIB - GIB) // GIB
    fstype, opts = mountinfo(scm["scm_mount"])
    assert f"size={want * GIB // 1024}k" in opts.split(","), (want, opts)


def engine_argv(socket_dir):
    """argv of the daos_engine started with -d socket_dir, or None."""
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = [a.decode() for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if argv and os.path.basename(argv[0]) == "daos_engine" and socket_dir in argv:
            return argv
    return None


def meminfo_fixture(tmp_path, total_kb, free_kb, pages, page_kb):
    """A copy of the "local" hardware fixture whose meminfo has these figures
    (`pages` hugepages of `page_kb`, all free)."""
    fix = str(tmp_path / "fixture")
    shutil.copytree(os.path.join(TOP, "tests", "fixtures", "hosts", "local"), fix)
    with open(os.path.join(fix, "storage", "meminfo"), "w") as f:
        f.write(f"MemTotal:       {total_kb} kB\nMemFree:        {free_kb} kB\n"
                f"MemAvailable:   {free_kb} kB\nHugePages_Total:        {pages}\n"
                f"HugePages_Free:         {pages}\nHugePages_Rsvd:         0\n"
                f"HugePages_Surp:         0\nHugepagesize:       {page_kb} kB\n")
    return fix


def test_fixture_meminfo_sizes_tmpfs_and_engine_hugepages(local_cluster, certs, base, tmp_path):
    # On a hardware fixture host every memory figure daos_server uses comes
    # from the fixture's meminfo: 64 TiB of RAM and 1 GiB hugepages, which
    # this machine does not have.
    fix = meminfo_fixture(tmp_path, total_kb=68719476736, free_kb=68000000000, pages=5,
                          page_kb=1048576)
    with open("/proc/meminfo") as f:
        real = f.read()
    assert mem_total() < 64 * 1024 * GIB and not re.search(r"Hugepagesize:\s+1048576 kB", real)
    scm = {"class": "ram", "scm_mount": os.path.join(base, "scm0")}   # automatic size
    bdev = {"class": "file", "bdev_size": 1, "bdev_list": [os.path.join(base, "b", "f")]}
    env = Env(local_cluster, certs, base, tmp_path, wait=None, fixture=fix,
              extra_eng={0: {"storage": [scm, bdev]}})
    env.extra["system_ram_reserved"] = 1
    env.extra["nr_hugepages"] = 2
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    # tmpfs: 64 TiB - (2 hugepages of 1 GiB + 1 GiB reserved + 1 GiB for the engine)
    fstype, opts = mountinfo(scm["scm_mount"])
    assert f"size={(64 * 1024 - 4) * GIB // 1024}k" in opts.split(","), opts
    # engine: -r is the 2 configured hugepages of 1 GiB (5 are free), -H the page size
    env.srv.proc.wait_for_log(r"instance 0: joined the system as rank 0 ")
    argv = engine_argv(env.c.host("local-0").socket_dir)
    assert argv is not None
    joined = " ".join(argv)
    assert " -r 2048 " in joined and " -H 1024" in joined, joined


def test_no_free_hugepages_is_no_matter(local_cluster, certs, base, tmp_path):
    # engines use no hugepages (no SPDK): none free is neither required nor
    # reported, and -r/-H stay upstream's figures
    fix = meminfo_fixture(tmp_path, total_kb=16777216, free_kb=8000000, pages=0, page_kb=2048)
    scm = {"class": "ram", "scm_mount": os.path.join(base, "scm0"), "scm_size": 4}
    bdev = {"class": "file", "bdev_size": 1, "bdev_list": [os.path.join(base, "b", "f")]}
    env = Env(local_cluster, certs, base, tmp_path, wait=None, fixture=fix,
              extra_eng={0: {"storage": [scm, bdev]}})
    env.extra["nr_hugepages"] = 512
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stderr
    env.srv.proc.wait_for_log(r"instance 0: storage ready")
    env.srv.proc.wait_for_log(r"instance 0: joined the system as rank 0 ")
    joined = " ".join(engine_argv(env.c.host("local-0").socket_dir) or [])
    assert " -r 1024 " in joined and " -H 2" in joined, joined
    assert "hugepage memory" not in env.srv.read_log()
    assert env.srv.stop() == 0


def test_fixture_without_meminfo(local_cluster, certs, base, tmp_path):
    # a fixture host whose meminfo is missing: what needs memory figures
    # fails naming the fixture file, instead of reading the machine's
    fix = str(tmp_path / "fixture")
    shutil.copytree(os.path.join(TOP, "tests", "fixtures", "hosts", "local"), fix)
    meminfo = os.path.join(fix, "storage", "meminfo")
    os.unlink(meminfo)
    scm = {"class": "ram", "scm_mount": os.path.join(base, "scm0")}   # automatic size
    bdev = {"class": "file", "bdev_size": 1, "bdev_list": [os.path.join(base, "b", "f")]}
    env = Env(local_cluster, certs, base, tmp_path, wait=None, fixture=fix,
              extra_eng={0: {"storage": [scm, bdev]}})
    env.extra["system_ram_reserved"] = 1
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err == (f"instance 0: SCM format of {scm['scm_mount']} failed: cannot size the "
                   f"tmpfs for {scm['scm_mount']}: cannot read {meminfo}: No such file or "
                   "directory; set scm_size"), err
    assert mountinfo(scm["scm_mount"]) is None
    assert env.srv.stop() == 0

    # with scm_size the format needs no memory figures, the engine start does
    scm["scm_size"] = 4
    env.start()
    r = env.dmg("storage", "format")
    assert r.returncode == 1
    (err, _), = errors_table(r.stderr).items()
    assert err == ("instance 0: storage formatted, but the engine did not start: instance 0: "
                   f"cannot read {meminfo}: No such file or directory"), err
    assert daos_helpers.read_superblock(scm["scm_mount"])["version"] == 1


def test_damaged_superblock_is_not_formatted(local_cluster, certs, base, tmp_path):
    """A superblock that does not parse: the engine is not started, format says
    what is damaged and where and changes nothing; --force reformats (it
    answered "SCM is already formatted" before)."""
    env = Env(local_cluster, certs, base, tmp_path)
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr
    env.srv.proc.wait_for_log(r"instance 0: storage ready")
    assert env.srv.stop() == 0
    sbp = os.path.join(env.mnt(), "superblock")
    damaged = "version: 1\nuuid: [broken\n"
    with open(sbp, "w") as f:
        f.write(damaged)

    srv = env.start()
    srv.proc.wait_for_log(r"instance 0: the superblock is damaged: .*; the engine is not "
                          r"started: dmg storage format --force reformats the instance")
    r = env.dmg("storage", "format")
    assert r.returncode == 1, r.stdout + r.stderr
    (err, _), = errors_table(r.stderr).items()
    assert err.startswith("instance 0: the superblock is damaged: "), err
    assert sbp in err and err.endswith("nothing was changed: dmg storage format --force "
                                       "reformats the instance, erasing its storage"), err
    with open(sbp) as f:
        assert f.read() == damaged

    r = env.dmg("storage", "format", "--force")
    assert r.returncode == 0, r.stdout + r.stderr
    srv.proc.wait_for_log(r"instance 0: storage ready")
    assert daos_helpers.read_superblock(env.mnt())["version"] == 1
    assert srv.stop() == 0


def test_scm_mount_with_files_is_not_hidden(local_cluster, certs, base, tmp_path):
    """Files in scm_mount before the format: mounting the tmpfs would hide
    them; format refuses, naming the directory and a file, and keeps them."""
    env = Env(local_cluster, certs, base, tmp_path)
    env.srv.proc.wait_for_log(r"SCM format required on instance 0")
    os.makedirs(env.mnt(), exist_ok=True)
    for name in ("results.h5", "notes"):
        with open(os.path.join(env.mnt(), name), "w") as f:
            f.write("keep me\n")
    r = env.dmg("storage", "format")
    assert r.returncode == 1, r.stdout + r.stderr
    (err, _), = errors_table(r.stderr).items()
    assert re.search(rf"scm_mount {re.escape(env.mnt())} is not empty \(it holds "
                     r"\"(results\.h5|notes)\" and 1 more\): mounting SCM there would hide "
                     r"them; move them away or set scm_mount to an empty directory", err), err
    assert mountinfo(env.mnt()) is None
    assert sorted(os.listdir(env.mnt())) == ["notes", "results.h5"]
    # emptied, it formats
    for name in ("results.h5", "notes"):
        os.unlink(os.path.join(env.mnt(), name))
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr
    assert env.srv.stop() == 0


def test_two_servers_one_scm_mount(local_cluster, certs, base, tmp_path):
    """A second daos_server on the machine given the scm_mount of a running
    one (and so its MS database) is refused at start, naming the path and
    the holder's pid; the first keeps running."""
    env = Env(local_cluster, certs, base, tmp_path, hosts=2, wait=None)
    first = daos_helpers.start_server(env.c, "local-0", certs=certs, extra=env.extra,
                                      env=daos_helpers.ENGINE_PATH)
    h = env.c.host("local-1")
    srv = daos_helpers.start_server(env.c, h, certs=certs, extra=env.extra, wait=False,
                                    env=daos_helpers.ENGINE_PATH)
    assert srv.proc.wait(30) == 1
    log = srv.read_log()
    assert (f"scm_mount {env.mnt()} is already used by another daos_server "
            f"(pid {first.proc.pid}): two servers on one machine would share its files (and "
            "management service database); give each daos_server its own scm_mount") in log, log
    assert first.proc.poll() is None
    assert first.stop() == 0


def test_build_tree_binaries_find_each_other(local_cluster, certs, base, tmp_path):
    """daos_server run from the build tree, no daos_engine in PATH: it runs
    the engine of its own build (it said "not found"); a second format does
    nothing and the summary says so."""
    env = Env(local_cluster, certs, base, tmp_path, wait=None)
    srv = daos_helpers.start_server(env.c, "local-0", certs=certs, extra=env.extra,
                                    env={"PATH": "/usr/bin:/bin"})
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr
    srv.proc.wait_for_log(r"instance 0: engine ready")
    assert f"Starting I/O Engine instance 0: {BINARIES['daos_engine']}" in srv.read_log()
    assert "nothing was done" not in r.stdout
    r = env.dmg("storage", "format")
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.search(r" 1 +0 +$", r.stdout, re.M), r.stdout
    assert r.stdout.endswith(f"  {env.addrs[0]}: already formatted, nothing was done (dmg "
                             "storage format --force reformats)\n"), r.stdout
    assert srv.stop() == 0


def test_format_summary_counts_what_was_formatted(local_cluster, certs, base, tmp_path):
    """SCM formatted, then the engine cannot start (daos_server and its
    helper copied away from their build, no daos_engine in PATH): the format fails with that
    reason and the summary still counts the SCM it formatted (it said 0)."""
    env = Env(local_cluster, certs, base, tmp_path, wait=None)
    h = env.c.host("local-0")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    exe = bindir / "daos_server"
    shutil.copy(BINARIES["daos_server"], exe)
    shutil.copy(BINARIES["daos_server_helper"], bindir / "daos_server_helper")
    cfg = daos_helpers.server_config(os.path.join(h.dir, "daos_server.yml"), h.port,
                                     h.socket_dir, certs=certs, extra=env.extra)
    proc = env.c.start(h, [str(exe), "start", "-o", cfg], env={"PATH": "/usr/bin:/bin"})
    srv = daos_helpers.Server(proc, h, cfg, proc.log)
    daos_helpers.wait_listening(srv)
    r = env.dmg("storage", "format")
    assert r.returncode == 1, r.stdout + r.stderr
    assert re.search(r" 1 +1 +$", r.stdout, re.M), r.stdout
    assert "instance 0: storage formatted, but the engine did not start: instance 0: " \
        f"daos_engine not found in PATH (/usr/bin:/bin) nor next to daos_server ({exe})" \
        in r.stderr, r.stderr
    assert daos_helpers.read_superblock(env.mnt())["version"] == 1
    assert srv.stop() == 0


def test_file_bdev_larger_than_its_file_system(local_cluster, certs, base, tmp_path):
    """A 16 GB file bdev on a 16 MiB file system: format refuses, naming the
    file, the sizes and what to do (it made a sparse file and said
    "success"), and leaves no file behind."""
    small = os.path.join(base, "small")
    os.makedirs(small)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", small], check=True)
    bdev = os.path.join(small, "daos-bdev")
    scm = {"class": "ram", "scm_mount": os.path.join(base, "scm0"), "scm_size": 4}
    env = Env(local_cluster, certs, base, tmp_path,
              extra_eng={0: {"storage": [scm, {"class": "file", "bdev_size": 16,
                                                "bdev_list": [bdev]}]}})
    r = env.dmg("storage", "format")
    assert r.returncode == 1, r.stdout + r.stderr
    assert (f"not enough space for bdev file {bdev}: 1 file of bdev_size 16 GB need "
            f"16000000000 bytes, the file system of {small} has 16777216 bytes free; free "
            "space there, lower bdev_size or move bdev_list") in r.stderr, r.stderr
    assert not os.path.exists(bdev)
    assert env.srv.stop() == 0
