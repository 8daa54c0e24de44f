"""The juror's way: the board, the key and one file, on a machine with only `cryptography`."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.helpers import vote_with_client
from tests.staff import staff_client
from voting import verify

PICK = {"cluster-manager": "jan-kowalski", "strategic-partnership": "iberian-textiles"}


@pytest.fixture(scope="session")
def juror_python(tmp_path_factory) -> Path:
    """A fresh virtual environment holding only cryptography (and what it needs)."""
    env = tmp_path_factory.mktemp("juror") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "cryptography",
        ],
        check=True,
        capture_output=True,
    )
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = {line.split("==")[0].lower() for line in installed.splitlines()}
    assert "flask" not in names and "sqlalchemy" not in names, names
    return python


@pytest.fixture
def juror_files(app, client, runner, elections, tmp_path) -> Path:
    """What a juror takes home: the board, the key, a checkpoint saved during voting, and
    after the close the openings of the sealed result, downloaded with a jury account."""
    election = elections.create(attendees=3)
    vote_with_client(client, election.tokens[0], PICK)
    folder = tmp_path / "laptop"
    folder.mkdir()
    (folder / "checkpoint.txt").write_text(client.get("/board/checkpoint").get_data(as_text=True))
    vote_with_client(app.test_client(), election.tokens[1], PICK)
    elections.close(election.slug)
    (folder / "key.txt").write_text(client.get("/board/key").get_data(as_text=True))
    (folder / "board.jsonl").write_bytes(client.get("/board.jsonl").get_data())
    assert client.get("/jury/openings.jsonl").status_code in (302, 303, 401, 403)
    jury = staff_client(app, runner, "jury")
    openings = jury.get("/jury/openings.jsonl")
    assert openings.status_code == 200 and openings.headers["Cache-Control"] == "no-store"
    (folder / "openings.jsonl").write_bytes(openings.get_data())
    shutil.copyfile(verify.__file__, folder / "verify.py")
    return folder


def run(python: Path, folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-I", "verify.py", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def test_one_file_verifier_in_a_bare_environment(juror_python, juror_files):
    result = run(
        juror_python,
        juror_files,
        "board.jsonl",
        "--key",
        "key.txt",
        "--checkpoint",
        "checkpoint.txt",
    )
    assert result.returncode == 0, result.stderr
    assert "OK: the board verifies" in result.stdout
    assert "(pinned)" in result.stdout and "the board extends it" in result.stdout
    # The public board keeps the result sealed; the jury's openings open it.
    assert "result: sealed until the reveal ends" in result.stdout
    assert "winner" not in result.stdout
    result = run(
        juror_python, juror_files, "board.jsonl", "--key", "key.txt", "--openings", "openings.jsonl"
    )
    assert result.returncode == 0, result.stderr
    assert "it is the tally sealed at close" in result.stdout
    assert "cluster-manager: winner jan-kowalski" in result.stdout
    # Openings that say another choice do not open the ballot's seal.
    openings = juror_files / "openings.jsonl"
    openings.write_text(openings.read_text().replace("jan-kowalski", "jane-doe", 1))
    result = run(juror_python, juror_files, "board.jsonl", "--openings", "openings.jsonl")
    assert result.returncode == 1 and "do not match the seal" in result.stderr
    board = (juror_files / "board.jsonl").read_bytes().splitlines(keepends=True)
    (juror_files / "board.jsonl").write_bytes(b"".join(board[:5] + board[6:]))
    result = run(juror_python, juror_files, "board.jsonl", "--key", "key.txt")
    assert result.returncode == 1
    assert result.stderr.startswith("FAILED: ")


def test_command_line_verify_is_the_same_verifier(runner, juror_files, tmp_path):
    board, key, saved = (
        str(juror_files / name) for name in ("board.jsonl", "key.txt", "checkpoint.txt")
    )
    result = runner.invoke(args=["board", "verify", board, "--key", key, "--checkpoint", saved])
    assert result.exit_code == 0, result.output
    fingerprint_line = next(
        line
        for line in result.output.splitlines()
        if line.startswith("fingerprint of the sealed result:")
    )
    assert "fingerprint" in fingerprint_line
    other = tmp_path / "other.pub"
    other.write_text(
        verify.VerifierKey.from_private(
            "vote.example.org/ecc2016", Ed25519PrivateKey.generate()
        ).vkey
    )
    result = runner.invoke(args=["board", "verify", board, "--key", str(other)])
    assert result.exit_code == 1 and "another key" in result.output


def test_python_dash_m_runs_the_verifier(juror_files):
    result = subprocess.run(
        [sys.executable, "-m", "voting.verify", str(juror_files / "board.jsonl")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "taken from the board; pin it with --key" in result.stdout
