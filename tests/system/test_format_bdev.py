"""`dmg storage format` of the bdev classes other than `file`: `kdev` on a
real block device (a loop device) and `nvme` through the wolf hardware
fixture (its controllers' kernel namespaces), with what each records in
daos_nvme.conf, and the errors for a kdev entry that is no block device and
an NVMe address that no controller has."""
import json
import os
import subprocess

import pytest

import daos_helpers
from test_format import base, certs, control_yml, dmg, errors_table  # noqa: F401

from conftest import TOP

WOLF = os.path.join(TOP, "tests", "fixtures", "hosts", "wolf")


@pytest.fixture
def loopdev(tmp_path):
    img = str(tmp_path / "kdev.img")
    with open(img, "wb") as f:
        f.truncate(64 << 20)
    r = subprocess.run(["losetup", "-f", "--show", img], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"no loop device: {r.stderr.strip()}")
    dev = r.stdout.strip()
    yield dev
    subprocess.run(["losetup", "-d", dev], capture_output=True)


def start(local_cluster, certs, base, tmp_path, bdev_tier, fixture=None):  # noqa: F811
    c = local_cluster(1, fixtures={"local-0": fixture} if fixture else None)
    h = c.host("local-0")
    extra = daos_helpers.engines_extra(base, replicas=[f"127.0.0.1:{h.port}"])
    eng = extra["engines"][0]
    eng["storage"] = [eng["storage"][0], bdev_tier]
    srv = daos_helpers.start_server(c, h, certs=certs, extra=extra, env=daos_helpers.ENGINE_PATH)
    srv.proc.wait_for_log(r"SCM format required on instance 0")
    cfg = control_yml(tmp_path / "daos_control.yml", certs, [f"127.0.0.1:{h.port}"])
    return srv, cfg, eng["storage"][0]["scm_mount"]


def nvme_conf(mnt):
    with open(os.path.join(mnt, "daos_nvme.conf")) as f:
        return json.load(f)


def bdev_entries(conf):
    """(method, params) of every entry of the bdev subsystem."""
    for sub in conf["subsystems"]:
        if sub["subsystem"] == "bdev":
            return [(c["method"], c["params"]) for c in sub["config"]]
    return []


def test_format_kdev(local_cluster, certs, base, tmp_path, loopdev):  # noqa: F811
    srv, cfg, mnt = start(local_cluster, certs, base, tmp_path,
                          {"class": "kdev", "bdev_list": [loopdev]})
    r = dmg(cfg, "storage", "format", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert loopdev in r.stdout and "CTL_SUCCESS" in r.stdout, r.stdout
    aio = [p for m, p in bdev_entries(nvme_conf(mnt)) if m == "bdev_aio_create"]
    assert [p["filename"] for p in aio] == [loopdev]
    # a kernel block device keeps its own block size (none forced)
    assert aio[0].get("block_size", 0) == 0
    srv.proc.wait_for_log(r"daos_engine:0 DAOS I/O Engine .* started on rank 0")


def test_format_kdev_not_a_block_device(local_cluster, certs, base, tmp_path):  # noqa: F811
    plain = str(tmp_path / "not-a-disk")
    open(plain, "w").close()
    srv, cfg, mnt = start(local_cluster, certs, base, tmp_path,
                          {"class": "kdev", "bdev_list": [plain]})
    r = dmg(cfg, "storage", "format")
    assert r.returncode == 1
    errs = errors_table(r.stderr)
    assert any(plain in e and "block device" in e for e in errs), r.stderr
    # nothing half-written: no superblock, the instance still needs a format
    assert not os.path.exists(os.path.join(mnt, "superblock"))
    assert srv.proc.running


def test_format_nvme_fixture(local_cluster, certs, base, tmp_path):  # noqa: F811
    srv, cfg, mnt = start(local_cluster, certs, base, tmp_path,
                          {"class": "nvme", "bdev_list": ["0000:81:00.0"]}, fixture=WOLF)
    r = dmg(cfg, "storage", "format", "-v")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "0000:81:00.0" in r.stdout and "CTL_SUCCESS" in r.stdout, r.stdout
    attach = [p for m, p in bdev_entries(nvme_conf(mnt)) if m == "bdev_nvme_attach_controller"]
    assert [p["traddr"] for p in attach] == ["0000:81:00.0"]
    assert "Writing NVMe config file for engine instance 0" in srv.read_log()


def test_format_nvme_unknown_controller(local_cluster, certs, base, tmp_path):  # noqa: F811
    srv, cfg, mnt = start(local_cluster, certs, base, tmp_path,
                          {"class": "nvme", "bdev_list": ["0000:99:00.0"]}, fixture=WOLF)
    r = dmg(cfg, "storage", "format")
    assert r.returncode == 1
    errs = errors_table(r.stderr)
    assert any("0000:99:00.0" in e and "not found" in e for e in errs), r.stderr
    assert not os.path.exists(os.path.join(mnt, "superblock"))
