"""`make venv`: a .venv made by another Python is made again instead of breaking every target."""

import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Stands in for python3.13: passes the version check, and `-m venv DIR` makes a .venv whose
# python is itself (and records that it did), so the test needs no real interpreter.
GOOD_PYTHON = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
    mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo made >> "$3/made-by-3.13"
fi
exit 0
"""
# An interpreter of another version: the version check exits with 1, as 3.11 would.
OLD_PYTHON = "#!/bin/sh\nexit 1\n"


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    return tmp_path


def make_venv(project: Path, python: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", "venv", f"PYTHON={python}"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_venv_of_another_python_is_made_again(project):
    python = script(project / "fake" / "python3.13", GOOD_PYTHON)
    old = script(project / ".venv" / "bin" / "python", OLD_PYTHON)
    (project / ".venv" / "old-package").write_text("built for 3.11")
    assert old.exists()

    result = make_venv(project, python)

    assert result.returncode == 0, result.stderr
    assert ".venv is not Python 3.13: making it again" in result.stdout
    assert not (project / ".venv" / "old-package").exists()
    assert (project / ".venv" / "made-by-3.13").read_text() == "made\n"

    # A .venv of the right Python is kept as it is.
    again = make_venv(project, python)
    assert again.returncode == 0, again.stderr
    assert "making it again" not in again.stdout
    assert (project / ".venv" / "made-by-3.13").read_text() == "made\n"


def test_a_venv_whose_python_is_gone_is_made_again(project):
    python = script(project / "fake" / "python3.13", GOOD_PYTHON)
    (project / ".venv" / "bin").mkdir(parents=True)
    (project / ".venv" / "bin" / "python").symlink_to(project / "removed" / "python3.12")

    result = make_venv(project, python)

    assert result.returncode == 0, result.stderr
    assert (project / ".venv" / "made-by-3.13").exists()


def test_without_python_3_13_make_says_so_and_stops(project):
    old = script(project / "fake" / "python3.11", OLD_PYTHON)

    result = make_venv(project, old)

    assert result.returncode != 0
    assert "Python 3.13 is required" in result.stderr
    assert not (project / ".venv").exists()
