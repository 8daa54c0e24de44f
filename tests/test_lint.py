"""Static checks: ruff clean, and no medium or high bandit finding left unexplained.

An accepted finding carries a `# nosec BXXX` comment with the reason on the line above.
"""

from __future__ import annotations

import json
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


def test_bandit_finds_nothing_medium_or_high():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bandit",
            "-q",
            "-r",
            "voting",
            "wsgi.py",
            "gunicorn.conf.py",
            "-ll",
            "-f",
            "json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    findings = json.loads(result.stdout)["results"]
    assert findings == [], [(f["test_id"], f["filename"], f["line_number"]) for f in findings]
