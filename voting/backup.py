"""Consistent copies of the database while the app keeps serving.

SQLite: the online backup API copies a snapshot page by page, writers carry on meanwhile.
PostgreSQL: pg_dump (custom format), which reads one consistent snapshot too.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy.engine import URL


class BackupError(Exception):
    """The copy could not be made; str(error) says why."""


def _private_temporary(target: Path) -> Path:
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(fd)
    os.chmod(name, 0o600)  # attendee data: owner only, like the database itself
    return Path(name)


def backup_database(url: URL, target: Path) -> str:
    """Write a copy of the database at *url* to *target*; say what was written."""
    target = target.resolve()
    if not target.parent.is_dir():
        raise BackupError(f"no folder {target.parent}")
    if url.get_backend_name() == "sqlite":
        return _backup_sqlite(Path(url.database or ""), target)
    if url.get_backend_name() == "postgresql":
        return _backup_postgres(url, target)
    raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")


def _backup_sqlite(source: Path, target: Path) -> str:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    temporary = _private_temporary(target)
    try:
        origin = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        copy = sqlite3.connect(temporary)
        try:
            origin.backup(copy)
            ok = copy.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            copy.close()
            origin.close()
        if ok != "ok":
            raise BackupError(f"the copy failed its integrity check: {ok}")
        os.replace(temporary, target)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy the database: {exc}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return "a SQLite database"


def _backup_postgres(url: URL, target: Path) -> str:
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise BackupError(
            "pg_dump is not installed; run it yourself: pg_dump --format=custom --file FILE DBNAME"
        )
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    temporary = _private_temporary(target)
    try:
        result = subprocess.run(  # noqa: S603 (pg_dump from PATH, our own database URL)
            [pg_dump, "--format=custom", "--no-owner", f"--file={temporary}", plain],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1:]}")
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return "a pg_dump archive (restore it with pg_restore)"
