"""Multi-host test clusters for the system tests.

Two kinds of cluster with one API (see tests/system/README.md):

NetnsCluster  one Linux network namespace per host, all on a private bridge
              that reaches nothing outside the machine (no uplink, no NAT, no
              default route, addresses from SUBNET only, no address on the
              bridge itself).  Every process started in a host runs with that
              host's hostname (own UTS namespace), its own /run (bind mount,
              so /var/run/daos_server is per host) and an /etc/hosts naming
              every host of the cluster.  Needs root.
LocalCluster  cheap "hosts" on 127.0.0.1, each with its own free port, socket
              directory and storage directory; no isolation, no root needed.

Everything a cluster creates carries PREFIX and a per-run id.  Each run holds
an flock on LOCK_DIR/<run id>.lock for its lifetime, so the next setup can
tell leftovers of a crashed run (lock free) from those of a run still going
(lock held) and removes only the former.

This module does not start any DAOS binary itself and does not route or NAT
anything; the root network namespace never gets an address on the bridge,
so tests reach the hosts only by running commands inside them.
"""
import atexit
import errno
import fcntl
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

# The one private /24 the namespaces use.  Setup fails if anything on the
# machine (root namespace or a namespace not created by this harness) has an
# address or route overlapping it.
SUBNET = ipaddress.ip_network("10.71.213.0/24")
# Host i (0-based, in the order given) gets SUBNET[FIRST_HOST_OCTET + i].
FIRST_HOST_OCTET = 11
MAX_HOSTS = 254 - FIRST_HOST_OCTET + 1

# Every namespace, link and lock file of the harness starts with this prefix.
# Interface names are limited to 15 characters: "dnt" + 6-hex run id + 1 kind
# letter + up to 3-digit index = 13.
PREFIX = "dnt"
NETNS_DIR = "/run/netns"
ETC_NETNS = "/etc/netns"
LOCK_DIR = "/run/daos-netns-test"

DEFAULT_PORT = 10001
# Deadline for things that should happen at once; only reached when broken.
WAIT_TIMEOUT = 30


class ClusterError(Exception):
    """Setup or use of a test cluster failed; the message says why."""


def _sh(argv, check=True, timeout=WAIT_TIMEOUT, **kw):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed (exit {r.returncode}): "
                           f"{r.stderr.strip() or r.stdout.strip()}")
    return r


def _batch(cmds, netns=None):
    """Run ip commands (one per line, without the leading `ip`) in one
    process; stops at and reports the first failing line."""
    argv = ["ip"] + (["-n", netns] if netns else []) + ["-batch", "-"]
    r = subprocess.run(argv, input="\n".join(cmds) + "\n", capture_output=True,
                       text=True, timeout=WAIT_TIMEOUT)
    if r.returncode != 0:
        raise ClusterError(f"`{' '.join(argv)}` failed: {r.stderr.strip()}")


def _ip_json(*args, netns=None):
    argv = ["ip", "-j"] + (["-n", netns] if netns else []) + list(args)
    out = _sh(argv).stdout.strip()
    return json.loads(out) if out else []


def netns_support():
    """Return (True, "") when network-namespace clusters can run here, else
    (False, reason)."""
    if os.geteuid() != 0:
        return False, "network-namespace cluster needs root (euid is %d)" % os.geteuid()
    for tool in ("ip", "unshare", "nsenter", "mount"):
        if shutil.which(tool) is None:
            return False, f"`{tool}` not found (install iproute2/util-linux)"
    if not os.path.exists("/proc/self/ns/net") or not os.path.exists("/proc/self/ns/uts"):
        return False, "kernel without network/UTS namespace support"
    # Named after our pid, so no live process uses these names; a dead one
    # that had our pid may have left them, hence the deletes first.
    probe = "%sp%x" % (PREFIX, os.getpid())
    _sh(["ip", "netns", "del", probe], check=False)
    _sh(["ip", "link", "del", probe], check=False)
    try:
        r = _sh(["ip", "netns", "add", probe], check=False)
        if r.returncode != 0:
            return False, f"cannot create a network namespace: {r.stderr.strip()}"
        for kind in (["bridge"], ["veth", "peer", "name", probe + "q"]):
            r = _sh(["ip", "link", "add", probe, "type"] + kind, check=False)
            if r.returncode != 0:
                return False, f"cannot create a {kind[0]} link: {r.stderr.strip()}"
            _sh(["ip", "link", "del", probe], check=False)
    finally:
        _sh(["ip", "netns", "del", probe], check=False)
    return True, ""


# ---------------------------------------------------------------------------
# Processes


class Proc:
    """A process started in a test host; stdout and stderr go to `log`."""

    def __init__(self, host, argv, popen, log):
        self.host = host
        self.argv = list(argv)
        self.popen = popen
        self.log = log

    @property
    def pid(self):
        return self.popen.pid

    def poll(self):
        return self.popen.poll()

    @property
    def running(self):
        return self.popen.poll() is None

    def send_signal(self, sig):
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)

    def wait(self, timeout=WAIT_TIMEOUT):
        """Wait for exit and return the exit status (negative: signal)."""
        return self.popen.wait(timeout=timeout)

    def stop(self, sig=signal.SIGTERM, timeout=WAIT_TIMEOUT):
        """Send `sig`, wait for exit; SIGKILL the whole process group if it
        does not exit within `timeout`.  Returns the exit status."""
        if self.popen.poll() is None:
            self.send_signal(sig)
            try:
                return self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()
        return self.popen.returncode

    def kill(self):
        """SIGKILL the process and everything in its process group."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()
        return self.popen.returncode

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def wait_for_log(self, pattern, timeout=WAIT_TIMEOUT):
        """Wait until the log matches regex `pattern`; return the match.
        Raises ClusterError with the log when the process exits first or the
        deadline passes (a deadline only reached when something is broken)."""
        rx = re.compile(pattern, re.M)
        deadline = time.monotonic() + timeout
        while True:
            text = self.read_log()
            m = rx.search(text)
            if m:
                return m
            if self.popen.poll() is not None:
                raise ClusterError(f"{self.argv[0]} on {self.host.name} exited with "
                                   f"{self.popen.returncode} before logging /{pattern}/; "
                                   f"log {self.log}:\n{text[-4000:]}")
            if time.monotonic() > deadline:
                raise ClusterError(f"{self.argv[0]} on {self.host.name} did not log "
                                   f"/{pattern}/ within {timeout} s; log {self.log}:\n"
                                   f"{text[-4000:]}")
            time.sleep(0.02)


class Host:
    """One test host.  Paths are as seen by processes running in the host."""

    def __init__(self, name, address, port, workdir, fixture=None):
        self.name = name
        self.address = address
        self.port = port
        self.dir = workdir
        self.fixture = fixture
        self.storage_dir = os.path.join(workdir, "storage")
        self.log_dir = os.path.join(workdir, "log")
        self.socket_dir = None          # set by the cluster kind
        self.netns = None

    @property
    def endpoint(self):
        """host:port as dmg's --host-list takes it."""
        return f"{self.name}:{self.port}"

    def __repr__(self):
        return f"Host({self.name}, {self.address}:{self.port})"


class _Cluster:
    """What both cluster kinds share: hosts, workdir, process bookkeeping."""

    def __init__(self, workdir):
        self._own_workdir = workdir is None
        self.workdir = workdir or tempfile.mkdtemp(prefix="daos-cluster-")
        os.makedirs(self.workdir, exist_ok=True)
        self.hosts = {}
        self.procs = []
        self._torn_down = False
        self._log_seq = 0
        atexit.register(self.teardown)

    def host(self, host):
        """Host object for a name (or the Host itself)."""
        if isinstance(host, Host):
            return host
        try:
            return self.hosts[host]
        except KeyError:
            raise ClusterError(f"no host {host!r} in this cluster "
                               f"(hosts: {', '.join(self.hosts)})") from None

    @property
    def names(self):
        return list(self.hosts)

    def address(self, host):
        return self.host(host).address

    def port(self, host):
        return self.host(host).port

    def hostlist(self):
        """Comma-separated host:port of every host, for dmg -l."""
        return ",".join(h.endpoint for h in self.hosts.values())

    def _env(self, h, env):
        full = dict(os.environ)
        # A host without a fixture scans the real machine, whatever the
        # environment of the test runner says.
        full.pop("DAOS_HW_ROOT", None)
        if h.fixture is not None:
            full["DAOS_HW_ROOT"] = h.fixture
        if env:
            full.update(env)
        return full

    def _wrap(self, h, argv):
        raise NotImplementedError

    def start(self, host, argv, env=None, log=None):
        """Start argv in `host` in the background; stdout+stderr to `log`
        (default: <host dir>/log/<program>.<n>.log).  Returns a Proc."""
        if self._torn_down:
            raise ClusterError("cluster already torn down")
        h = self.host(host)
        if log is None:
            self._log_seq += 1
            log = os.path.join(h.log_dir,
                               f"{os.path.basename(argv[0])}.{self._log_seq}.log")
        with open(log, "ab") as out:
            popen = subprocess.Popen(self._wrap(h, argv), stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     env=self._env(h, env), start_new_session=True)
        p = Proc(h, argv, popen, log)
        self.procs.append(p)
        return p

    def run(self, host, argv, env=None, timeout=60, input=None, check=False):
        """Run argv in `host` to completion; return the CompletedProcess
        (text mode, stdout and stderr captured)."""
        h = self.host(host)
        return subprocess.run(self._wrap(h, argv), capture_output=True, text=True,
                              env=self._env(h, env), timeout=timeout, input=input,
                              check=check)

    def stop_all(self, timeout=WAIT_TIMEOUT):
        """SIGTERM every running process, SIGKILL what does not exit."""
        for p in self.procs:
            if p.running:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            p.stop(timeout=timeout)

    def _teardown_kind(self):
        pass

    def teardown(self):
        """Stop every process and remove everything the cluster created.
        Safe to call more than once."""
        if self._torn_down:
            return
        self._torn_down = True
        atexit.unregister(self.teardown)
        try:
            for p in self.procs:
                if p.running:
                    p.kill()
            self._teardown_kind()
        finally:
            if self._own_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.teardown()


# ---------------------------------------------------------------------------
# Loopback cluster


def port_free(port):
    """True if nothing is bound to `port` on 127.0.0.1 or the wildcard."""
    for addr in ("127.0.0.1", "0.0.0.0"):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((addr, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


def free_ports(n, low=20000, high=None, exclude=()):
    """n distinct free TCP ports below the ephemeral range (so the kernel
    does not hand them out for outgoing connections meanwhile), starting
    at a random offset so parallel runs rarely probe the same ports."""
    if high is None:
        try:
            with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
                high = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            high = 32768
    span = high - low
    start = random.randrange(span)
    ports = []
    for i in range(span):
        port = low + (start + i) % span
        if port not in exclude and port_free(port):
            ports.append(port)
            if len(ports) == n:
                return ports
    raise ClusterError(f"only {len(ports)} of {n} free TCP ports in {low}-{high - 1}")


class LocalCluster(_Cluster):
    """n loopback hosts local-0 .. local-<n-1> on 127.0.0.1, each with its
    own free port and its own socket, storage and log directories."""

    def __init__(self, n, workdir=None, fixtures=None, names=None):
        super().__init__(workdir)
        names = names or [f"local-{i}" for i in range(n)]
        if len(names) != n:
            raise ClusterError(f"{len(names)} names for {n} hosts")
        fixtures = fixtures or {}
        for name, port in zip(names, free_ports(n)):
            h = Host(name, "127.0.0.1", port, os.path.join(self.workdir, name),
                     fixtures.get(name))
            h.socket_dir = os.path.join(h.dir, "run", "daos_server")
            h.agent_socket_dir = os.path.join(h.dir, "run", "daos_agent")
            for d in (h.storage_dir, h.log_dir, h.socket_dir, h.agent_socket_dir):
                os.makedirs(d, exist_ok=True)
            self.hosts[name] = h

    def hostlist(self):
        return ",".join(f"{h.address}:{h.port}" for h in self.hosts.values())

    def _wrap(self, h, argv):
        return list(argv)


# ---------------------------------------------------------------------------
# Network-namespace cluster

# Each host has one mount namespace for its whole life, kept by a bind mount
# of /proc/<pid>/ns/mnt on MNT_DIR/<netns> (a private mount, so the bind
# does not propagate anywhere).  Like a real host's mount table it outlives
# the processes in it: a tmpfs that daos_server mounts as SCM is still there
# after daos_server exits and restarts.  It is made once, as `ip netns exec`
# would make one per command: sysfs of the host's network namespace, the
# /etc/netns/<netns>/* files bound over /etc, and the host's own /run.
MNT_DIR = os.path.join(LOCK_DIR, "mnt")
_HOST_MNT_SETUP = (
    'umount -l /sys && mount -t sysfs sysfs /sys && '
    'for f in /etc/netns/"$0"/*; do mount --bind "$f" /etc/"${f##*/}" || exit 1; done && '
    'mount --bind "$1" /run')
# Run in the host's namespaces with a fresh UTS namespace: set the hostname,
# then exec the command so the Popen pid is the command's pid.
_HOST_SHELL = 'hostname "$0" && exec "$@"'


def _is_mountpoint(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


def _private_mnt_dir():
    """MNT_DIR as a private bind mount of itself: bind mounts of namespace
    files on it must not propagate into other mount namespaces (they would
    pin the namespaces there)."""
    os.makedirs(MNT_DIR, exist_ok=True)
    if not _is_mountpoint(MNT_DIR):
        _sh(["mount", "--bind", MNT_DIR, MNT_DIR])
    _sh(["mount", "--make-private", MNT_DIR])


def _lock_is_free(path):
    """True when no live process holds the run lock at `path`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError as e:
        if e.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    finally:
        os.close(fd)


_RUN_RX = re.compile(r"^" + PREFIX + r"([0-9a-f]{6})")


def _kill_netns_pids(namespaces):
    """SIGKILL every process in the named namespaces (what `ip netns pids`
    finds, in one pass over /proc for all of them)."""
    ids = set()
    for ns in namespaces:
        try:
            st = os.stat(os.path.join(NETNS_DIR, ns))
            ids.add((st.st_dev, st.st_ino))
        except OSError:
            pass
    if not ids:
        return
    killed = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            st = os.stat(f"/proc/{pid}/ns/net")
            if (st.st_dev, st.st_ino) in ids:
                os.kill(int(pid), signal.SIGKILL)
                killed.append(pid)
        except (OSError, ProcessLookupError):
            pass
    # SIGKILL takes effect asynchronously; wait until each is dead (gone or
    # a zombie) so that callers can rely on it.
    deadline = time.monotonic() + WAIT_TIMEOUT
    for pid in killed:
        while time.monotonic() < deadline:
            try:
                with open(f"/proc/{pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] in "ZX":
                        break
            except OSError:
                break
            time.sleep(0.005)


def remove_run(run_id):
    """Remove every namespace, link, /etc/netns dir and lock of one run."""
    tag = PREFIX + run_id
    namespaces = []
    if os.path.isdir(NETNS_DIR):
        namespaces = [ns for ns in os.listdir(NETNS_DIR) if ns.startswith(tag)]
    _kill_netns_pids(namespaces)
    # Links first: deleting a veth end removes its peer at once, while a
    # deleted namespace takes its links down asynchronously.
    # -force: go on past a line that fails (something already gone).
    cmds = [f"link del {link['ifname']}" for link in _ip_json("link", "show")
            if link.get("ifname", "").startswith(tag)]
    cmds += [f"netns del {ns}" for ns in namespaces]
    if cmds:
        _sh(["ip", "-force", "-batch", "-"], check=False, input="\n".join(cmds) + "\n")
    if os.path.isdir(ETC_NETNS):
        for d in os.listdir(ETC_NETNS):
            if d.startswith(tag):
                shutil.rmtree(os.path.join(ETC_NETNS, d), ignore_errors=True)
        try:
            os.rmdir(ETC_NETNS)
        except OSError:
            pass
    if os.path.isdir(MNT_DIR):
        for f in os.listdir(MNT_DIR):
            if f.startswith(tag):
                _sh(["umount", "-l", os.path.join(MNT_DIR, f)], check=False)
                try:
                    os.unlink(os.path.join(MNT_DIR, f))
                except FileNotFoundError:
                    pass
    try:
        os.unlink(os.path.join(LOCK_DIR, run_id + ".lock"))
    except FileNotFoundError:
        pass


def remove_stale():
    """Remove what crashed runs left behind: everything carrying PREFIX whose
    run lock is free.  Returns the run ids removed."""
    runs = set()
    if os.path.isdir(NETNS_DIR):
        runs.update(m.group(1) for m in map(_RUN_RX.match, os.listdir(NETNS_DIR)) if m)
    runs.update(m.group(1) for m in
                (_RUN_RX.match(link.get("ifname", "")) for link in _ip_json("link", "show"))
                if m)
    if os.path.isdir(ETC_NETNS):
        runs.update(m.group(1) for m in map(_RUN_RX.match, os.listdir(ETC_NETNS)) if m)
    if os.path.isdir(MNT_DIR):
        runs.update(m.group(1) for m in map(_RUN_RX.match, os.listdir(MNT_DIR)) if m)
    if os.path.isdir(LOCK_DIR):
        runs.update(f[:-5] for f in os.listdir(LOCK_DIR)
                    if f.endswith(".lock") and re.fullmatch(r"[0-9a-f]{6}", f[:-5]))
    stale = sorted(r for r in runs if _lock_is_free(os.path.join(LOCK_DIR, r + ".lock")))
    for r in stale:
        remove_run(r)
    return stale


def subnet_users(subnet=None):
    """Where `subnet` (default SUBNET) is already in use: addresses and
    routes overlapping it in the root namespace and in namespaces not created
    by this harness."""
    subnet = subnet or SUBNET
    found = []
    namespaces = [None]
    if os.path.isdir(NETNS_DIR):
        namespaces += sorted(n for n in os.listdir(NETNS_DIR) if not n.startswith(PREFIX))
    for ns in namespaces:
        where = f"netns {ns}" if ns else "root namespace"
        try:
            addrs = _ip_json("-4", "addr", "show", netns=ns)
            routes = _ip_json("-4", "route", "show", "table", "all", netns=ns)
        except ClusterError as e:
            found.append(f"{where}: cannot inspect ({e})")
            continue
        for link in addrs:
            for a in link.get("addr_info", []):
                net = ipaddress.ip_network(f"{a['local']}/{a['prefixlen']}", strict=False)
                if net.overlaps(subnet):
                    found.append(f"{where}: address {a['local']}/{a['prefixlen']} "
                                 f"on {link['ifname']}")
        for rt in routes:
            dst = rt.get("dst", "")
            if dst in ("default", ""):
                dst = "0.0.0.0/0"
            try:
                net = ipaddress.ip_network(dst if "/" in dst else dst + "/32", strict=False)
            except ValueError:
                continue
            # A default route does not claim the subnet; only specific ones do.
            if net.prefixlen > 0 and net.overlaps(subnet):
                found.append(f"{where}: route {rt.get('dst')} dev {rt.get('dev', '?')}"
                             f" table {rt.get('table', 'main')}")
    return found


class NetnsCluster(_Cluster):
    """One network namespace per host name on a private bridge.

    names:    host names in order; host i gets address SUBNET[11 + i]
    fixtures: {name: hardware fixture dir} exported as DAOS_HW_ROOT
    workdir:  where per-host directories go (default: a temp dir removed
              at teardown)
    """

    def __init__(self, names, fixtures=None, workdir=None, port=DEFAULT_PORT):
        names = list(names)
        if not names:
            raise ClusterError("NetnsCluster needs at least one host name")
        if len(set(names)) != len(names):
            raise ClusterError(f"duplicate host names in {names}")
        if len(names) > MAX_HOSTS:
            raise ClusterError(f"{len(names)} hosts do not fit {SUBNET} "
                               f"(at most {MAX_HOSTS})")
        bad = [n for n in names
               if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?", n)]
        if bad:
            raise ClusterError(f"not valid host names: {bad}")
        fixtures = fixtures or {}
        unknown = set(fixtures) - set(names)
        if unknown:
            raise ClusterError(f"fixtures given for unknown hosts {sorted(unknown)}")
        ok, why = netns_support()
        if not ok:
            raise ClusterError(why)
        super().__init__(workdir)
        self._lock_fd = None
        self.run_id = None
        try:
            self._setup(names, fixtures, port)
        except BaseException:
            self.teardown()
            raise

    def _take_run_lock(self):
        # The lock file appears under its final name already locked, so a
        # concurrent remove_stale() never sees it free while we live.
        os.makedirs(LOCK_DIR, exist_ok=True)
        for _ in range(100):
            run_id = "%06x" % random.randrange(1 << 24)
            final = os.path.join(LOCK_DIR, run_id + ".lock")
            if os.path.exists(final):
                continue
            fd, tmp = tempfile.mkstemp(dir=LOCK_DIR, prefix=".tmp")
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.set_inheritable(fd, False)
            os.write(fd, f"{os.getpid()}\n".encode())
            try:
                os.link(tmp, final)
            except FileExistsError:
                os.close(fd)
                continue
            finally:
                os.unlink(tmp)
            self._lock_fd = fd
            self.run_id = run_id
            return
        raise ClusterError(f"cannot allocate a run id in {LOCK_DIR}")

    def _setup(self, names, fixtures, port):
        self.stale_removed = remove_stale()
        users = subnet_users(SUBNET)
        if users:
            raise ClusterError(
                f"test subnet {SUBNET} is already in use on this machine: "
                + "; ".join(users)
                + f". Free it or change SUBNET in {__file__}.")
        self._take_run_lock()
        tag = PREFIX + self.run_id
        self.bridge = tag + "b"
        self.prefixlen = SUBNET.prefixlen
        # No IPv6 link-local either: the root namespace must not be
        # reachable over the bridge by any protocol.
        _sh(["ip", "link", "add", self.bridge, "type", "bridge"])
        _sh(["ip", "link", "set", self.bridge, "addrgenmode", "none"])
        _sh(["ip", "link", "set", self.bridge, "up"])
        hosts_lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        for i, name in enumerate(names):
            addr = str(SUBNET[FIRST_HOST_OCTET + i])
            hosts_lines.append(f"{addr}\t{name}")
        hosts_text = "\n".join(hosts_lines) + "\n"
        root_cmds = []
        for i, name in enumerate(names):
            addr = str(SUBNET[FIRST_HOST_OCTET + i])
            ns = f"{tag}-{name}"
            h = Host(name, addr, port, os.path.join(self.workdir, name), fixtures.get(name))
            h.netns = ns
            h.run_dir = os.path.join(h.dir, "run")
            # The host's own /run is mounted over /run in its processes.
            h.socket_dir = "/var/run/daos_server"
            h.agent_socket_dir = "/var/run/daos_agent"
            for d in (h.storage_dir, h.log_dir, os.path.join(h.run_dir, "daos_server"),
                      os.path.join(h.run_dir, "daos_agent"), os.path.join(h.run_dir, "lock")):
                os.makedirs(d, exist_ok=True)
            self.hosts[name] = h
            self._etc(ns, hosts_text)
            # The veth's inner end is created in the namespace as eth0.
            root_cmds += [f"netns add {ns}",
                          f"link add {tag}v{i} type veth peer name eth0 netns {ns}",
                          f"link set {tag}v{i} addrgenmode none",
                          f"link set {tag}v{i} master {self.bridge}",
                          f"link set {tag}v{i} up"]
        # One `ip -batch` for the root namespace and one per host namespace:
        # a process per command would make large clusters slow to build.
        _batch(root_cmds)
        for h in self.hosts.values():
            _batch([f"addr add {h.address}/{self.prefixlen} dev eth0",
                    "link set eth0 up", "link set lo up"], netns=h.netns)
        _private_mnt_dir()
        for h in self.hosts.values():
            h.mnt_ns = os.path.join(MNT_DIR, h.netns)
            open(h.mnt_ns, "w").close()
            _sh(["unshare", f"--mount={h.mnt_ns}", "--propagation=slave", "--",
                 "nsenter", f"--net={NETNS_DIR}/{h.netns}", "--",
                 "sh", "-c", _HOST_MNT_SETUP, h.netns, h.run_dir])

    def _etc(self, ns, hosts_text):
        """/etc/netns/<ns>: `ip netns exec` bind-mounts each file over /etc.
        hosts lists the cluster; nsswitch.conf resolves host names from files
        only and resolv.conf names no server, so a name outside the cluster
        fails at once instead of trying DNS servers that cannot be reached."""
        d = os.path.join(ETC_NETNS, ns)
        os.makedirs(d)
        with open(os.path.join(d, "hosts"), "w") as f:
            f.write(hosts_text)
        if os.path.exists("/etc/hostname"):
            with open(os.path.join(d, "hostname"), "w") as f:
                f.write(ns.split("-", 1)[1] + "\n")
        if os.path.exists("/etc/nsswitch.conf"):
            with open("/etc/nsswitch.conf") as f:
                lines = [ln for ln in f.read().splitlines()
                         if not re.match(r"\s*hosts\s*:", ln)]
            with open(os.path.join(d, "nsswitch.conf"), "w") as f:
                f.write("\n".join(lines + ["hosts: files"]) + "\n")
        if os.path.exists("/etc/resolv.conf"):
            with open(os.path.join(d, "resolv.conf"), "w") as f:
                f.write("# no name servers inside the test cluster\n")

    def _wrap(self, h, argv):
        return ["nsenter", f"--mount={h.mnt_ns}", f"--net={NETNS_DIR}/{h.netns}", "--",
                "unshare", "--uts", "--", "sh", "-c", _HOST_SHELL, h.name] + list(argv)

    def _teardown_kind(self):
        if self.run_id is None:
            return
        try:
            remove_run(self.run_id)
        finally:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def leftovers(self):
        """What of this run still exists (empty after teardown)."""
        return run_leftovers(self.run_id)


def run_leftovers(run_id):
    """Namespaces, links, /etc/netns dirs and lock files of one run."""
    tag = PREFIX + run_id
    left = []
    if os.path.isdir(NETNS_DIR):
        left += [f"netns {n}" for n in os.listdir(NETNS_DIR) if n.startswith(tag)]
    left += [f"link {link['ifname']}" for link in _ip_json("link", "show")
             if link.get("ifname", "").startswith(tag)]
    if os.path.isdir(ETC_NETNS):
        left += [f"{ETC_NETNS}/{d}" for d in os.listdir(ETC_NETNS) if d.startswith(tag)]
    if os.path.isdir(MNT_DIR):
        left += [f"{MNT_DIR}/{f}" for f in os.listdir(MNT_DIR) if f.startswith(tag)]
    if os.path.exists(os.path.join(LOCK_DIR, run_id + ".lock")):
        left.append(f"lock {run_id}")
    return left
