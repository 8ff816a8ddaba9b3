"""Shared fixtures for the system tests: where the built binaries are."""
import os
import subprocess

import pytest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DAOS_BUILD_DIR", os.path.join(TOP, "build"))

BINARIES = {
    "daos_server": os.path.join(BUILD, "src", "control", "server", "daos_server"),
    "dmg": os.path.join(BUILD, "src", "control", "dmg", "dmg"),
    "daos_agent": os.path.join(BUILD, "src", "agent", "daos_agent"),
}


def run_bin(name, *args, env=None, check=False, timeout=60, input=None):
    """Run one of our binaries and return the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([BINARIES[name], *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, check=check, input=input)


@pytest.fixture(scope="session")
def top():
    return TOP


@pytest.fixture(scope="session")
def build_dir():
    return BUILD
