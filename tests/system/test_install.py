"""`meson install` (what `make install` runs) puts the binaries and the
configuration templates under DESTDIR + prefix and nothing elsewhere."""
import json
import os
import subprocess

from conftest import BUILD


def test_install_destdir(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["meson", "install", "-C", BUILD, "--no-rebuild", "--quiet",
                        "--destdir", str(dest)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")) as f:
        prefix = next(o["value"] for o in json.load(f) if o["name"] == "prefix")
    root = str(dest) + prefix
    for rel in ("bin/daos_server", "bin/dmg", "bin/daos_agent"):
        path = os.path.join(root, rel)
        assert os.access(path, os.X_OK), path
    for rel in ("share/daos/config/daos_server.yml",
                "share/daos/config/examples/daos_server_local.yml"):
        assert os.path.isfile(os.path.join(root, rel)), rel
    # nothing outside DESTDIR+prefix
    for dirpath, _, files in os.walk(dest):
        for name in files:
            assert os.path.join(dirpath, name).startswith(root), (dirpath, name)
    r = subprocess.run([os.path.join(root, "bin/daos_server"), "version"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "DAOS Control Server version" in r.stdout
