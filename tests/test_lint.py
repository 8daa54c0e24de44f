"""Static checks: ruff clean, no medium or high bandit finding left unexplained, and a README
that renders.

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


def test_the_readme_code_fences_are_whole():
    """A fence with text after it, or one left open, swallows the sections that follow."""
    fences = [
        (number, line)
        for number, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1)
        if "```" in line
    ]
    for number, line in fences:
        assert line.startswith("```"), f"README line {number}: text before a fence"
    opening = fences[0::2]
    closing = fences[1::2]
    assert len(opening) == len(closing), "a code fence is left open"
    for number, line in closing:
        assert line == "```", f"README line {number}: text after a closing fence"
    for number, line in opening:
        assert line == "```" or line[3:].isidentifier(), f"README line {number}: {line!r}"
