"""The shape of the tree as built: one job per control-plane library, each
binary linking only what it uses, and no circles of references between
source files.

References are read from the compiled objects (`nm`): file A refers to file B
when A uses a symbol that B defines.  That is what a reader of the code
follows, whichever header declares the symbol.
"""
import collections
import glob
import os
import re
import subprocess

import pytest

from conftest import BINARIES, BUILD, TOP

LIBS = ("config", "hw", "storage", "rpc", "system", "autocfg", "render")


def _ldd(path):
    out = subprocess.run(["ldd", path], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def _defined(path):
    out = subprocess.run(["nm", "--defined-only", "-g", path], capture_output=True, text=True,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines() if line.strip()}


def test_control_lib_is_seven_libraries():
    lib = os.path.join(TOP, "src", "control", "lib")
    entries = sorted(e for e in os.listdir(lib) if e != "meson.build")
    assert entries == sorted(LIBS)
    for name in LIBS:
        d = os.path.join(lib, name)
        assert os.path.exists(os.path.join(d, name + ".h")), f"{name}/ has no {name}.h"
        headers = [h for h in os.listdir(d) if h.endswith(".h")]
        assert set(headers) <= {name + ".h", name + "_internal.h", "config_internal.h"}, headers
        with open(os.path.join(d, "meson.build")) as f:
            assert re.search(r"static_library\('daos_ctl_%s'" % name, f.read())


def test_private_headers_stay_home():
    """An *_internal.h is included only from its own directory."""
    known = set()
    bad = []
    for path in glob.glob(os.path.join(TOP, "src", "**", "*.[ch]"), recursive=True):
        with open(path) as f:
            for inc in re.findall(r'#include "([^"]+_internal\.h)"', f.read()):
                if os.path.dirname(os.path.join(TOP, "src", inc)) != os.path.dirname(path):
                    bad.append(f"{os.path.relpath(path, TOP)} includes {inc}")
    assert set(bad) <= known, "\n".join(sorted(set(bad) - known))


def test_dmg_loads_no_hardware_library():
    libs = _ldd(BINARIES["dmg"])
    assert not any(l.startswith(("libndctl", "libhwloc")) for l in libs), libs


def test_agent_links_only_what_it_uses():
    """daos_agent: config (libyaml), dRPC (protobuf-c), systemd readiness
    (libsystemd and what it loads), the fabric scan of net-scan and
    interface selection (hwloc; ndctl comes with the hw library's machine
    backend); nothing of the server (no OpenSSL's libssl, no libfabric at
    link time: the scan loads it)."""
    libs = {os.path.basename(l).split(".so")[0] for l in _ldd(BINARIES["daos_agent"])}
    allowed = {"linux-vdso", "ld-linux-x86-64", "libc", "libm", "libyaml-0", "libprotobuf-c",
               "libsystemd", "libcap", "libgcrypt", "libgpg-error", "liblzma", "libzstd",
               "liblz4", "libhwloc", "libndctl", "libudev", "libdaxctl", "libuuid", "libkmod",
               "libcrypto"}
    assert libs <= allowed, sorted(libs - allowed)


def test_setuid_helper_loads_only_libc_and_libyaml():
    """daos_server_helper runs as root for the daos_server user: nothing of
    the daemon (TLS, libfabric, hwloc, ndctl) is mapped into it."""
    libs = {os.path.basename(l).split(".so")[0] for l in _ldd(BINARIES["daos_server_helper"])}
    assert libs <= {"linux-vdso", "libyaml-0", "libm", "libc", "ld-linux-x86-64"}, libs
    syms = _defined(BINARIES["daos_server_helper"])
    assert not any(s.startswith(("srv_", "d_tls_", "ctl_rpc_")) for s in syms)


def test_engine_has_no_control_library_code():
    syms = _defined(BINARIES["daos_engine"])
    ctl = sorted(s for s in syms
                 if s.startswith(("ctl_", "cfg_", "stg_", "hw_", "srv_")) and "__" not in s)
    assert not ctl, ctl
    assert not any(l.startswith(("libndctl", "libssl", "libyaml")) for l in _ldd(BINARIES["daos_engine"]))


def _objects():
    """{source path relative to TOP: object path} for every object under src/."""
    objs = {}
    for o in glob.glob(os.path.join(BUILD, "src", "**", "*.p", "*.c.o"), recursive=True):
        rel = os.path.relpath(o, BUILD)
        d = os.path.dirname(os.path.dirname(rel))
        src = os.path.join(d, os.path.basename(o)[:-2])
        if os.path.exists(os.path.join(TOP, src)):
            objs[src] = o
    return objs


def _reference_graph():
    objs = _objects()
    defs, undef = {}, {}
    for src, o in objs.items():
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        undef[src] = set()
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == "U":
                undef[src].add(parts[1])
            elif len(parts) == 3 and parts[1] in "TDBR":
                defs.setdefault(parts[2], set()).add(src)
    graph = collections.defaultdict(set)
    for src, syms in undef.items():
        for s in syms:
            for d in defs.get(s, ()):
                # a symbol defined in several objects (one per binary) is a namesake
                if len(defs[s]) == 1 and d != src:
                    graph[src].add(d)
    return objs, graph


def _cycles(nodes, graph):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def test_no_reference_circles():
    objs, graph = _reference_graph()
    assert len(objs) > 50, f"objects not found under {BUILD}"
    found = sorted(" <-> ".join(comp) for comp in _cycles(objs, graph))
    assert not found, "circles of references:\n" + "\n".join(found)


def test_cycle_finder_sees_a_circle():
    """The check above can fail: a two-file circle is found, a chain is not."""
    g = {"a.c": {"b.c"}, "b.c": {"a.c"}, "c.c": {"a.c"}}
    assert _cycles(g, g) == [["a.c", "b.c"]]


RAW_ALLOC = re.compile(r"(?<![\w>.])(malloc|calloc|realloc|reallocarray|free|strdup|strndup|"
                       r"asprintf|vasprintf)\s*\(")
# The wrappers themselves: D_ALLOC/D_FREE and friends are defined on these.
ALLOC_HOME = {"src/common/common.c", "src/common/common.h"}


def _code_only(text):
    """C text with comments, string and character literals blanked out."""
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def _raw_allocations(paths):
    bad = []
    for path in paths:
        rel = os.path.relpath(path, TOP)
        if rel in ALLOC_HOME:
            continue
        with open(path) as f:
            code = _code_only(f.read())
        for n, line in enumerate(code.splitlines(), 1):
            m = RAW_ALLOC.search(line)
            if m:
                bad.append(f"{rel}:{n}: {m.group(1)}()")
    return bad


def test_allocations_go_through_the_wrappers():
    """D_ALLOC/D_STRDUP/D_REALLOC/D_FREE everywhere, so fault injection reaches every path."""
    paths = glob.glob(os.path.join(TOP, "src", "**", "*.[ch]"), recursive=True)
    bad = _raw_allocations(paths)
    assert not bad, "raw allocator calls (use the D_* wrappers of common/common.h):\n" + \
        "\n".join(bad)


def test_raw_allocation_finder(tmp_path):
    """The check above can fail: calls are found, comments, strings and wrappers are not."""
    src = tmp_path / "x.c"
    src.write_text('/* free(p) */\nchar *s = "malloc(1)";\nD_FREE(p);\np->free(q);\n'
                   'q = strdup(s);\n  free (p);\nx.free(y);\nd_calloc(1, 2);\n')
    found = [b.split(": ", 1)[1] for b in _raw_allocations([str(src)])]
    assert found == ["strdup()", "free()"]
