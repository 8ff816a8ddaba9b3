#!/usr/bin/python3
"""Run every test CI runs and end with one line: `N passed, N failed`.

1. the cmocka unit tests under `meson test` in the normal build;
2. the same unit tests in a sanitizer build (address, undefined);
3. the pytest system tests under tests/system against the normal build;
4. utils/check-format.sh: every C file laid out as .clang-format says (one check).
"""
import argparse
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=TOP, **kw).returncode


def meson_counts(builddir):
    """Count results from meson's testlog.json of the last run."""
    passed = failed = 0
    path = os.path.join(TOP, builddir, "meson-logs", "testlog.json")
    try:
        with open(path) as f:
            for line in f:
                res = json.loads(line).get("result")
                if res in ("OK", "EXPECTEDFAIL", "SKIP"):
                    passed += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
    return passed, failed


def unit(builddir, label):
    rc = run(["meson", "test", "-C", builddir, "--print-errorlogs", "--num-processes", "2"])
    p, f = meson_counts(builddir)
    if rc != 0 and f == 0:
        f = 1
    print(f"{label}: {p} passed, {f} failed", flush=True)
    return p, f


def asan(asandir):
    if not os.path.exists(os.path.join(TOP, asandir, "build.ninja")):
        rc = run(["meson", "setup", asandir, "-Db_sanitize=address,undefined",
                  "-Db_lundef=false", "-Dbuildtype=debug"])
        if rc != 0:
            return 0, 1
    if run(["ninja", "-C", asandir]) != 0:
        return 0, 1
    os.environ["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    os.environ["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    res = unit(asandir, "sanitizer unit tests")
    os.environ.pop("ASAN_OPTIONS")
    os.environ.pop("UBSAN_OPTIONS")
    return res


def system(builddir):
    xml = os.path.join(TOP, builddir, "pytest-results.xml")
    env = dict(os.environ, DAOS_BUILD_DIR=os.path.join(TOP, builddir))
    rc = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
              f"--junitxml={xml}", "tests/system"], env=env)
    passed = failed = 0
    try:
        root = ET.parse(xml).getroot()
        for suite in root.iter("testsuite"):
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            failed += bad
            passed += total - bad
    except (FileNotFoundError, ET.ParseError):
        failed += 1
    if rc not in (0, 5) and failed == 0:
        failed = 1
    print(f"system tests: {passed} passed, {failed} failed", flush=True)
    return passed, failed


def format_check():
    """utils/check-format.sh as one check: passed when every file conforms."""
    rc = run([os.path.join(TOP, "utils", "check-format.sh")])
    p, f = (1, 0) if rc == 0 else (0, 1)
    print(f"format check: {p} passed, {f} failed", flush=True)
    return p, f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--asan", default="build-asan")
    args = ap.parse_args()
    total_p = total_f = 0
    for p, f in (unit(args.build, "unit tests"), asan(args.asan), system(args.build),
                 format_check()):
        total_p += p
        total_f += f
    print(f"{total_p} passed, {total_f} failed")
    return 1 if total_f else 0


if __name__ == "__main__":
    sys.exit(main())
