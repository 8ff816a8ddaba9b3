"""daos_server storage, scm and nvme commands on this machine and on the
storage fixtures (tests/fixtures, layout in tests/fixtures/README.md).

Fixtures are copied to a temporary directory named after the fixture (the
banner shows that name) before anything is prepared or reset.
"""
import hashlib
import json
import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import BINARIES, TOP, run_bin

FIXTURES = os.path.join(TOP, "tests", "fixtures")
GOLDEN = os.path.join(TOP, "tests", "system", "golden", "storage")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def real(*args, **kw):
    """Run daos_server on the real machine (no fixture)."""
    env = dict(os.environ)
    env.pop("DAOS_HW_ROOT", None)
    return subprocess.run([BINARIES["daos_server"], *args], capture_output=True, text=True,
                          env=env, timeout=60, **kw)


def on(root, *args, input=None, prefix=()):
    env = dict(os.environ)
    env["DAOS_HW_ROOT"] = str(root)
    return subprocess.run([*prefix, BINARIES["daos_server"], *args], capture_output=True,
                          text=True, env=env, timeout=60, input=input)


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read()


def tree_state(root):
    """Names, owners and contents of a fixture tree, to prove nothing changed."""
    h = hashlib.sha256()
    for d, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(d, name)
            st = os.stat(p)
            h.update(f"{os.path.relpath(p, root)} {st.st_uid} {st.st_gid}\n".encode())
            with open(p, "rb") as f:
                h.update(f.read())
    return h.hexdigest()


@pytest.fixture
def copy():
    """Copies in a world-readable directory (the non-root runs must read them)."""
    top = pathlib.Path(tempfile.mkdtemp(prefix="daos-storage-"))
    os.chmod(top, 0o755)

    def make(name):
        dst = top / os.path.basename(name)
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(os.path.join(FIXTURES, name), dst, symlinks=True)
        return dst
    yield make
    shutil.rmtree(top)


def envelope(r):
    doc = json.loads(r.stdout)
    assert set(doc) == {"response", "error", "status"}
    return doc


# ---- this machine: no PMem, no NVMe ------------------------------------------

def _has_devices(path):
    return os.path.isdir(path) and len(os.listdir(path)) > 0


@pytest.mark.skipif(_has_devices("/sys/class/nvme") or _has_devices("/sys/bus/nd/devices"),
                    reason="this machine has NVMe or PMem")
class TestRealMachine:
    def test_storage_scan(self):
        r = real("storage", "scan")
        assert r.returncode == 0, r.stderr
        host = socket.gethostname()
        assert r.stdout == (f"{'-' * len(host)}\n{host}\n{'-' * len(host)}\n"
                            "HugePage Size: 2048 KB\n\n  No SCM modules found\n\n"
                            "  No NVMe devices found\n\n")

    def test_storage_scan_health(self):
        r = real("storage", "scan", "--nvme-health")
        assert r.returncode == 0, r.stderr
        assert r.stdout.endswith("  No NVMe devices detected\n")

    def test_scm_nvme_scan(self):
        r = real("scm", "scan")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "Scanning locally-attached PMem storage...\n  No SCM modules found\n"
        r = real("nvme", "scan")
        assert r.returncode == 0, r.stderr
        assert r.stdout == "Scan locally-attached NVMe storage...\n  No NVMe devices found\n"

    def test_json(self):
        for cmd in (["scm", "scan"], ["nvme", "scan"]):
            doc = envelope(real("-j", *cmd))
            assert doc == {"response": [], "error": None, "status": 0}
        doc = envelope(real("storage", "scan", "-j"))
        resp = doc["response"]
        assert resp["nvme_devices"] == [] and resp["scm_modules"] == []
        assert resp["scm_namespaces"] == [] and resp["reboot_required"] is False
        with open("/proc/meminfo") as f:
            total = int(next(l for l in f if l.startswith("MemTotal:")).split()[1])
        assert resp["mem_info"]["mem_total_kb"] == total

    def test_scm_prepare_reset_without_pmem(self):
        for cmd in (["scm", "prepare", "-f"], ["scm", "reset", "-f"],
                    ["storage", "prepare", "--scm-only", "-f"]):
            r = real(*cmd)
            assert r.returncode == 1, cmd
            assert ('ERROR: storage: code = 211 description = "No PMem modules exist on storage '
                    'server"') in r.stderr
            assert 'resolution = "Install PMem modules and retry command"' in r.stderr
        doc = envelope(real("-j", "scm", "prepare", "-f"))
        assert doc["error"] == "No PMem modules exist on storage server"
        assert doc["status"] != 0

    def test_nvme_prepare_reset_without_nvme(self):
        with open("/proc/sys/vm/nr_hugepages") as f:
            before = f.read()
        r = real("nvme", "prepare", "-p", "256")
        assert r.returncode == 0, r.stderr
        assert "No NVMe devices found" in r.stdout
        r = real("nvme", "reset")
        assert r.returncode == 0, r.stderr
        r = real("storage", "prepare", "--nvme-only")
        assert r.returncode == 0, r.stderr
        with open("/proc/sys/vm/nr_hugepages") as f:
            assert f.read() == before

    def test_allow_list_absent_device(self):
        r = real("nvme", "prepare", "0000:81:00.0")
        assert r.returncode == 1
        assert "0000:81:00.0 in the allow list is not an NVMe controller on this host" in r.stderr


# ---- fixtures: golden outputs --------------------------------------------------

@pytest.mark.parametrize("host", ["wolf", "asym", "local"])
def test_fixture_scan_golden(copy, host):
    root = copy(f"hosts/{host}")
    r = on(root, "storage", "scan")
    assert r.returncode == 0, r.stderr
    assert r.stdout == golden(f"{host}-scan.txt")
    r = on(root, "storage", "scan", "-n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == golden(f"{host}-health.txt")


def test_fixture_noregions_golden(copy):
    root = copy("states/pmem-noregions")
    r = on(root, "storage", "scan")
    assert r.returncode == 0, r.stderr
    assert r.stdout == golden("pmem-noregions-scan.txt")


def test_wolf_as_in_guide(copy):
    root = copy("hosts/wolf")
    r = on(root, "scm", "scan")
    assert r.stdout == ("Scanning locally-attached PMem storage...\n"
                        "SCM Namespace Socket Capacity \n"
                        "------------- ------ -------- \n"
                        "pmem0         0      3.2 TB   \n"
                        "pmem1         1      3.2 TB   \n")
    r = on(root, "nvme", "scan")
    lines = r.stdout.splitlines()
    assert lines[0] == "Scan locally-attached NVMe storage..."
    assert lines[3].split() == ["0000:81:00.0", "INTEL", "SSDPED1K750GA", "E2010325", "0",
                                "750", "GB", "NA", "None"]
    assert lines[4].split()[:6] == ["0000:87:00.0", "INTEL", "SSDPEDMD016T4", "8DV10171", "0",
                                    "1.6"]
    assert lines[5].split()[:5] == ["0000:da:00.0", "INTEL", "SSDPED1K750GA", "E2010325", "1"]


def test_fixture_json(copy):
    root = copy("hosts/wolf")
    nss = envelope(on(root, "-j", "scm", "scan"))["response"]
    assert [n["blockdev"] for n in nss] == ["pmem0", "pmem1"]
    assert [n["numa_node"] for n in nss] == [0, 1]
    ctrlrs = envelope(on(root, "nvme", "scan", "-j"))["response"]
    assert [c["pci_addr"] for c in ctrlrs] == ["0000:81:00.0", "0000:87:00.0", "0000:da:00.0"]
    assert [c["socket_id"] for c in ctrlrs] == [0, 0, 1]
    h = ctrlrs[0]["health_stats"]
    assert h["power_on_hours"] == 10402 and h["unsafe_shutdowns"] == 13
    assert h["temperature"] == 318 and h["temp_warn"] is False
    assert ctrlrs[0]["namespaces"] == [{"id": 1, "size": 750156374016}]
    host = envelope(on(root, "storage", "scan", "-j"))["response"]
    assert len(host["scm_modules"]) == 12 and len(host["nvme_devices"]) == 3
    assert host["mem_info"]["hugepage_size_kb"] == 2048
    # asym: the controller without a readable health log says why.
    root = copy("hosts/asym")
    ctrlrs = envelope(on(root, "nvme", "scan", "-j"))["response"]
    assert ctrlrs[1]["health_stats"] is None
    assert "storage/nvme/0000:d8:00.0/health" in ctrlrs[1]["info"]
    # Modules, not namespaces, when there are none.
    root = copy("states/pmem-noregions")
    mods = envelope(on(root, "scm", "scan", "-j"))["response"]
    assert len(mods) == 12 and mods[0]["PhysicalID"] == 4096 and mods[6]["SocketID"] == 1
    mods = envelope(on(root, "scm", "scan", "--socket", "1", "-j"))["response"]
    assert {m["SocketID"] for m in mods} == {1}


# ---- fixtures: prepare and reset -------------------------------------------------

def test_scm_prepare_reset(copy):
    root = copy("states/pmem-freeregions")
    r = on(root, "scm", "prepare", "-f")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Prepare locally-attached PMem...\nMemory allocation goals")
    assert "pmem0         0      3.2 TB   \npmem1         1      3.2 TB   \n" in r.stdout
    assert (root / "storage/dev/pmem0").exists() and (root / "storage/dev/pmem1").exists()
    r = on(root, "scm", "reset", "--force")
    assert r.returncode == 0, r.stderr
    assert "Removed PMem namespace namespace0.0 (/dev/pmem0, socket 0)" in r.stdout
    assert "Namespaces have been removed" in r.stdout and "ipmctl" in r.stdout
    assert not (root / "storage/dev/pmem0").exists()
    assert not (root / "storage/pmem/namespaces/namespace1.0").exists()
    # -S 2 on socket 1, JSON
    doc = envelope(on(root, "-j", "scm", "prepare", "-f", "-S", "2", "--socket", "1"))
    assert [n["blockdev"] for n in doc["response"]] == ["pmem1", "pmem1.1"]
    assert not (root / "storage/pmem/namespaces/namespace0.0").exists()
    # storage prepare -j: one envelope for both tiers (it refused JSON)
    r = on(root, "scm", "reset", "--force")
    assert r.returncode == 0, r.stderr
    doc = envelope(on(root, "-j", "storage", "prepare", "--scm-only", "-f"))
    assert doc["status"] == 0 and doc["error"] is None, doc
    assert doc["response"]["reboot_required"] is False
    assert [n["blockdev"] for n in doc["response"]["scm_namespaces"]] == ["pmem0", "pmem1"]
    doc = envelope(on(root, "-j", "storage", "prepare", "--scm-only"))
    assert doc["error"] == "JSON output only supported with force option", doc


def test_scm_prepare_consent(copy):
    root = copy("states/pmem-freeregions")
    before = tree_state(root)
    r = on(root, "scm", "prepare", input="no\n")
    assert r.returncode == 1 and "ERROR: consent not given" in r.stderr
    assert "Are you sure you want to continue? (yes/no)" in r.stdout
    r = on(root, "scm", "prepare")  # end of input
    assert r.returncode == 1 and "consent not given" in r.stderr
    r = on(root, "-j", "scm", "prepare")
    assert envelope(r)["error"] == "JSON output only supported with force option"
    assert tree_state(root) == before
    r = on(root, "scm", "prepare", input="maybe\nyes\n")
    assert r.returncode == 0, r.stderr
    assert "Please type yes or no and then press enter:" in r.stdout
    assert (root / "storage/dev/pmem1").exists()


def test_scm_prepare_reboot_required(copy):
    root = copy("states/pmem-noregions")
    before = tree_state(root)
    r = on(root, "scm", "prepare", "-f")
    assert r.returncode == 0, r.stderr
    assert "no PMem AppDirect interleaved regions exist" in r.stdout
    assert "A reboot is required to process new PMem memory allocation goals." in r.stdout
    r = on(root, "storage", "prepare", "--scm-only", "-f")  # the guide's first run
    assert r.returncode == 0 and "reboot" in r.stdout
    assert envelope(on(root, "-j", "scm", "prepare", "-f")) == {
        "response": None, "error": None, "status": 0}
    r = on(root, "scm", "reset", "-f")
    assert r.returncode == 0 and "PMem has been reset successfully!" in r.stdout
    assert tree_state(root) == before


def test_legacy_storage_prepare(copy):
    root = copy("states/pmem-freeregions")
    r = on(root, "storage", "prepare", "--scm-only", "-f")
    assert r.returncode == 0, r.stderr
    assert "pmem0 " in r.stdout and "pmem1 " in r.stdout
    r = on(root, "storage", "prepare", "--scm-only", "--reset", "-f")
    assert r.returncode == 0, r.stderr
    assert not (root / "storage/dev/pmem0").exists()
    r = on(root, "storage", "prepare", "--nvme-only", "--scm-only")
    assert r.returncode == 1
    assert "ERROR: nvme-only and scm-only options should not be set together" in r.stderr
    r = on(root, "storage", "prepare", "-n", "-s")
    assert "should not be set together" in r.stderr
    # JSON: one envelope (it said "does not support JSON output")
    doc = envelope(on(root, "-j", "storage", "prepare", "-n"))
    assert doc["status"] == 0 and doc["error"] is None and doc["response"] == {}, doc
    doc = envelope(on(root, "-j", "storage", "prepare", "-n", "-s"))
    assert doc["status"] != 0 and "should not be set together" in doc["error"], doc

    root = copy("hosts/wolf")
    r = on(root, "storage", "prepare", "--nvme-only", "-u", "nobody", "--hugepages", "256")
    assert r.returncode == 0, r.stderr
    assert os.stat(root / "storage/dev/nvme0n1").st_uid == 65534
    r = on(root, "storage", "prepare", "--nvme-only", "--reset")
    assert r.returncode == 0, r.stderr
    assert os.stat(root / "storage/dev/nvme0n1").st_uid == 0


def meminfo_hugepages(root):
    with open(root / "storage/meminfo") as f:
        return int(next(l for l in f if l.startswith("HugePages_Total:")).split()[1])


def test_nvme_prepare_reset(copy):
    root = copy("hosts/wolf")
    r = on(root, "nvme", "prepare", "-u", "nobody", "-p", "512", "0000:81:00.0,0000:da:00.0")
    assert r.returncode == 0, r.stderr
    assert "Reserved 512 hugepages of 2048 KB (was 0)" in r.stdout
    assert "0000:81:00.0: /dev/nvme0n1 owned by nobody" in r.stdout
    assert meminfo_hugepages(root) == 512
    assert os.stat(root / "storage/dev/nvme0n1").st_uid == 65534
    assert os.stat(root / "storage/dev/nvme1n1").st_uid == 0
    assert os.stat(root / "storage/dev/nvme2n1").st_uid == 65534
    r = on(root, "nvme", "reset")
    assert r.returncode == 0, r.stderr
    assert "Released hugepages: 0 reserved now (was 512)" in r.stdout
    assert meminfo_hugepages(root) == 0
    assert os.stat(root / "storage/dev/nvme2n1").st_uid == 0
    assert not (root / "storage/run/nvme_prepare.state").exists()
    # block list, default hugepages, JSON
    doc = envelope(on(root, "-j", "nvme", "prepare", "-u", "nobody",
                      "--pci-block-list", "0000:87:00.0"))
    assert doc == {"response": None, "error": None, "status": 0}
    assert meminfo_hugepages(root) == 128
    assert os.stat(root / "storage/dev/nvme1n1").st_uid == 0


def test_nvme_errors_change_nothing(copy):
    root = copy("hosts/wolf")
    before = tree_state(root)
    cases = [
        (["nvme", "prepare", "0000:99:00.0"],
         "0000:99:00.0 in the allow list is not an NVMe controller on this host"),
        (["nvme", "prepare", "0000:81:00"], "invalid addresses in pci allow list"),
        (["nvme", "reset", "--pci-block-list", "x"], "invalid addresses in pci block list"),
        (["nvme", "prepare", "-u", "no-such-user-xyz"], "target user \"no-such-user-xyz\""),
        (["nvme", "prepare", "-u", "nobody", "--disable-vfio"], "VFIO can not be disabled"),
        (["nvme", "prepare", "a", "b"], "at most one pci-allow-list"),
        (["storage", "prepare", "--nvme-only", "--pci-allow-list", "0000:99:00.0"],
         "not an NVMe controller"),
    ]
    for args, msg in cases:
        r = on(root, *args)
        assert r.returncode == 1, args
        assert msg in r.stderr, (args, r.stderr)
    os.unlink(root / "storage/dev/nvme1n1")
    before = tree_state(root)
    r = on(root, "nvme", "prepare", "-u", "nobody")
    assert r.returncode == 1
    assert "0000:87:00.0: block device" in r.stderr and "nvme1n1" in r.stderr
    assert tree_state(root) == before


def test_non_root_refused(copy):
    for name, args in [("states/pmem-freeregions", ["scm", "prepare", "-f"]),
                       ("hosts/wolf", ["scm", "reset", "-f"]),
                       ("hosts/wolf", ["nvme", "prepare", "-u", "nobody"]),
                       ("hosts/wolf", ["nvme", "reset"]),
                       ("hosts/wolf", ["storage", "prepare", "--nvme-only"])]:
        root = copy(name)
        before = tree_state(root)
        r = on(root, *args, prefix=NOBODY)
        assert r.returncode == 1, (args, r.stdout, r.stderr)
        assert "requires root privileges (running as uid 65534)" in r.stderr, r.stderr
        assert tree_state(root) == before
        shutil.rmtree(root)
    # Scans work for anyone.
    root = copy("hosts/wolf")
    r = on(root, "storage", "scan", prefix=NOBODY)
    assert r.returncode == 0 and r.stdout == golden("wolf-scan.txt")


def test_bad_flags(copy):
    root = copy("hosts/wolf")
    before = tree_state(root)
    for args, msg in [
        (["scm", "prepare", "-f", "-S", "0"], "(-S|--scm-ns-per-socket) should be set to at least 1"),
        (["scm", "prepare", "-f", "-S", "9"], "want [1-4], got 9"),
        (["scm", "prepare", "-f", "--socket", "x"], "--socket"),
        (["scm", "prepare", "-f", "--socket", "7"], "no PMem region on socket 7"),
        (["nvme", "prepare", "-p", "lots"], "--hugepages"),
        (["scm", "scan", "--bogus"], "unknown flag `bogus'"),
        (["storage", "frobnicate"], "Unknown command `frobnicate'"),
    ]:
        r = on(root, *args)
        assert r.returncode == 1, args
        assert msg in r.stderr, (args, r.stderr)
    assert tree_state(root) == before


def test_bad_fixture_reported(copy):
    root = copy("hosts/wolf")
    with open(root / "storage/nvme/0000:81:00.0/health", "a") as f:
        f.write("warp_speed = 9\n")
    r = on(root, "storage", "scan", "-n")
    assert r.returncode == 1
    assert "0000:81:00.0/health:" in r.stderr and "unknown key \"warp_speed\"" in r.stderr


def test_duplicate_process_refused(tmp_path):
    fake = tmp_path / "daos_server"
    os.symlink(shutil.which("sleep"), fake)
    p = subprocess.Popen([str(fake), "60"])
    try:
        # Popen returns once exec has succeeded, so /proc shows the new name.
        for args in (["storage", "scan"], ["scm", "scan"], ["nvme", "prepare"],
                     ["network", "scan"]):
            r = real(*args)
            assert r.returncode == 1
            assert f"another daos_server process is already running (pid: {p.pid})" in r.stderr
        assert real("version").returncode == 0
    finally:
        p.kill()
        p.wait()


def test_duplicate_in_other_netns_is_another_host(tmp_path):
    """A daos_server in another network namespace is another host, not a duplicate."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to create a network namespace")
    fake = tmp_path / "daos_server"
    os.symlink(shutil.which("sleep"), fake)
    p = subprocess.Popen(["unshare", "--net", str(fake), "60"])
    try:
        for _ in range(1000):  # wait until the exec of the fake happened
            try:
                if os.path.basename(open(f"/proc/{p.pid}/cmdline").read().split("\0")[0]) \
                        == "daos_server":
                    break
            except OSError:
                pass
            time.sleep(0.01)
        else:
            pytest.fail("the fake daos_server in another network namespace never started")
        r = real("storage", "scan")
        assert r.returncode == 0, r.stderr
    finally:
        p.kill()
        p.wait()
