"""A streaming replica of the test PostgreSQL server, made with pg_basebackup into a
temporary cluster on another port, as the README's several-servers section makes one."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.server import free_port

BIN = (
    Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    if glob.glob("/usr/lib/postgresql/*/bin")
    else Path("/usr/bin")
)


def _as_postgres(command: list[str]) -> list[str]:
    """The server refuses to run as root: run its tools as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Replica:
    """pg_basebackup -R of the primary at 127.0.0.1:5432, started hot-standby on a free port."""

    def __init__(self, primary_port: int = 5432) -> None:
        self.port = free_port()
        # Outside pytest's private temporary folder: the postgres user must reach it.
        self.data = Path(tempfile.mkdtemp(prefix="voting-replica-"))
        os.chmod(self.data, 0o700)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        backup = [str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary_port)]
        backup += ["-U", "postgres", "-D", str(self.data), "-R", "-X", "stream", "-c", "fast"]
        made = subprocess.run(_as_postgres(backup), capture_output=True, text=True, check=False)
        if made.returncode != 0:
            raise RuntimeError(
                "pg_basebackup failed (the primary's pg_hba.conf needs a line "
                f"'host replication all 127.0.0.1/32 trust', as .ci/run adds): {made.stderr}"
            )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        (self.data / "postgresql.conf").write_text("")  # Debian keeps the primary's in /etc
        if os.geteuid() == 0:
            for path in (self.data / "pg_hba.conf", self.data / "postgresql.conf"):
                shutil.chown(path, "postgres", "postgres")
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c hot_standby=on"
        start = [str(BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-w", "start"]
        start += ["-l", str(self.data / "server.log")]
        started = subprocess.run(_as_postgres(start), capture_output=True, text=True, check=False)
        if started.returncode != 0:
            raise RuntimeError(f"the replica did not start: {started.stdout}{started.stderr}")

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, database: str, statement: str):  # type: ignore[no-untyped-def]
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname={database}", autocommit=True
        ) as connection:
            return connection.execute(statement).fetchall()

    def wait_for(self, database: str, query: str, timeout: float = 20.0) -> None:
        """Until *query* returns a row on the replica (it has replayed that far)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.execute(database, query):
                    return
            except psycopg.Error:  # the database itself has not arrived yet
                pass
            time.sleep(0.1)
        raise AssertionError(f"the replica did not catch up: {query}")

    def stop(self) -> None:
        stop = [str(BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"]
        subprocess.run(_as_postgres(stop), capture_output=True, check=False)
        shutil.rmtree(self.data, ignore_errors=True)
