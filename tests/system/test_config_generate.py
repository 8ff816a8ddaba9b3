"""`daos_server config generate` on the hardware fixtures and on this machine:
the YAML printed passes `daos_server config validate`, failures explain
themselves on stderr with exit status 1, and bad flags are refused."""
import json
import os

import pytest
import yaml

from conftest import TOP, run_bin

HOSTS = os.path.join(TOP, "tests", "fixtures", "hosts")


def generate(fixture, *args):
    env = {"DAOS_HW_ROOT": os.path.join(HOSTS, fixture)} if fixture else None
    if env is None:
        os.environ.pop("DAOS_HW_ROOT", None)
    return run_bin("daos_server", "config", "generate", *args, env=env)


def validate_text(tmp_path, text):
    path = tmp_path / "generated.yml"
    path.write_text(text)
    return run_bin("daos_server", "config", "validate", "-o", str(path))


def ok(tmp_path, fixture, *args):
    res = generate(fixture, *args)
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    val = validate_text(tmp_path, res.stdout)
    assert val.returncode == 0, val.stderr
    return yaml.safe_load(res.stdout)


def fails(fixture, *args, want):
    res = generate(fixture, *args)
    assert res.returncode == 1
    assert res.stdout == ""
    assert res.stderr.startswith("ERROR: daos_server: "), res.stderr
    assert want in res.stderr, res.stderr
    # upstream's message, then a line saying what to do
    assert len(res.stderr.strip().splitlines()) >= 2, res.stderr
    return res.stderr


def test_wolf_two_engines(tmp_path):
    cfg = ok(tmp_path, "wolf", "-a", "wolf-71")
    assert cfg["mgmt_svc_replicas"] == ["wolf-71:10001"]
    assert cfg["provider"] == "ofi+verbs;ofi_rxm"
    assert cfg["control_log_file"] == "/var/log/daos/daos_server.log"
    engines = cfg["engines"]
    assert [e["fabric_iface"] for e in engines] == ["ib0", "ib1"]
    assert [e["fabric_iface_port"] for e in engines] == [31416, 32416]
    assert [e["pinned_numa_node"] for e in engines] == [0, 1]
    assert [e["targets"] for e in engines] == [17, 17]
    assert [e["nr_xs_helpers"] for e in engines] == [4, 4]
    assert [e["log_file"] for e in engines] == ["/var/log/daos/daos_engine.0.log",
                                                "/var/log/daos/daos_engine.1.log"]
    assert engines[0]["storage"][0]["class"] == "dcpm"
    assert engines[0]["storage"][0]["scm_mount"] == "/mnt/daos0"
    assert engines[1]["storage"][0]["scm_list"] == ["/dev/pmem1"]
    assert engines[0]["storage"][1]["bdev_list"] == ["0000:81:00.0"]
    assert engines[1]["storage"][1]["bdev_list"] == ["0000:da:00.0"]


def test_wolf_variants(tmp_path):
    cfg = ok(tmp_path, "wolf", "-r", "wolf-[71-73]:10002", "-f", "40000,41000")
    assert cfg["port"] == 10002
    assert cfg["mgmt_svc_replicas"] == ["wolf-71:10002", "wolf-72:10002", "wolf-73:10002"]
    assert [e["fabric_iface_port"] for e in cfg["engines"]] == [40000, 41000]

    cfg = ok(tmp_path, "wolf", "-t", "-m", "/var/daos/config", "-l", "/tmp/helper.log")
    assert cfg["control_metadata"]["path"] == "/var/daos/config"
    assert cfg["helper_log_file"] == "/tmp/helper.log"
    tiers = cfg["engines"][0]["storage"]
    assert tiers[0]["class"] == "ram"
    assert tiers[1]["bdev_roles"] == ["data", "meta", "wal"]

    for flags in (["-e", "1", "--scm-only"], ["-e", "1", "-s", "0"], ["-e", "1", "--min-ssds=0"]):
        cfg = ok(tmp_path, "wolf", *flags, "--skip-prep")
        assert len(cfg["engines"]) == 1
        assert len(cfg["engines"][0]["storage"]) == 1
        assert cfg["engines"][0]["targets"] == 16

    cfg = ok(tmp_path, "wolf", "-c", "infiniband", "-p", "ofi+tcp")
    assert cfg["provider"] == "ofi+tcp"
    cfg = ok(tmp_path, "wolf", "-c", "ethernet", "-e", "1")
    assert cfg["engines"][0]["fabric_iface"] == "eth0"


def test_wolf_json():
    res = generate("wolf", "-j")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["error"] is None and doc["status"] == 0
    assert doc["response"]["provider"] == "ofi+verbs;ofi_rxm"
    assert len(doc["response"]["engines"]) == 2


def test_asym_failures(tmp_path):
    fails("asym", want="insufficient number of pmem device numa groups map[0:[/dev/pmem0]], "
                       "want 2 got 1")
    fails("asym", "-e", "1", want="insufficient number of ssds for numa 0, want 1 got 0")
    fails("asym", "-t", "-e", "1",
          want="none of the provider-ifaces sets match the numa node sets that meet storage "
               "requirements")
    fails("asym", "-t", "--scm-only", want="insufficient matching fabric interfaces, want 2 got 1")
    cfg = ok(tmp_path, "asym", "-e", "1", "--scm-only")
    assert cfg["engines"][0]["fabric_iface"] == "ib0"
    assert cfg["engines"][0]["targets"] == 6


def test_local_fixture(tmp_path):
    fails("local", want="insufficient number of pmem device numa groups map[], want 1 got 0")
    fails("local", "-t", want="insufficient number of ssds for numa 0, want 1 got 0")
    fails("local", "-t", "--min-ssds=0", "-c", "infiniband",
          want="insufficient matching fabric interfaces, want 1 got 0")
    cfg = ok(tmp_path, "local", "-t", "--min-ssds=0", "-c", "ethernet")
    assert cfg["engines"][0]["fabric_iface"] == "eth0"
    assert cfg["engines"][0]["targets"] == 1


def test_nonuma_fixture():
    res = generate("nonuma")
    assert res.returncode == 1
    assert res.stderr.startswith("ERROR: daos_server: fetching local fabric interfaces: ")


def test_this_machine(tmp_path):
    """This machine (no PMem, no NVMe) gives one tmpfs engine on Ethernet."""
    cfg = ok(tmp_path, None, "-t", "--min-ssds=0", "-c", "ethernet")
    assert len(cfg["engines"]) >= 1
    engine = cfg["engines"][0]
    assert engine["storage"][0]["class"] == "ram"
    assert engine["storage"][0]["scm_mount"] == "/mnt/daos0"
    assert len(engine["storage"]) == 1
    assert engine["targets"] >= 1
    assert cfg["provider"].startswith("ofi+")
    assert engine["fabric_iface"] != "lo"


@pytest.mark.parametrize("args,want", [
    (["-c", "infiband"], "unsupported net dev class in request: infiband"),
    (["-e", "x"], "--num-engines"),
    (["-e", "-1"], "--num-engines"),
    (["-s", "many"], "--min-ssds"),
    (["--scm-only", "-s", "2"], "--scm-only means --min-ssds=0"),
    (["-a", "a", "-r", "b"], "--access-points and --ms-replicas both given"),
    (["-r", "wolf-[72-71]"], "invalid --ms-replicas"),
    (["-f", "31416,abc"], "invalid --fabric-ports \"31416,abc\": item 2"),
    (["-f", "70000"], "item 1 is not a port number"),
    (["-f", "31416"], "insufficient fabric ports for nr engines, want 2 got 1"),
    (["-p", "ofi+psm3"], "unsupported fabric provider \"ofi+psm3\""),
    (["-m", "/var/daos"], "md-on-ssd mode is only supported with scm class ram"),
    (["-r", "a:1,b:2,c:2"], "MS replica port numbers do not match"),
    (["-r", "a,b"], "non-odd number of MS replicas"),
    (["--bogus"], "unknown flag `bogus'"),
])
def test_bad_flags(args, want):
    res = generate("wolf", *args)
    assert res.returncode == 1, res.stdout
    assert res.stdout == ""
    assert want in res.stderr, res.stderr


def test_help():
    res = run_bin("daos_server", "config", "generate", "--help")
    assert res.returncode == 0
    for flag in ("--access-points", "--ms-replicas", "--num-engines", "--min-ssds", "--scm-only",
                 "--net-class", "--net-provider", "--use-tmpfs-scm", "--control-metadata-path",
                 "--fabric-ports", "--skip-prep", "--helper-log-file"):
        assert flag in res.stdout, flag
