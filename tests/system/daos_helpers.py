"""Helpers for system tests that run `daos_server start` and talk to it.

    certs = make_certs(tmp_path)                 # gen_certificates.sh + server-side modes
    srv = start_server(cluster, "local-0", certs=certs)      # or insecure=True
    r = rpc_call(cluster, "local-0", "GetVersion", ["local-0"], certs=certs)
    assert r.returncode == 0 and " ok " in r.stdout
    assert srv.proc.stop() == 0

`cluster` is a LocalCluster or NetnsCluster (tests/system/cluster.py); the
server gets the host's port, socket_dir and a config file in the host's
directory.  Its control log goes to the process log (Proc.log) unless
`log_file` is given, so `srv.proc.wait_for_log()` sees every line.
"""
import os
import stat
import subprocess
import uuid

import yaml

import cluster
from conftest import BINARIES, BUILD, TOP

RPC_TOOL = os.path.join(BUILD, "tests", "tools", "rpc_tool")
GEN_CERTS = os.path.join(TOP, "utils", "certs", "gen_certificates.sh")
LISTENING = r"DAOS Control Server v\S+ \(pid \d+\) listening on \S+:\d+"
# env for start_server(): daos_server finds daos_engine in PATH first, and the
# build tree keeps the two binaries in different directories
ENGINE_PATH = {"PATH": os.path.dirname(BINARIES["daos_engine"]) + ":" + os.environ["PATH"]}


class Certs:
    """Paths of a generated certificate set (utils/certs/gen_certificates.sh)."""

    def __init__(self, top):
        self.dir = os.path.join(top, "daosCA")
        c = os.path.join(self.dir, "certs")
        self.ca = os.path.join(c, "daosCA.crt")
        self.clients = os.path.join(c, "clients")
        for role in ("server", "agent", "admin"):
            setattr(self, role + "_cert", os.path.join(c, role + ".crt"))
            setattr(self, role + "_key", os.path.join(c, role + ".key"))

    def transport(self, role="server"):
        """transport_config section for a daos_server.yml (role server) or a client."""
        t = {"allow_insecure": False, "ca_cert": self.ca,
             "cert": getattr(self, role + "_cert"), "key": getattr(self, role + "_key")}
        if role == "server":
            t["client_cert_dir"] = self.clients
        return t

    def client_args(self, role="admin"):
        """rpc_tool options for a client with this role's certificate."""
        args = ["--ca", self.ca, "--cert", getattr(self, role + "_cert"),
                "--key", getattr(self, role + "_key")]
        if role == "admin":
            args.append("--admin-key")
        return args


def make_certs(directory):
    """Generate a CA and the server/agent/admin certificates in `directory`
    (the script creates clients/ with the 0750 daos_server accepts)."""
    directory = str(directory)
    r = subprocess.run([GEN_CERTS, directory], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    certs = Certs(directory)
    return certs


def server_config(path, port, socket_dir, certs=None, insecure=False, log_file=None,
                  extra=None):
    """Write a discovery-mode daos_server.yml (no engines) to `path`; `extra`
    keys are merged in at the top level.  Returns the path."""
    cfg = {"name": "daos_server", "port": port, "socket_dir": socket_dir}
    if insecure:
        cfg["transport_config"] = {"allow_insecure": True}
    elif certs is not None:
        cfg["transport_config"] = certs.transport("server")
    if log_file:
        cfg["control_log_file"] = log_file
    cfg.update(extra or {})
    with open(path, "w") as f:
        yaml.safe_dump(cfg, f, sort_keys=False)
    return path


def free_port():
    """A TCP port free now, below the ephemeral range (cluster.free_ports): an
    engine's fabric port, so that no test depends on a fixed one."""
    return cluster.free_ports(1)[0]


def engine_section(base, idx=0, iface="lo", fabric_port=None, targets=1, scm_size=4,
                   bdev_size=1, log_mask="INFO", extra=None):
    """One `engines:` entry on emulated storage under directory `base`:
    class ram SCM (tmpfs of scm_size GiB at base/scm<idx>; 4, the smallest
    size the configuration check accepts, by default), one class file
    bdev of bdev_size GB, `targets` targets, no helpers, and
    DAOS_TARGET_OVERSUBSCRIBE=1 (these machines have 2 cores)."""
    eng = {
        "targets": targets,
        "nr_xs_helpers": 0,
        "first_core": 0,
        "fabric_iface": iface,
        "fabric_iface_port": fabric_port or free_port(),
        "log_mask": log_mask,
        "log_file": os.path.join(base, f"engine{idx}.log"),
        "env_vars": ["DAOS_TARGET_OVERSUBSCRIBE=1"],
        "storage": [
            {"class": "ram", "scm_mount": os.path.join(base, f"scm{idx}"),
             "scm_size": scm_size},
            {"class": "file", "bdev_list": [os.path.join(base, f"bdev{idx}", "daos-bdev")],
             "bdev_size": bdev_size},
        ],
    }
    eng.update(extra or {})
    return eng


def engines_extra(base, n=1, iface="lo", replicas=None, provider="ofi+tcp", **kw):
    """Top-level keys for server_config(extra=...) giving `n` engines on
    emulated storage under `base` (see engine_section), the provider and,
    when given, the `mgmt_svc_replicas` list ("host:port" entries)."""
    extra = {"provider": provider,
             "engines": [engine_section(base, i, iface=iface, **kw) for i in range(n)]}
    if replicas is not None:
        extra["mgmt_svc_replicas"] = list(replicas)
    return extra


def fake_format(base, idx=0, rank=None, system="daos_server", size="64m"):
    """What a format of engine `idx` under `base` (engine_section's layout)
    leaves behind, without `dmg storage format`: a tmpfs on scm<idx> with a
    superblock (new uuid; `rank` when given) and the bdev file directory
    (daos_server regenerates daos_nvme.conf).  Returns the mount point;
    the caller unmounts it (unmount_under)."""
    mnt = os.path.join(base, f"scm{idx}")
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt], check=True)
    with open(os.path.join(mnt, "superblock"), "w") as f:
        f.write(f"version: 1\nuuid: {uuid.uuid4()}\nsystem: {system}\n"
                f"rank: {'null' if rank is None else rank}\nuri: \"\"\n"
                f"validrank: {'false' if rank is None else 'true'}\n"
                f"hostfaultdomain: \"\"\nincarnation: 0\n")
    bdev = os.path.join(base, f"bdev{idx}")
    os.makedirs(bdev, exist_ok=True)
    with open(os.path.join(bdev, "daos-bdev"), "wb") as f:
        f.truncate(1 << 30)
    return mnt


def engine_children(server_pid):
    """Pids of the daos_engine children of `server_pid`."""
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:]
        if comm == "daos_engine" and int(rest.split()[1]) == server_pid:
            pids.append(int(pid))
    return pids


def read_superblock(mnt):
    """The superblock under scm mount `mnt` as a dict."""
    with open(os.path.join(mnt, "superblock")) as f:
        return yaml.safe_load(f)


def unmount_under(base):
    """Unmount every mount point at or below `base` (deepest first): test
    teardown for tmpfs SCM left by a failed test."""
    base = os.path.realpath(base)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for mp in sorted((p for p in points if p == base or p.startswith(base + "/")),
                     key=len, reverse=True):
        subprocess.run(["umount", "-l", mp], capture_output=True)


class Server:
    """A started daos_server: `proc` (cluster.Proc), `host`, `config`, `log`
    (the control log: the process log unless log_file was given)."""

    def __init__(self, proc, host, config, log):
        self.proc = proc
        self.host = host
        self.config = config
        self.log = log

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self, **kw):
        return self.proc.stop(**kw)


def start_server(cluster, host, certs=None, insecure=False, log_file=None, extra=None,
                 args=(), wait=True, env=None, config=None):
    """Start `daos_server start -o <config>` in `host` with the host's port
    and socket_dir; wait for the listening line unless wait=False.
    `config` (a path) replaces the generated config file."""
    h = cluster.host(host)
    if config is None:
        config = server_config(os.path.join(h.dir, "daos_server.yml"), h.port, h.socket_dir,
                               certs=certs, insecure=insecure, log_file=log_file,
                               extra=extra)
    proc = cluster.start(h, [BINARIES["daos_server"], "start", "-o", config, *args], env=env)
    srv = Server(proc, h, config, log_file or proc.log)
    if wait:
        wait_listening(srv)
    return srv


def wait_listening(srv, timeout=30):
    """Wait for the listening line in the control log (raises with the log
    when the server exits first)."""
    import re
    import time
    deadline = time.monotonic() + timeout
    while True:
        text = srv.read_log() if os.path.exists(srv.log) else ""
        if re.search(LISTENING, text):
            return
        if srv.proc.poll() is not None:
            raise AssertionError(f"daos_server exited with {srv.proc.poll()} before "
                                 f"listening; log:\n{text}\n{srv.proc.read_log()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"daos_server did not listen within {timeout} s:\n{text}")
        time.sleep(0.02)


def rpc_call(cluster, host, method, targets, certs=None, insecure=False, role="admin",
             args=(), timeout=60):
    """Run `rpc_tool call METHOD TARGET...` from `host` (cluster.run; None
    for this process's namespace).  Targets are host names of the cluster
    (their port is added) or "addr:port" strings.  Returns the
    CompletedProcess; stdout has one "HOST:PORT ok ..." or "... error ..."
    line per target."""
    eps = []
    for t in targets:
        if ":" in t:
            eps.append(t)
        else:
            h = cluster.host(t)
            eps.append(f"{h.address if h.netns is None else h.name}:{h.port}")
    argv = [RPC_TOOL, "call"]
    if insecure:
        argv += ["--insecure", "--component", role]
    elif certs is not None:
        argv += certs.client_args(role)
    argv += [*args, method, *eps]
    if cluster is None or host is None:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    return cluster.run(host, argv, timeout=timeout)


def file_mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)
