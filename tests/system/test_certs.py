"""utils/certs/gen_certificates.sh: layout, modes, subjects, extensions, key
sizes, digests and lifetimes of the CA and the server/agent/admin
certificates, verification against the CA, cleanup of temporary files and
refusal to overwrite an existing CA."""
import datetime
import os
import re
import stat
import subprocess

import pytest

from conftest import TOP

SCRIPT = os.path.join(TOP, "utils", "certs", "gen_certificates.sh")


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def certdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    r = subprocess.run([SCRIPT, str(d)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return d / "daosCA"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_layout_and_modes(certdir):
    expect = {
        ".": 0o700,
        "private": 0o700,
        "private/daosCA.key": 0o400,
        "certs": 0o755,
        "certs/daosCA.crt": 0o644,
        "certs/clients": 0o750,  # passes the server's load check as generated
        "certs/clients/agent.crt": 0o644,
        "certs/clients/admin.crt": 0o644,
    }
    for role in ("server", "agent", "admin"):
        expect[f"certs/{role}.key"] = 0o400
        expect[f"certs/{role}.crt"] = 0o644
    for rel, m in expect.items():
        assert mode(certdir / rel) == m, (rel, oct(mode(certdir / rel)))
    # temporary files are gone: CSRs, request configs, ca.cnf, openssl's numbered copies
    left = sorted(os.listdir(certdir))
    assert not [f for f in left if f.endswith((".csr", ".cnf", ".old"))], left
    assert not [f for f in os.listdir(certdir / "certs") if f.endswith(".pem")]
    assert sorted(os.listdir(certdir / "certs")) == sorted(
        ["admin.crt", "admin.key", "agent.crt", "agent.key", "server.crt", "server.key",
         "daosCA.crt", "clients"])
    assert (certdir / "certs/clients/agent.crt").read_bytes() == \
        (certdir / "certs/agent.crt").read_bytes()


def test_ca(certdir):
    crt = str(certdir / "certs/daosCA.crt")
    out = openssl("x509", "-in", crt, "-noout", "-subject", "-issuer", "-dates", "-text")
    assert "subject=O = DAOS, CN = DAOS CA" in out
    assert "issuer=O = DAOS, CN = DAOS CA" in out
    assert "Signature Algorithm: sha512WithRSAEncryption" in out
    assert "Public-Key: (3072 bit)" in out
    assert re.search(r"Basic Constraints: critical\s+CA:TRUE, pathlen:1", out)
    assert re.search(r"Key Usage: critical\s+Digital Signature, Non Repudiation, "
                     r"Key Encipherment, Certificate Sign", out)
    check_days(crt, 1095)
    key = openssl("rsa", "-in", str(certdir / "private/daosCA.key"), "-noout", "-text")
    assert "Private-Key: (3072 bit" in key


def check_days(crt, days):
    out = openssl("x509", "-in", crt, "-noout", "-startdate", "-enddate")
    fmt = "%b %d %H:%M:%S %Y GMT"
    vals = dict(line.split("=", 1) for line in out.strip().splitlines())
    start = datetime.datetime.strptime(re.sub(" +", " ", vals["notBefore"]), fmt)
    end = datetime.datetime.strptime(re.sub(" +", " ", vals["notAfter"]), fmt)
    assert (end - start).days == days


@pytest.mark.parametrize("role,eku", [
    ("server", "TLS Web Server Authentication, TLS Web Client Authentication"),
    ("agent", "TLS Web Client Authentication"),
    ("admin", "TLS Web Client Authentication"),
])
def test_leaf(certdir, role, eku):
    ca = str(certdir / "certs/daosCA.crt")
    crt = str(certdir / f"certs/{role}.crt")
    assert openssl("verify", "-CAfile", ca, crt).strip() == f"{crt}: OK"
    out = openssl("x509", "-in", crt, "-noout", "-subject", "-issuer",
                  "-ext", "keyUsage,extendedKeyUsage,basicConstraints", "-text")
    assert f"subject=O = DAOS, CN = {role}" in out
    assert "issuer=O = DAOS, CN = DAOS CA" in out
    assert "OU" not in out.split("subject=")[1].splitlines()[0]
    assert re.search(r"Key Usage: critical\s+Digital Signature, Key Encipherment\n", out)
    assert re.search(r"Extended Key Usage: \s*\n\s+" + re.escape(eku) + r"\n", out)
    assert "CA:TRUE" not in out
    assert "Signature Algorithm: sha512WithRSAEncryption" in out
    assert "Public-Key: (3072 bit)" in out
    check_days(crt, 1095)
    # the key belongs to the certificate
    k = openssl("pkey", "-in", str(certdir / f"certs/{role}.key"), "-pubout")
    c = openssl("x509", "-in", crt, "-noout", "-pubkey")
    assert k == c
    # purposes as TLS uses them
    purpose = "sslserver" if role == "server" else "sslclient"
    assert openssl("verify", "-purpose", purpose, "-CAfile", ca, crt).strip().endswith("OK")
    if role != "server":
        r = subprocess.run(["openssl", "verify", "-purpose", "sslserver", "-CAfile", ca, crt],
                           capture_output=True, text=True)
        assert r.returncode != 0


def test_refuses_existing_ca(certdir):
    before = (certdir / "certs/daosCA.crt").read_bytes()
    r = subprocess.run([SCRIPT, str(certdir.parent)], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == f"{certdir} already exists, exiting."
    assert (certdir / "certs/daosCA.crt").read_bytes() == before


def test_default_dir_and_usage(tmp_path):
    r = subprocess.run([SCRIPT, "a", "b"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([SCRIPT], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "daosCA/certs/admin.crt").is_file()


def test_installed(tmp_path):
    from conftest import BUILD
    dest = tmp_path / "root"
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", str(dest)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    found = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs
             if f == "gen_certificates.sh"]
    assert len(found) == 1 and found[0].endswith("/share/daos/certgen/gen_certificates.sh")
    assert mode(found[0]) == 0o755
    r = subprocess.run([found[0], str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
