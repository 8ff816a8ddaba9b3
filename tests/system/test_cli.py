"""Command-line behaviour shared by daos_server, dmg and daos_agent: the
`version -j` JSON envelope, help, and the go-flags style usage errors."""
import json
import re

import pytest

from conftest import run_bin

NAMES = {
    "daos_server": "DAOS Control Server",
    "dmg": "DAOS Admin Tool",
    "daos_agent": "DAOS Agent",
}

# A global option each binary must accept, before or after the subcommand.
GLOBAL_BOOL = {"daos_server": "-b", "dmg": "-d", "daos_agent": "-d"}


@pytest.mark.parametrize("binary", sorted(NAMES))
@pytest.mark.parametrize("where", ["before", "after"])
def test_version_json(binary, where):
    args = ["-j", "version"] if where == "before" else ["version", "--json"]
    r = run_bin(binary, *args)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert list(doc) == ["response", "error", "status"]
    assert doc["error"] is None and doc["status"] == 0
    resp = doc["response"]
    assert resp["name"] == NAMES[binary]
    assert re.fullmatch(r"\d+\.\d+\.\d+", resp["version"])
    assert set(resp) <= {"name", "version", "revision"}
    # 2-space indentation as Go's json.MarshalIndent
    assert r.stdout.startswith('{\n  "response": {\n    "name": ')
    assert r.stdout.endswith('\n  },\n  "error": null,\n  "status": 0\n}\n')
    # the text form agrees with the JSON one
    t = run_bin(binary, "version")
    rev = "-g" + resp["revision"] if "revision" in resp else ""
    assert t.stdout == "%s version %s%s\n" % (resp["name"], resp["version"], rev)


@pytest.mark.parametrize("binary", sorted(NAMES))
def test_global_options_anywhere(binary):
    for args in ([GLOBAL_BOOL[binary], "version"], ["version", GLOBAL_BOOL[binary]],
                 ["--allow-proxy", "version"], ["version", "--debug", "--allow-proxy"]):
        r = run_bin(binary, *args)
        assert r.returncode == 0, (args, r.stderr)
        assert r.stdout.startswith(NAMES[binary] + " version "), args


@pytest.mark.parametrize("binary", sorted(NAMES))
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help(binary, flag):
    r = run_bin(binary, flag)
    assert r.returncode == 0
    assert r.stderr == ""
    assert r.stdout.startswith("Usage:\n  %s [OPTIONS] " % binary)
    assert "\nApplication Options:\n" in r.stdout
    assert "\n  -j, --json " in r.stdout
    assert "\nHelp Options:\n  -h, --help " in r.stdout
    assert re.search(r"\nAvailable commands:\n(.*\n)*  version +Print %s version\n" % binary,
                     r.stdout)
    # help of a subcommand: its path in the usage line, no command list
    r = run_bin(binary, "version", flag)
    assert r.returncode == 0
    assert r.stdout.startswith("Usage:\n  %s [OPTIONS] version\n" % binary)
    assert "Available commands" not in r.stdout


def check_usage_error(r, binary, message):
    assert r.returncode == 1
    assert r.stdout == ""
    first, rest = r.stderr.split("\n", 1)
    assert first == "ERROR: %s: %s" % (binary, message)
    assert rest.startswith("Usage:\n  %s [OPTIONS]" % binary)


@pytest.mark.parametrize("binary", sorted(NAMES))
def test_bad_flag(binary):
    check_usage_error(run_bin(binary, "-Z", "version"), binary, "unknown flag `Z'")
    check_usage_error(run_bin(binary, "version", "--no-such-flag"), binary,
                      "unknown flag `no-such-flag'")
    check_usage_error(run_bin(binary, "version", "--json=yes"), binary,
                      "bool flag `-j, --json' cannot have an argument")


@pytest.mark.parametrize("binary", sorted(NAMES))
def test_unknown_command(binary):
    r = run_bin(binary, "frobnicate")
    assert r.returncode == 1
    first = r.stderr.split("\n", 1)[0]
    # "Please specify one command of: a, b or c" once several commands exist
    assert re.fullmatch(r"ERROR: %s: Unknown command `frobnicate'\. "
                        r"(You should use the version command|"
                        r"Please specify one command of: .*version.*)" % binary, first), first
    check_usage_error(r, binary, first.split(": ", 2)[2])
    check_usage_error(run_bin(binary, "versoin"), binary,
                      "Unknown command `versoin', did you mean `version'?")


@pytest.mark.parametrize("binary", ["daos_server", "dmg"])
def test_missing_command(binary):
    r = run_bin(binary)
    first = r.stderr.split("\n", 1)[0]
    assert re.fullmatch(r"ERROR: %s: Please specify (the version command|"
                        r"one command of: .*version.*)" % binary, first), first
    check_usage_error(r, binary, first.split(": ", 2)[2])


def test_missing_argument():
    check_usage_error(run_bin("dmg", "version", "-o"), "dmg",
                      "expected argument for flag `-o, --config-path'")
    check_usage_error(run_bin("dmg", "--log-file"), "dmg",
                      "expected argument for flag `--log-file'")
    check_usage_error(run_bin("daos_agent", "-s"), "daos_agent",
                      "expected argument for flag `-s, --runtime_dir'")


def test_unexpected_argument():
    check_usage_error(run_bin("dmg", "version", "extra"), "dmg", "unexpected argument `extra'")


def test_dmg_hidden_host_list():
    r = run_bin("dmg", "-h")
    assert "host-list" not in r.stdout
    r = run_bin("dmg", "-l", "node[1-2]", "version")
    assert r.returncode == 0, r.stderr


def test_log_file(tmp_path):
    log = tmp_path / "dmg.log"
    r = run_bin("dmg", "--log-file", str(log), "version")
    assert r.returncode == 0, r.stderr
    assert log.exists()
    bad = tmp_path / "missing-dir" / "x.log"
    r = run_bin("daos_agent", "-l", str(bad), "version")
    assert r.returncode == 1
    assert r.stderr.startswith('ERROR: daos_agent: cannot open log file "%s": ' % bad)
    assert "check that its directory exists and is writable" in r.stderr
