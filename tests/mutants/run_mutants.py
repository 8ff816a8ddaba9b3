#!/usr/bin/python3
"""`make mutants`: does the suite catch the small bugs that matter?

Each mutant below is a deliberate one-place bug in security or validation
code, with the tests meant to catch it.  The tree as it is now (tracked and
untracked files, not ignored ones) is copied to a scratch directory and
built there once; then, per mutant: apply it, rebuild, run its tests,
restore.  A mutant is killed when one of its tests fails; it survives when
they all pass.  A mutant whose text is no longer in its file (the code
moved) or that does not build is reported as broken: fix the table.

Not part of `make test` (it rebuilds once per mutant); the output is what
an issue's closing note quotes.  Exit status 0 only when every mutant is
killed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"
LOCK = "/tmp/daos-systest.lock"


class Mutant:
    def __init__(self, name, path, old, new, unit=(), system=()):
        self.name = name
        self.path = path
        self.old = old
        self.new = new
        self.unit = list(unit)      # meson test names
        self.system = list(system)  # pytest node ids


MUTANTS = [
    Mutant("claimed role trusted over the certificate",
           "src/control/lib/rpc/rpc_server.c",
           "\t\tif (comp != cert) {\n\t\t\td_errbuf_set(&eb,",
           "\t\tif (0 && comp != cert) {\n\t\t\td_errbuf_set(&eb,",
           system=["tests/system/test_rpc.py::test_claimed_component_must_match_certificate"]),
    Mutant("agent role allowed SystemStop",
           "src/control/lib/rpc/rpc_auth.c",
           '{"SystemStop", ADMIN},',
           '{"SystemStop", ADMIN | AGENT, SMALL},',
           unit=["control/test_rpc_auth"],
           system=["tests/system/test_rpc.py::test_roles_against_daos_server"]),
    Mutant("agent role allowed ClusterEvent",
           "src/control/lib/rpc/rpc_auth.c",
           '{"ClusterEvent", SERVER},',
           '{"ClusterEvent", SERVER | AGENT, SMALL},',
           unit=["control/test_rpc_auth"],
           system=["tests/system/test_rpc.py::test_roles_against_daos_server"]),
    Mutant("hostlist compression ignores the digit width",
           "src/common/hostlist.c",
           "(hl->segs[m].len == last + 1 && hi == max_of_len(last))",
           "hl->segs[m].len == last + 1",
           unit=["common/test_hostlist"]),
    Mutant("engine uniqueness rules compare only with the previous engine",
           "src/control/lib/config/config_engine.c",
           "for (j = 0; j < i; j++) {\n\t\t\tconst struct ctl_engine *o = &cfg->engines[j];",
           "for (j = i - 1; j < i; j++) {\n\t\t\tconst struct ctl_engine *o = &cfg->engines[j];",
           unit=["control/test_config_validate"]),
    Mutant("engine targets and helpers placed two cores later",
           "src/engine/eng_xs.c",
           "slot = 2;",
           "slot = 4;",
           unit=["engine/test_eng_args"]),
    Mutant("fsync of the file dropped from the atomic writer",
           "src/common/fs.c",
           "if (fchmod(fd, mode) != 0 || d_fs_fsync(fd) != 0) {",
           "if (fchmod(fd, mode) != 0) {",
           unit=["common/test_fs"]),
    Mutant("fsync of the directory dropped from the atomic writer",
           "src/common/fs.c",
           "if (dfd < 0 || d_fs_fsync(dfd) != 0) {",
           "if (dfd < 0) {",
           unit=["common/test_fs"]),
    Mutant("atomic writer syncs the file before giving it its mode",
           "src/common/fs.c",
           "if (fchmod(fd, mode) != 0 || d_fs_fsync(fd) != 0) {",
           "if (d_fs_fsync(fd) != 0 || fchmod(fd, mode) != 0) {",
           unit=["common/test_fs"]),
]


def sh(cmd, cwd, env=None, log=None):
    r = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if log is not None:
        log.write(f"$ {' '.join(cmd)}\n{r.stdout}\n")
    return r.returncode


def copy_tree(dst):
    """The working tree as it is (tracked + untracked, not ignored) into dst."""
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=TOP, check=True, capture_output=True).stdout.split(b"\0")
    for rel in (f.decode() for f in files if f):
        src = os.path.join(TOP, rel)
        if not os.path.isfile(src):
            continue  # deleted but still in the index
        out = os.path.join(dst, rel)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        if not os.path.exists(out) or open(src, "rb").read() != open(out, "rb").read():
            shutil.copy2(src, out)


def run_tests(m, scratch, build, log):
    """True when some test of m fails (the mutant is killed)."""
    failed = False
    if m.unit:
        failed |= sh(["meson", "test", "-C", build, "--no-rebuild", *m.unit], scratch,
                     log=log) != 0
    if m.system and not failed:
        env = dict(os.environ, DAOS_BUILD_DIR=build)
        failed |= sh(["flock", LOCK, PYTHON, "-m", "pytest", "-q", "-x", "-p",
                      "no:cacheprovider", *m.system], scratch, env=env, log=log) != 0
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dir", default="/tmp/daos-mutants", help="scratch directory (kept, reused)")
    ap.add_argument("-k", help="only mutants whose name contains this")
    args = ap.parse_args()
    scratch = os.path.join(args.dir, "tree")
    build = os.path.join(args.dir, "build")
    os.makedirs(scratch, exist_ok=True)
    copy_tree(scratch)
    logpath = os.path.join(args.dir, "mutants.log")
    with open(logpath, "w") as log:
        if not os.path.exists(os.path.join(build, "build.ninja")) and \
                sh(["meson", "setup", build, scratch], scratch, log=log) != 0:
            print(f"meson setup failed; see {logpath}")
            return 2
        print("building the unmutated tree ...", flush=True)
        if sh(["ninja", "-C", build], scratch, log=log) != 0:
            print(f"the unmutated tree does not build; see {logpath}")
            return 2
        chosen = [m for m in MUTANTS if not args.k or args.k in m.name]
        results = []
        for m in chosen:
            t0 = time.monotonic()
            path = os.path.join(scratch, m.path)
            with open(path) as f:
                orig = f.read()
            if orig.count(m.old) != 1:
                results.append((m, "BROKEN", f"text found {orig.count(m.old)} times in {m.path}"))
                continue
            with open(path, "w") as f:
                f.write(orig.replace(m.old, m.new))
            log.write(f"\n==== {m.name}\n")
            try:
                if sh(["ninja", "-C", build], scratch, log=log) != 0:
                    results.append((m, "BROKEN", "does not build"))
                    continue
                killed = run_tests(m, scratch, build, log)
                results.append((m, "killed" if killed else "SURVIVED",
                                f"{time.monotonic() - t0:.0f} s"))
            finally:
                with open(path, "w") as f:
                    f.write(orig)
            print(f"  {results[-1][1]:8} {m.name}", flush=True)
        sh(["ninja", "-C", build], scratch, log=log)
    print()
    width = max(len(m.name) for m, _, _ in results) if results else 10
    for m, verdict, why in results:
        tests = ", ".join(m.unit + m.system)
        print(f"{verdict:8}  {m.name:{width}}  {why:>6}  {tests}")
    killed = sum(1 for _, v, _ in results if v == "killed")
    print(f"\n{killed} of {len(results)} mutants killed; log: {logpath}")
    return 0 if results and killed == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
