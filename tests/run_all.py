#!/usr/bin/python3
"""Run every test CI runs and end with one line: `N passed, N failed, N skipped`.

1. the cmocka unit tests under `meson test` in the normal build;
2. the same unit tests in a sanitizer build (address, undefined);
3. the pytest system tests under tests/system against the normal build;
4. the libFuzzer targets of tests/fuzz (clang, sanitizers), each run for
   FUZZ_SECONDS from a seed corpus of the shipped files (one check each);
5. utils/check-format.sh: every C file laid out as .clang-format says (one check).

A skipped test is counted as skipped, never as passed; a step that runs no
test at all (nothing collected, no test log) counts as one failure.
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
    """(passed, failed, skipped) from meson's testlog.json of the last run;
    a missing or empty log is one failure."""
    passed = failed = skipped = 0
    path = os.path.join(TOP, builddir, "meson-logs", "testlog.json")
    try:
        with open(path) as f:
            for line in f:
                res = json.loads(line).get("result")
                if res in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif res == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        pass
    if passed + failed + skipped == 0:
        failed = 1
    return passed, failed, skipped


def report(label, p, f, s):
    print(f"{label}: {p} passed, {f} failed, {s} skipped", flush=True)
    return p, f, s


def unit(builddir, label):
    log = os.path.join(TOP, builddir, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.unlink(log)  # a run that writes none must not be judged by the last one's
    rc = run(["meson", "test", "-C", builddir, "--print-errorlogs", "--num-processes", "2"])
    p, f, s = meson_counts(builddir)
    if rc != 0 and f == 0:
        f = 1
    return report(label, p, f, s)


def asan(asandir):
    if not os.path.exists(os.path.join(TOP, asandir, "build.ninja")):
        rc = run(["meson", "setup", asandir, "-Db_sanitize=address,undefined",
                  "-Db_lundef=false", "-Dbuildtype=debug"])
        if rc != 0:
            return 0, 1, 0
    if run(["ninja", "-C", asandir]) != 0:
        return 0, 1, 0
    os.environ["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=1"
    os.environ["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    res = unit(asandir, "sanitizer unit tests")
    os.environ.pop("ASAN_OPTIONS")
    os.environ.pop("UBSAN_OPTIONS")
    return res


def junit_counts(xml):
    """(passed, failed, skipped) from a pytest junit XML file; a missing or
    unreadable file, or one with no test, is one failure."""
    passed = failed = skipped = 0
    try:
        root = ET.parse(xml).getroot()
        for suite in root.iter("testsuite"):
            total = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            failed += bad
            skipped += skip
            passed += total - bad - skip
    except (FileNotFoundError, ET.ParseError):
        pass
    if passed + failed + skipped == 0:
        failed = 1
    return passed, failed, skipped


def system(builddir):
    xml = os.path.join(TOP, builddir, "pytest-results.xml")
    if os.path.exists(xml):
        os.unlink(xml)
    env = dict(os.environ, DAOS_BUILD_DIR=os.path.join(TOP, builddir))
    rc = run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
              f"--junitxml={xml}", "tests/system"], env=env)
    p, f, s = junit_counts(xml)
    # pytest: 0 all passed, 5 nothing collected, anything else something failed
    if rc != 0 and f == 0:
        f = 1
    return report("system tests", p, f, s)


FUZZ_TARGETS = ("fuzz_hostlist", "fuzz_rpc", "fuzz_config", "fuzz_drpc", "fuzz_format")
FUZZ_SECONDS = 30


def fuzz_seeds(target, corpus):
    """A few valid inputs to start from (the fuzzers' input formats: see
    tests/fuzz/README.md)."""
    seeds = []
    if target == "fuzz_config":
        for kind, name in enumerate(("daos_server.yml", "daos_agent.yml", "daos_control.yml")):
            with open(os.path.join(TOP, "utils", "config", name), "rb") as f:
                seeds.append(bytes([kind]) + f.read())
    elif target == "fuzz_hostlist":
        seeds = [b"node[1-3,05],rack1-node06", b"10.0.0.[1-4]:10001", b"[0-7,9]"]
    elif target == "fuzz_format":
        seeds = [b"version: 1\nuuid: 2f7c1f33-4fb5-4a1f-9c3a-6e8f4b1b2c3d\nsystem: daos_server\n"]
    for i, data in enumerate(seeds):
        with open(os.path.join(corpus, f"seed{i}"), "wb") as f:
            f.write(data)


def fuzz(fuzzdir):
    """Build the fuzz targets with clang and run each for FUZZ_SECONDS."""
    n = len(FUZZ_TARGETS)
    if not os.path.exists(os.path.join(TOP, fuzzdir, "build.ninja")):
        env = dict(os.environ, CC="clang")
        rc = run(["meson", "setup", fuzzdir, "-Db_sanitize=address,undefined",
                  "-Db_lundef=false", "-Dbuildtype=debug"], env=env)
        if rc != 0:
            return report("fuzzers", 0, n, 0)
    if run(["ninja", "-C", fuzzdir] + [f"tests/fuzz/{t}" for t in FUZZ_TARGETS]) != 0:
        return report("fuzzers", 0, n, 0)
    passed = failed = 0
    out = os.path.join(TOP, fuzzdir, "fuzz-out")
    for t in FUZZ_TARGETS:
        corpus = os.path.join(out, t + ".corpus")
        os.makedirs(corpus, exist_ok=True)
        fuzz_seeds(t, corpus)
        rc = run([os.path.join(TOP, fuzzdir, "tests", "fuzz", t), f"-max_total_time={FUZZ_SECONDS}",
                  "-timeout=10", "-rss_limit_mb=2048", "-print_final_stats=1",
                  f"-artifact_prefix={out}/{t}-", corpus],
                 env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1"))
        if rc == 0:
            passed += 1
        else:
            failed += 1
            print(f"{t}: FAILED (exit {rc}); the input is in {out}/{t}-*", flush=True)
    return report("fuzzers", passed, failed, 0)


def format_check():
    """utils/check-format.sh as one check: passed when every file conforms."""
    rc = run([os.path.join(TOP, "utils", "check-format.sh")])
    return report("format check", *((1, 0, 0) if rc == 0 else (0, 1, 0)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--asan", default="build-asan")
    ap.add_argument("--fuzz", default="build-fuzz")
    args = ap.parse_args()
    total = [0, 0, 0]
    for counts in (unit(args.build, "unit tests"), asan(args.asan), system(args.build),
                   fuzz(args.fuzz), format_check()):
        total = [t + c for t, c in zip(total, counts)]
    print(f"{total[0]} passed, {total[1]} failed, {total[2]} skipped")
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main())
