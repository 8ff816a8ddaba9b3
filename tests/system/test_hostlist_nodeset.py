"""Our hostlist parser against ClusterShell's nodeset (Debian clustershell).

Thousands of random host sets (fixed seed) go through tests/tools/hostlist_tool
in one batch process and through the ClusterShell.NodeSet library in this
process; a few fixed cases also go through the real `nodeset` CLI.  Checks:
our expansion equals nodeset's as a set, counts agree, and our compressed
string expands back to the same set with our tool and with nodeset.

Order: we sort like upstream DAOS (prefix, suffix, digit count, number),
nodeset sorts by its name pattern then number.  Within one prefix/suffix the
orders agree (both put "node[10-20]" before "node[001-009]"); across prefixes
they can differ ("a-1" vs "a1-1"), so expansions are compared as sets.

Where the DAOS grammar and nodeset legitimately differ, and is therefore not
generated at random:
- IPv4 prefixes and ":port" suffixes (DAOS grammar only);
- several bracket groups in one name ("rack[1-2]node[1-4]", nodeset only);
- a padded range whose upper bound has more digits than the lower
  ("node[08-120]"): DAOS takes the width from the lower bound, nodeset
  rejects it ("padding length mismatch"); so padded numbers stay below
  10**width and our output never contains such a range;
- ranges over 16384 hosts (DAOS limit) and separators other than ',' on the
  nodeset side (the DAOS side also gets spaces and tabs);
- names starting with a digit (DAOS rejects them unless IPv4);
- a prefix ending in a digit before a range whose bounds have different digit
  counts ("wolf-7[51-111]"): nodeset folds the digit into the bounds and
  expands wolf-[751-7111], DAOS writes each number after the "7"
  (wolf-751..wolf-799, wolf-7100..wolf-7111).
"""
import os
import random
import subprocess

import pytest

ClusterShell = pytest.importorskip("ClusterShell.NodeSet")
NodeSet = ClusterShell.NodeSet

SEED = 20240611
CASES = 3000

# (prefix, suffix, pad width; 0 = numbers written without leading zeros)
FAMILIES = [
    ("node", "", 0), ("node", "", 3), ("node", "", 2), ("n", "", 0), ("n", "", 4),
    ("wolf-", "", 0), ("machines-", "", 0), ("d-server-j-", "", 4), ("dserver-", "", 4),
    ("cn-", "-ib", 0), ("host", ".ib0", 2), ("d-server-", "ab", 4), ("rack1-node", "", 0),
    ("wolf-7", "", 0), ("x", "y", 0),
]
WORDS = ["quack", "login-a", "mgmt", "head-node"]
SEPS = [",", " ", "\t", ", ", ",,"]


def tool_path(build_dir):
    return os.path.join(build_dir, "tests", "tools", "hostlist_tool")


def fmt(num, width):
    return str(num).zfill(width) if width else str(num)


def gen_number(rng, width):
    return rng.randrange(0, 10 ** width) if width else rng.randrange(0, 400)


def gen_token(rng):
    """A random token and the hosts it stands for, in order, duplicates kept."""
    if rng.random() < 0.05:
        word = rng.choice(WORDS)
        return word, [word]
    prefix, suffix, width = rng.choice(FAMILIES)
    if rng.random() < 0.4:
        host = prefix + fmt(gen_number(rng, width), width) + suffix
        return host, [host]
    ranges, hosts = [], []
    for _ in range(rng.randint(1, 4)):
        lo = gen_number(rng, width)
        limit = 10 ** width - 1 if width else 450
        if prefix[-1].isdigit():  # see the module comment: "wolf-7[51-111]"
            limit = min(limit, 10 ** len(str(lo)) - 1)
        hi = min(limit, lo + rng.choice([0, 1, 2, 5, 17, 60]))
        ranges.append(fmt(lo, width) if lo == hi and rng.random() < 0.5
                      else fmt(lo, width) + "-" + fmt(hi, width))
        hosts += [prefix + fmt(n, width) + suffix for n in range(lo, hi + 1)]
    return prefix + "[" + ",".join(ranges) + "]" + suffix, hosts


def gen_case(rng):
    """(our list string, nodeset's string, expected hosts in list order)."""
    tokens = [gen_token(rng) for _ in range(rng.randint(1, 6))]
    if rng.random() < 0.3:  # explicit duplicates
        tokens += rng.sample(tokens, rng.randint(1, len(tokens)))
    ours = tokens[0][0]
    for tok, _ in tokens[1:]:
        ours += rng.choice(SEPS) + tok
    return ours, ",".join(t for t, _ in tokens), [h for _, hosts in tokens for h in hosts]


def run_batch(build_dir, lines):
    """One hostlist_tool process for all lines; returns the result strings."""
    proc = subprocess.run([tool_path(build_dir), "batch"], input="".join(
        cmd + "\t" + arg + "\n" for cmd, arg in lines), capture_output=True, text=True,
        timeout=300, check=True)
    out = proc.stdout.split("\n")[:-1]
    assert len(out) == len(lines)
    results = []
    for (cmd, arg), line in zip(lines, out):
        status, _, value = line.partition("\t")
        assert status == "ok", f"{cmd} {arg!r}: {value}"
        results.append(value)
    return results


def test_random_sets_match_nodeset(build_dir):
    rng = random.Random(SEED)
    cases = [gen_case(rng) for _ in range(CASES)]
    lines = []
    for ours, _, _ in cases:
        lines += [("uniq", ours), ("count", ours), ("compress", ours), ("expand", ours)]
    res = run_batch(build_dir, lines)

    back = run_batch(build_dir, [("uniq", res[4 * i + 2]) for i in range(len(cases))])
    for i, (ours, theirs, hosts) in enumerate(cases):
        uniq, count, compressed, expanded = res[4 * i:4 * i + 4]
        expected = NodeSet(theirs)
        expected_set = set(expected)
        assert expected_set == set(hosts)  # the generator and nodeset agree
        # the list keeps order and duplicates
        assert expanded.split(",") == hosts, ours
        got = uniq.split(",")
        assert len(got) == len(set(got)), f"duplicates in set expansion of {ours!r}"
        assert set(got) == expected_set, f"{ours!r}: {uniq} != {expected}"
        assert int(count) == len(expected), ours
        assert set(back[i].split(",")) == expected_set, f"{compressed!r} does not expand back"
        assert set(NodeSet(compressed)) == expected_set, f"nodeset reads {compressed!r} differently"


FIXED = [
    "wolf-[71-72]", "wolf-7[1-2]", "foo-1[28-63],bar[256-511]", "machines-[118-121,130-133]",
    "wolf-[118-121,130-133]", "node[001-020]", "node[001-009,10-20]",
    "node2-1,node1-[2,45,47],node3,node1-3",
]


@pytest.mark.parametrize("hosts", FIXED)
def test_nodeset_cli(build_dir, hosts):
    tool = tool_path(build_dir)

    def run(*args):
        return subprocess.run(args, capture_output=True, text=True, check=True,
                              timeout=60).stdout.split()

    assert set(run(tool, "expand", hosts)) == set(run("nodeset", "-e", hosts))
    assert run(tool, "count", hosts) == run("nodeset", "-c", hosts)
    compressed = run(tool, "compress", hosts)[0]
    assert set(run("nodeset", "-e", compressed)) == set(run("nodeset", "-e", hosts))
    # for these the folded forms are identical too
    assert compressed == run("nodeset", "-f", hosts)[0]


def test_tool_errors_and_addrs(build_dir):
    tool = tool_path(build_dir)
    r = subprocess.run([tool, "expand", "node[5-3]"], capture_output=True, text=True)
    assert r.returncode == 1
    assert 'invalid range "5-3" (3 < 5)' in r.stderr
    r = subprocess.run([tool, "count", ""], capture_output=True, text=True)
    assert r.returncode == 1 and "empty host list" in r.stderr
    r = subprocess.run([tool, "ranks", "1, 5"], capture_output=True, text=True)
    assert r.returncode == 1 and "unexpected whitespace" in r.stderr
    r = subprocess.run([tool, "frobnicate", "x"], capture_output=True, text=True)
    assert r.returncode == 2
    r = subprocess.run([tool], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([tool, "addrs", "10001", "wolf-[71-72],wolf-71:10002"],
                       capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["wolf-71:10001", "wolf-72:10001", "wolf-71:10002"]
    r = subprocess.run([tool, "ranks", "[0-3,7],5"], capture_output=True, text=True, check=True)
    assert r.stdout.split() == ["0-3,5,7", "[0-3,5,7]", "6"]
    r = subprocess.run([tool, "batch"], input="count\tnode[\nnotab\n", capture_output=True,
                       text=True, check=True)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("error\tunbalanced brackets")
    assert lines[1].startswith("error\tbatch line without a tab")


def test_out_of_memory_paths(build_dir):
    """Every allocation failure ends in a clean error, never a crash."""
    tool = tool_path(build_dir)
    args = [tool, "compress", "node[001-009,10-20],wolf-7[1-2],rack1-node[1-3],quack"]
    good = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    failures = 0
    for n in range(1, 200):
        r = subprocess.run(args, capture_output=True, text=True,
                           env=dict(os.environ, D_FI_ALLOC_FAIL=str(n)))
        if r.returncode == 0:
            assert r.stdout == good
            break
        assert r.returncode == 1, r.stderr
        assert "out of memory" in r.stderr
        failures += 1
    else:
        pytest.fail("allocation count never reached")
    assert failures > 10
