"""tests/run_all.py reports what really ran: skipped tests are counted as
skipped (not passed), and a step that ran no test at all is a failure."""
import json
import os
import sys

from conftest import TOP

sys.path.insert(0, os.path.join(TOP, "tests"))
import run_all  # noqa: E402


def _meson_log(builddir, results):
    d = os.path.join(builddir, "meson-logs")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "testlog.json"), "w") as f:
        for r in results:
            f.write(json.dumps({"name": r.lower(), "result": r}) + "\n")


def test_meson_counts(tmp_path):
    b = str(tmp_path / "b")
    _meson_log(b, ["OK", "OK", "SKIP", "FAIL", "TIMEOUT", "EXPECTEDFAIL"])
    assert run_all.meson_counts(b) == (3, 2, 1)
    _meson_log(b, [])
    assert run_all.meson_counts(b) == (0, 1, 0)
    assert run_all.meson_counts(str(tmp_path / "none")) == (0, 1, 0)


def _junit(path, tests, failures=0, errors=0, skipped=0):
    with open(path, "w") as f:
        f.write(f'<?xml version="1.0"?><testsuites><testsuite name="pytest" tests="{tests}" '
                f'failures="{failures}" errors="{errors}" skipped="{skipped}"/></testsuites>')
    return str(path)


def test_junit_counts(tmp_path):
    x = tmp_path / "r.xml"
    assert run_all.junit_counts(_junit(x, 10, failures=1, errors=1, skipped=3)) == (5, 2, 3)
    assert run_all.junit_counts(_junit(x, 4, skipped=4)) == (0, 0, 4)
    assert run_all.junit_counts(_junit(x, 0)) == (0, 1, 0)  # nothing collected
    x.write_text("<testsuites")
    assert run_all.junit_counts(str(x)) == (0, 1, 0)
    assert run_all.junit_counts(str(tmp_path / "missing.xml")) == (0, 1, 0)
