"""Control RPC over real sockets through tests/tools/rpc_tool: mutual TLS,
wrong CA on either side, roles, allow_insecure mismatches in both
directions, version mismatch, refused and silent peers, and the load-time
checks of keys and certificates (missing, permissions, key mismatch, other
CA, expired, not yet valid, server identity).  Certificates come from
utils/certs/gen_certificates.sh; variants are made with openssl here."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess

import pytest

from conftest import BUILD, TOP
import daos_helpers
from daos_helpers import rpc_call

TOOL = os.path.join(BUILD, "tests", "tools", "rpc_tool")
SCRIPT = os.path.join(TOP, "utils", "certs", "gen_certificates.sh")


def gen_ca(d):
    r = subprocess.run([SCRIPT, str(d)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    ca = d / "daosCA"
    return ca


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    base = tmp_path_factory.mktemp("pki")
    (base / "one").mkdir()
    (base / "two").mkdir()
    return {"one": gen_ca(base / "one"), "two": gen_ca(base / "two"), "base": base}


def sign(pki, name, cn, ext, start=None, end=None):
    """A certificate signed by CA one with the given CN and extensions."""
    ca = pki["one"]
    d = pki["base"] / "extra"
    d.mkdir(exist_ok=True)
    if not (d / "serial.txt").exists():
        (d / "index.txt").touch()
        (d / "serial.txt").write_text("1000\n")
    cnf = d / f"{name}.cnf"
    cnf.write_text(f"""[ ca ]
default_ca = c
[ c ]
database = {d}/index.txt
serial = {d}/serial.txt
new_certs_dir = {d}
default_md = sha512
default_days = 30
policy = p
unique_subject = no
[ p ]
organizationName = supplied
commonName = supplied
[ e ]
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = {ext}
""")
    key, csr, crt = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt"
    run("openssl", "genrsa", "-out", key, "2048")
    os.chmod(key, 0o400)
    run("openssl", "req", "-new", "-key", key, "-subj", f"/O=DAOS/CN={cn}", "-out", csr)
    args = ["openssl", "ca", "-batch", "-config", cnf, "-extensions", "e",
            "-keyfile", ca / "private/daosCA.key", "-cert", ca / "certs/daosCA.crt",
            "-in", csr, "-out", crt, "-notext"]
    if start:
        args += ["-startdate", start]
    if end:
        args += ["-enddate", end]
    run(*args)
    os.chmod(crt, 0o644)
    return crt, key


def run(*args):
    r = subprocess.run([str(a) for a in args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r


def tls_args(ca, role, ca_from=None):
    certs = ca / "certs"
    cafile = (ca_from or ca) / "certs" / "daosCA.crt"
    args = ["--ca", str(cafile), "--cert", str(certs / f"{role}.crt"),
            "--key", str(certs / f"{role}.key")]
    if role == "server":
        args += ["--client-cert-dir", str(certs / "clients")]
    return args


class Server:
    def __init__(self, args, env=None):
        full = dict(os.environ)
        full.update(env or {})
        self.proc = subprocess.Popen([TOOL, "server", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=full)
        line = self.proc.stdout.readline()
        if not line.startswith("listening on port "):
            self.proc.wait(timeout=10)
            raise AssertionError("server did not start: " + line + self.proc.stderr.read())
        self.port = int(line.split()[-1])

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, err
        assert "INFO stopped" in err
        return err


def call(args, method, *targets, timeout=30):
    r = subprocess.run([TOOL, "call", *args, method, *targets], capture_output=True,
                       text=True, timeout=timeout)
    return r


@pytest.fixture
def daemon(local_cluster, pki):
    """A real `daos_server start` in listening mode with CA one's certificates."""
    c = local_cluster(1)
    srv = daos_helpers.start_server(c, "local-0",
                                    certs=daos_helpers.Certs(str(pki["one"].parent)))
    yield srv
    srv.stop()


@pytest.fixture
def secure_server(pki):
    s = Server(tls_args(pki["one"], "server"))
    yield s
    s.stop()


def test_mutual_tls_ok(pki, secure_server):
    t = f"localhost:{secure_server.port}"
    r = call(tls_args(pki["one"], "admin"), "GetVersion", t, f"127.0.0.1:{secure_server.port}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.count(" ok DAOS Control Server version ") == 2
    r = call(tls_args(pki["one"], "admin") + ["--repeat", "5"], "NetworkScan", t)
    assert r.returncode == 0 and " ok " in r.stdout, r.stdout + r.stderr
    r = call(tls_args(pki["one"], "admin"), "StorageScan", t)
    assert r.returncode == 0 and " ok " in r.stdout, r.stdout + r.stderr
    # servers and agents may call GetVersion too
    r = call(tls_args(pki["one"], "agent"), "GetVersion", t)
    assert r.returncode == 0, r.stdout


def test_scans_use_server_fixture(pki):
    env = {"DAOS_HW_ROOT": os.path.join(TOP, "tests/fixtures/hosts/wolf")}
    s = Server(tls_args(pki["one"], "server"), env=env)
    try:
        r = call(tls_args(pki["one"], "admin"), "StorageScan", f"localhost:{s.port}")
        assert r.returncode == 0, r.stdout
        assert "controllers" in r.stdout and " 0 controllers" not in r.stdout
        r = call(tls_args(pki["one"], "admin") + ["--provider", "nosuch"], "NetworkScan",
                 f"localhost:{s.port}")
        assert r.returncode == 1 and "error" in r.stdout
    finally:
        s.stop()


def test_wrong_ca_client_side(pki, secure_server):
    # the client trusts CA two: it rejects the server's chain
    r = call(tls_args(pki["two"], "admin"), "GetVersion", f"localhost:{secure_server.port}")
    assert r.returncode == 1
    assert "error TLS handshake failed: peer certificate rejected: " in r.stdout, r.stdout
    assert "(the certificate is not signed by the CA in ca_cert: both ends need certificates " \
           "and ca_cert from the same daosCA)" in r.stdout, r.stdout


def test_wrong_ca_server_side(pki, secure_server, tmp_path):
    # the client's certificate comes from CA two; the client trusts both CAs,
    # the server only CA one: the server rejects the client
    bundle = tmp_path / "bundle.crt"
    bundle.write_bytes((pki["one"] / "certs/daosCA.crt").read_bytes() +
                       (pki["two"] / "certs/daosCA.crt").read_bytes())
    args = tls_args(pki["two"], "admin")
    args[args.index("--ca") + 1] = str(bundle)
    r = call(args, "GetVersion", f"localhost:{secure_server.port}")
    assert r.returncode == 1
    assert "error TLS handshake failed: " in r.stdout, r.stdout
    err = secure_server.stop()
    assert "TLS handshake with 127.0.0.1" in err or "TLS handshake with ::1" in err, err
    assert "peer certificate rejected" in err, err
    secure_server.stop = lambda: None


def test_wrong_role(pki, secure_server):
    r = call(tls_args(pki["one"], "agent"), "StorageFormat", f"localhost:{secure_server.port}")
    assert r.returncode == 1
    assert r.stdout.strip().endswith(
        "error permission denied: agent does not have permission to call StorageFormat")
    err = secure_server.stop()
    assert "agent does not have permission to call StorageFormat" in err
    secure_server.stop = lambda: None
    # a server certificate is not an admin either
    s = Server(tls_args(pki["one"], "server"))
    r = call(tls_args(pki["one"], "server"), "StorageScan", f"localhost:{s.port}")
    s.stop()
    assert "permission denied: server does not have permission to call StorageScan" in r.stdout


def test_insecure_client_secure_server(pki, secure_server):
    # the refusal comes at once, not after the client's deadline (the 10 s bound)
    r = call(["--insecure"], "GetVersion", f"localhost:{secure_server.port}", timeout=10)
    assert r.returncode == 1
    assert "error TLS handshake failed: server requires TLS but this client has " \
           "allow_insecure: true" in r.stdout, r.stdout
    err = secure_server.stop()
    assert "rejected a plaintext connection from" in err
    assert "the client has allow_insecure: true but this server requires TLS" in err
    secure_server.stop = lambda: None


def test_secure_client_insecure_server(pki):
    s = Server(["--insecure"])
    r = call(tls_args(pki["one"], "admin"), "GetVersion", f"localhost:{s.port}", timeout=10)
    err = s.stop()
    assert r.returncode == 1
    assert "error TLS handshake failed: the server does not use TLS (it has allow_insecure: " \
           "true); set allow_insecure: true in this client's config too" in r.stdout, r.stdout
    assert "WARN allow_insecure: true" in err  # the start-up warning
    assert "rejected a TLS connection from" in err
    assert "this server has allow_insecure: true" in err


def test_both_insecure(pki):
    s = Server(["--insecure"])
    try:
        r = call(["--insecure"], "GetVersion", f"localhost:{s.port}")
        assert r.returncode == 0 and " ok " in r.stdout, r.stdout
        # without certificates the role is what the client claims: still checked
        r = call(["--insecure", "--component", "agent"], "StorageScan", f"localhost:{s.port}")
        assert "permission denied: agent does not have permission to call StorageScan" \
            in r.stdout
    finally:
        s.stop()


def test_version_mismatch(pki, secure_server):
    t = f"localhost:{secure_server.port}"
    r = call(tls_args(pki["one"], "admin") + ["--claim-version", "2.4.0"], "GetVersion", t)
    assert r.returncode == 1
    assert "error version mismatch: admin 2.4.0 is incompatible with server " in r.stdout
    # patch level differences are fine
    r = call(tls_args(pki["one"], "admin"), "GetVersion", t)
    major, minor, _ = r.stdout.split(" version ")[1].split()[0].split(".", 2)
    r = call(tls_args(pki["one"], "admin") + ["--claim-version", f"{major}.{minor}.999"],
             "GetVersion", t)
    assert r.returncode == 0, r.stdout
    # the client checks the server's version too
    s = Server(tls_args(pki["one"], "server") + ["--claim-version", "2.2.0"])
    r = call(tls_args(pki["one"], "admin"), "GetVersion", f"localhost:{s.port}")
    s.stop()
    assert "version mismatch: " in r.stdout and "2.2.0" in r.stdout


def test_refused_and_unreachable(pki):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        r = call(tls_args(pki["one"], "admin"), "GetVersion", f"127.0.0.1:{port}")
        assert r.stdout.strip() == f"127.0.0.1:{port} error connection refused"
        # listening but never answering: the deadline holds
        sock.listen(4)
        r = call(tls_args(pki["one"], "admin") + ["--timeout-ms", "500"], "GetVersion",
                 f"127.0.0.1:{port}", timeout=10)
        assert r.stdout.strip() == f"127.0.0.1:{port} error timed out"
    # no name server in the test session (conftest): the lookup fails here
    r = call(tls_args(pki["one"], "admin"), "GetVersion", "no-such-host.invalid:10001")
    assert r.stdout.strip().startswith("no-such-host.invalid:10001 error no such host"), r.stdout


def test_fanout_mixed(pki, secure_server):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = sock.getsockname()[1]
        targets = [f"localhost:{secure_server.port}"] * 10 + [f"127.0.0.1:{dead}"] * 3
        r = call(tls_args(pki["one"], "admin") + ["--concurrency", "4"], "GetVersion",
                 *targets)
    assert r.returncode == 1
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 13
    assert sum(" ok " in line for line in lines) == 10
    assert sum(line.endswith("error connection refused") for line in lines) == 3


def test_silent_client_dropped(pki):
    s = Server(tls_args(pki["one"], "server") + ["--handshake-ms", "300"])
    try:
        with socket.create_connection(("127.0.0.1", s.port)) as c:
            c.settimeout(30)
            assert c.recv(16) == b""  # the server hung up after its handshake timeout
    finally:
        err = s.stop()
    assert "timed out after 300 ms" in err


def test_silent_client_dropped_by_daos_server(daemon):
    """A client that connects and never starts its handshake is dropped by
    daos_server after 5 s, and the log says so."""
    with socket.create_connection(("127.0.0.1", daemon.host.port)) as c:
        c.settimeout(30)
        port = c.getsockname()[1]
        assert c.recv(16) == b""
    daemon.proc.wait_for_log(rf"WARN .* TLS handshake with 127\.0\.0\.1:{port} timed out "
                             r"after 5000 ms")


def test_port_taken(pki, secure_server):
    r = subprocess.run([TOOL, "server", "--insecure", "--port", str(secure_server.port)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert f"port {secure_server.port} is already in use (EADDRINUSE)" in r.stderr


# ---------------------------------------------------------------------------
# Load-time checks.

def start_fails(args):
    r = subprocess.run([TOOL, "server", *args], capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    return r.stderr.strip()


def client_fails(args):
    r = subprocess.run([TOOL, "call", *args, "GetVersion", "localhost:1"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    return r.stderr.strip()


def test_missing_file(pki, tmp_path):
    args = tls_args(pki["one"], "server")
    args[args.index("--key") + 1] = str(tmp_path / "nope.key")
    assert start_fails(args) == \
        f"rpc_tool: certificates are enabled, but {tmp_path}/nope.key was not found"


@pytest.mark.parametrize("what,m,suggested", [
    ("key", 0o644, "0400"), ("key", 0o440, "0400"), ("cert", 0o666, "0664"),
    ("dir", 0o755, "0750"),
])
def test_insecure_permissions(pki, tmp_path, what, m, suggested):
    certs = tmp_path / "certs"
    shutil.copytree(pki["one"] / "certs", certs)
    os.chmod(certs / "clients", 0o750)
    target = {"key": certs / "server.key", "cert": certs / "server.crt",
              "dir": certs / "clients"}[what]
    os.chmod(target, m)
    args = ["--ca", str(certs / "daosCA.crt"), "--cert", str(certs / "server.crt"),
            "--key", str(certs / "server.key"), "--client-cert-dir", str(certs / "clients")]
    assert start_fails(args) == \
        f"rpc_tool: {target} has insecure permissions {m:04o} (suggested: {suggested})"


def test_admin_key_group_readable(pki, tmp_path):
    certs = tmp_path / "certs"
    shutil.copytree(pki["one"] / "certs", certs)
    os.chmod(certs / "admin.key", 0o440)
    args = ["--ca", str(certs / "daosCA.crt"), "--cert", str(certs / "admin.crt"),
            "--key", str(certs / "admin.key")]
    assert "suggested: 0400" in client_fails(args)
    r = call(args + ["--admin-key"], "GetVersion", "127.0.0.1:1")
    assert r.stdout.strip() == "127.0.0.1:1 error connection refused"
    os.chmod(certs / "admin.key", 0o640)
    assert "has insecure permissions 0640 (suggested: 0440)" in client_fails(
        args + ["--admin-key"])


def test_key_mismatch(pki):
    args = tls_args(pki["one"], "server")
    args[args.index("--key") + 1] = str(pki["one"] / "certs/agent.key")
    msg = start_fails(args)
    assert "does not match the certificate" in msg and "agent.key" in msg, msg


def test_not_signed_by_ca(pki):
    args = tls_args(pki["two"], "server", ca_from=pki["one"])
    msg = start_fails(args)
    crt = pki["two"] / "certs/server.crt"
    assert msg == f'rpc_tool: certificate at path "{crt}" is invalid: ' \
                  "unable to get local issuer certificate (the certificate is not signed by " \
                  "the CA in ca_cert: both ends need certificates and ca_cert from the same " \
                  "daosCA)", msg


def test_expired_and_not_yet_valid(pki):
    ca = pki["one"] / "certs/daosCA.crt"
    crt, key = sign(pki, "old", "admin", "clientAuth", "20200101000000Z", "20210101000000Z")
    msg = client_fails(["--ca", str(ca), "--cert", str(crt), "--key", str(key)])
    assert msg == f'rpc_tool: certificate at path "{crt}" is invalid: certificate has expired'
    crt, key = sign(pki, "future", "admin", "clientAuth", "20991231000000Z", "21000101000000Z")
    msg = client_fails(["--ca", str(ca), "--cert", str(crt), "--key", str(key)])
    assert msg == f'rpc_tool: certificate at path "{crt}" is invalid: ' \
                  "certificate is not yet valid"


def test_server_identity(pki):
    ca = pki["one"] / "certs/daosCA.crt"
    crt, key = sign(pki, "imposter", "imposter", "serverAuth,clientAuth")
    s = Server(["--ca", str(ca), "--cert", str(crt), "--key", str(key)])
    try:
        r = call(tls_args(pki["one"], "admin"), "GetVersion", f"localhost:{s.port}")
        assert r.stdout.strip().endswith(
            "error TLS handshake failed: Server certificate does not identify as Server")
    finally:
        s.stop()
    # an admin certificate (no serverAuth) cannot serve
    s = Server(tls_args(pki["one"], "admin"))
    try:
        r = call(tls_args(pki["one"], "admin"), "GetVersion", f"localhost:{s.port}")
        assert "error TLS handshake failed: peer certificate rejected: unsuitable " \
               "certificate purpose (the server's certificate lacks the serverAuth extended " \
               "key usage: use the server.crt made by gen_certificates.sh)" in r.stdout, r.stdout
    finally:
        s.stop()


# ---------------------------------------------------------------------------
# Protocol policy, checked with openssl s_client against our server.

def s_client(pki, port, *extra):
    c = pki["one"] / "certs"
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                        "-CAfile", str(c / "daosCA.crt"), "-cert", str(c / "admin.crt"),
                        "-key", str(c / "admin.key"), "-brief", *extra],
                       input="", capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_tls_policy(pki, daemon):
    port = daemon.host.port
    rc, out = s_client(pki, port)
    assert rc == 0 and "Protocol version: TLSv1.3" in out, out
    assert "Ciphersuite: TLS_AES_256_GCM_SHA384" in out, out
    rc, out = s_client(pki, port, "-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256")
    assert rc == 0 and "Ciphersuite: TLS_AES_128_GCM_SHA256" in out, out
    rc, out = s_client(pki, port, "-tls1_3", "-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256")
    assert rc != 0, out
    rc, out = s_client(pki, port, "-tls1_2")
    assert rc == 0 and "Protocol version: TLSv1.2" in out, out
    assert "Ciphersuite: ECDHE-RSA-AES256-GCM-SHA384" in out, out
    rc, out = s_client(pki, port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
    assert rc == 0 and "Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256" in out, out
    # RSA key exchange (upstream's TLS_RSA_WITH_AES_256_GCM_SHA384), CBC, ChaCha: refused
    for cipher in ("AES256-GCM-SHA384", "ECDHE-RSA-AES256-SHA384",
                   "ECDHE-RSA-CHACHA20-POLY1305"):
        rc, out = s_client(pki, port, "-tls1_2", "-cipher", cipher)
        assert rc != 0, (cipher, out)
    rc, out = s_client(pki, port, "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert rc != 0, out


def test_client_certificate_required(pki, secure_server):
    c = pki["one"] / "certs"
    # -ign_eof: keep reading after stdin ends, so that s_client sees the
    # server's TLS 1.3 alert (sent after the client's Finished) instead of
    # racing it, and returns only once the server has closed the connection.
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{secure_server.port}",
                        "-CAfile", str(c / "daosCA.crt"), "-brief", "-ign_eof"],
                       input="x", capture_output=True, text=True, timeout=30)
    err = secure_server.stop()
    secure_server.stop = lambda: None
    assert "failed: peer did not return a certificate" in err, err
    assert "alert certificate required" in r.stdout + r.stderr


# ---------------------------------------------------------------------------
# Roles against a real daos_server (management service up, no engines): the
# role is the certificate's, whatever the request envelope claims, and each
# certificate reaches exactly the methods of its role.

def _ms(local_cluster, tmp_path):
    """A daos_server with its MS up (engine 0 "formatted") and no members."""
    from test_system import MS, format_engine0
    ms = MS(local_cluster, tmp_path)
    ms.start()
    format_engine0(ms.base)
    return ms


def _as(ms, role, method, *args, claim=None):
    """rpc_tool call with `role`'s certificate; `claim` puts another component
    in the request envelope (--claim-component)."""
    if claim is not None:
        args = ("--claim-component", claim, *args)
    return rpc_call(None, None, method, [ms.ep], certs=ms.certs, role=role, args=args)


def _sets(**fields):
    return [a for k, v in fields.items() for a in ("--set", f"{k}={v}")]


def _members(ms):
    r = ms.dmg("-j", "system", "query")
    assert r.returncode == 0, r.stdout + r.stderr
    return [(m["rank"], m["state"]) for m in json.loads(r.stdout)["response"]["members"] or []]


def test_claimed_component_must_match_certificate(local_cluster, tmp_path):
    """The agent certificate claiming admin, server or an unknown component is
    refused with the certificate's role named, and the method does not run."""
    from test_system import UUIDS
    ms = _ms(local_cluster, tmp_path)
    join = _sets(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.2:31416",
                 addr="127.0.0.2:10001", inc=11)

    def refused(r, cert, method, claim):
        assert r.returncode == 1, r.stdout + r.stderr
        assert r.stdout == (f"{ms.ep} error permission denied: {cert} does not have "
                            f"permission to call {method} (request claims component "
                            f"\"{claim}\")\n"), r.stdout + r.stderr

    # the tool's own envelope, claiming what the certificate says, is served
    r = _as(ms, "agent", "GetVersion", claim="agent")
    assert r.returncode == 0 and " ok DAOS Control Server version " in r.stdout, \
        r.stdout + r.stderr
    # claiming server: Join is a server's method; nobody joins
    refused(_as(ms, "agent", "Join", *join, claim="server"), "agent", "Join", "server")
    refused(_as(ms, "admin", "Join", *join, claim="server"), "admin", "Join", "server")
    assert _members(ms) == []
    # a real server's join: rank 0 was still free
    r = _as(ms, "server", "Join", *join)
    assert r.returncode == 0 and "ok rank 0 state 0" in r.stdout, r.stdout + r.stderr
    # claiming admin: SystemStop is an administrator's method; nothing stops
    refused(_as(ms, "agent", "SystemStop", claim="admin"), "agent", "SystemStop", "admin")
    # an unknown component, even for a method agents may call
    refused(_as(ms, "agent", "GetVersion", claim="nobody"), "agent", "GetVersion", "nobody")
    refused(_as(ms, "agent", "SystemStop", claim="nobody"), "agent", "SystemStop", "nobody")
    assert _members(ms) == [(0, "joined")]
    log = ms.srv.read_log()
    assert "system stop" not in log, log[-3000:]
    assert log.count(" joined (") == 1, log[-3000:]
    # each forged claim is logged with the peer, as every other refusal is
    assert re.search(r"WARN .* refused SystemStop from 127\.0\.0\.1:\d+: agent does not have "
                     r"permission to call SystemStop \(request claims component \"admin\"\)",
                     log), log[-3000:]
    assert log.count("(request claims component ") == 5, log[-3000:]
    assert ms.srv.stop() == 0


def test_roles_against_daos_server(local_cluster, tmp_path):
    """Each certificate against daos_server: the methods of its role are
    served, the others refused with the role and method named (and logged),
    and a refused method has no effect."""
    from test_system import UUIDS
    ms = _ms(local_cluster, tmp_path)
    join = _sets(uuid=UUIDS[0], rank=0, uri="ofi+tcp://127.0.0.2:31416",
                 addr="127.0.0.2:10001", inc=11)
    died = _sets(type="died", rank=0, inc=11, host="h2", msg="killed by a test")

    def refused(role, method, *args):
        r = _as(ms, role, method, *args)
        assert r.returncode == 1, (role, method, r.stdout + r.stderr)
        assert r.stdout == (f"{ms.ep} error permission denied: {role} does not have "
                            f"permission to call {method}\n"), (role, method, r.stdout)

    def served(role, method, *args):
        r = _as(ms, role, method, *args)
        assert r.returncode == 0 and r.stdout.startswith(f"{ms.ep} ok "), \
            (role, method, r.stdout + r.stderr)
        return r.stdout

    # admin: not a server's method
    for method in ("Join", "ClusterEvent", "PingRanks", "StopRanks"):
        refused("admin", method)
    # server: not an administrator's method
    for method in ("SystemStop", "SystemStart", "SystemErase", "SystemQuery", "StorageScan",
                   "StorageFormat", "NetworkScan"):
        refused("server", method)
    # agent: neither
    refused("agent", "Join", *join)
    assert _members(ms) == []
    for method in ("SystemStop", "SystemStart", "SystemErase", "SystemQuery", "LeaderQuery",
                   "StorageScan", "StorageFormat", "NetworkScan", "PingRanks", "StopRanks",
                   "ResetFormatRanks"):
        refused("agent", method)
    # allowed: a server joins, pings ranks
    assert "ok rank 0 state 0" in served("server", "Join", *join)
    out = served("server", "PingRanks", "--set", "ranks=7")
    assert "rank=7 action=ping errored=1 " in out and "rank 7 not found on this host" in out
    # an agent's ClusterEvent for a live rank changes nothing
    refused("agent", "ClusterEvent", *died)
    assert _members(ms) == [(0, "joined")]
    # everyone may ask the version; the administrator may query
    for role in ("admin", "agent", "server"):
        assert " ok DAOS Control Server version " in served(role, "GetVersion")
    served("admin", "SystemQuery")
    served("admin", "LeaderQuery")
    # the server's own ClusterEvent is served
    served("server", "ClusterEvent", *died)
    assert _members(ms) == [(0, "errored")]
    log = ms.srv.read_log()
    assert "system stop" not in log and "system start" not in log and \
        "system erase" not in log, log[-3000:]
    assert re.search(r"refused SystemStop from 127\.0\.0\.1:\d+: agent does not have "
                     r"permission to call SystemStop", log), log[-3000:]
    assert ms.srv.stop() == 0
