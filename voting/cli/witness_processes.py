"""Witnesses run as the jurors run them: processes of the one-file verifier
(`python verify.py witness serve`), for `voting demo --witnesses N` and the tests.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from voting import verify
from voting.domain.trust import WitnessDefinition

VERIFIER = Path(verify.__file__)


class WitnessProcess:
    """One witness: its key in *folder* (made once), its state beside it, served on *port*."""

    def __init__(self, name: str, folder: Path, port: int) -> None:
        self.name, self.folder, self.port = name, folder, port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen | None = None
        folder.mkdir(parents=True, exist_ok=True)
        if not self.key_file.exists():
            verify.witness_keygen(name, str(folder))
        self.vkey = self.vkey_file.read_text(encoding="utf-8").strip()

    @property
    def key_file(self) -> Path:
        return self.folder / f"{self.name}.key"

    @property
    def vkey_file(self) -> Path:
        return self.folder / f"{self.name}.vkey"

    @property
    def definition(self) -> WitnessDefinition:
        return WitnessDefinition(name=self.name, url=self.url, key=self.vkey)

    def start(self, *log_vkeys: str, timeout: float = 15.0) -> None:
        """Serve the logs with these keys, and wait until the witness answers."""
        command = [
            sys.executable,
            str(VERIFIER),
            "witness",
            "serve",
            "--key",
            str(self.key_file),
            "--state",
            str(self.folder / "state"),
            "--listen",
            f"127.0.0.1:{self.port}",
        ]
        for vkey in log_vkeys:
            command += ["--log", vkey]
        with (self.folder / "witness.log").open("ab") as log:  # the child keeps its own copy
            # The command is this Python running the verifier file, with our own arguments.
            self.process = subprocess.Popen(  # noqa: S603
                command, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"witness {self.name} exited; see {self.folder}/witness.log")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):  # noqa: S310  # nosec B310
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"witness {self.name} did not start within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
        self.process = None
