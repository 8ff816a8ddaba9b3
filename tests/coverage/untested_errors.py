#!/usr/bin/python3
"""`make untested-errors`: every user-facing error message in src/ that no
test makes happen.

A message site is a line of src/**/*.c that calls d_errbuf_set(), D_ERROR(),
D_WARN() or fprintf(stderr, ...).  The tree is built with gcov coverage
(`build-cov`), the unit tests and the system tests run against that build,
and each site whose line never executed is listed as file:line and the
start of its message, unless tests/coverage/untested_errors.allow gives a
reason for it (a line "path:line-text-fragment | reason", e.g. hardware this
machine cannot have).  Exit status 1 when anything is listed.

Not part of `make test` (it runs the whole suite a second time, slower).
Use --report-only to judge the coverage of the last run again.
"""
import argparse
import glob
import gzip
import json
import os
import re
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ALLOW = os.path.join(TOP, "tests", "coverage", "untested_errors.allow")
SITE = re.compile(r"\b(d_errbuf_set|D_ERROR|D_WARN|fprintf)\s*\(\s*(stderr\s*,)?")
PYTHON = "/usr/bin/python3"


def run(cmd, **kw):
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=TOP, **kw).returncode


def sites():
    """{(relpath, line): message start} of every message site in src/."""
    out = {}
    for path in sorted(glob.glob(os.path.join(TOP, "src", "**", "*.c"), recursive=True)):
        rel = os.path.relpath(path, TOP)
        with open(path, errors="replace") as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            m = SITE.search(line)
            if not m or line.lstrip().startswith(("*", "/*", "//", "#define")):
                continue
            if m.group(1) == "fprintf" and not m.group(2):
                continue
            text = " ".join(l.strip() for l in lines[i:i + 4])
            lit = re.findall(r'"((?:[^"\\]|\\.)*)"', text)
            out[(rel, i + 1)] = "".join(lit[:2])[:100] if lit else text[:100]
    return out


def executed(builddir):
    """{(relpath, line): count} from the gcov data of every object in builddir."""
    counts = {}
    notes = glob.glob(os.path.join(builddir, "**", "*.gcno"), recursive=True)
    for gcno in notes:
        r = subprocess.run(["gcov", "--json-format", "--stdout", gcno], cwd=builddir,
                           capture_output=True)
        for chunk in r.stdout.split(b"\n"):
            if not chunk.strip():
                continue
            try:
                data = json.loads(chunk)
            except ValueError:
                continue
            for f in data.get("files", []):
                path = os.path.normpath(os.path.join(builddir, f["file"]))
                rel = os.path.relpath(path, TOP)
                if not rel.startswith("src" + os.sep):
                    continue
                for ln in f.get("lines", []):
                    key = (rel, ln["line_number"])
                    counts[key] = max(counts.get(key, 0), ln["count"])
    return counts


def allowed():
    rules = []
    if os.path.exists(ALLOW):
        with open(ALLOW) as f:
            for line in f:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                where, _, why = line.partition("|")
                path, _, frag = where.strip().partition(":")
                rules.append((path, frag.strip(), why.strip()))
    return rules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default="build-cov")
    ap.add_argument("--report-only", action="store_true")
    args = ap.parse_args()
    build = os.path.join(TOP, args.build)
    if not args.report_only:
        if not os.path.exists(os.path.join(build, "build.ninja")) and \
                run(["meson", "setup", args.build, "-Db_coverage=true"]) != 0:
            return 2
        if run(["ninja", "-C", args.build]) != 0:
            return 2
        for gcda in glob.glob(os.path.join(build, "**", "*.gcda"), recursive=True):
            os.unlink(gcda)
        run(["meson", "test", "-C", args.build, "--no-rebuild", "--num-processes", "2"])
        run(["flock", "/tmp/daos-systest.lock", PYTHON, "-m", "pytest", "-q", "-p",
             "no:cacheprovider", "tests/system"],
            env=dict(os.environ, DAOS_BUILD_DIR=build))
    counts = executed(build)
    rules = allowed()
    untested, excused, total = [], 0, 0
    for (rel, line), msg in sorted(sites().items()):
        if (rel, line) not in counts:
            continue  # not compiled into anything here (e.g. code of another build option)
        total += 1
        if counts[(rel, line)] > 0:
            continue
        with open(os.path.join(TOP, rel), errors="replace") as f:
            src_line = f.read().split("\n")[line - 1]
        if any(rel == p and frag in src_line + msg for p, frag, _ in rules):
            excused += 1
            continue
        untested.append(f"{rel}:{line}: {msg}")
    print("\n".join(untested))
    print(f"\n{len(untested)} of {total} message sites never reached by a test "
          f"({excused} more excused in {os.path.relpath(ALLOW, TOP)})")
    return 1 if untested else 0


if __name__ == "__main__":
    sys.exit(main())
