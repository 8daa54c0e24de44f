"""The code base stays clean under ruff (configured in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from tests.server import ROOT


def test_ruff_check_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
