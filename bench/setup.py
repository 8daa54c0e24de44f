"""Throwaway instances and databases for benchmarks, built with the app's own operations."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

from voting import context, create_app
from voting.db import get_session, make_engine, migrate
from voting.domain.definition import parse_definition
from voting.domain.roster import parse_roster
from voting.instance import KeyStore, write_default_config
from voting.operations.attendees import import_roster
from voting.operations.elections import find_election, load_election, open_election
from voting.operations.tokens import personal_links

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "voting" / "examples" / "ecc2016.toml"
PG_ADMIN = os.environ.get("VOTING_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
DATABASES = ("sqlite", "postgresql")


@dataclass
class Instance:
    path: Path
    database_url: str
    kind: str

    def app(self):
        return create_app({"INSTANCE_PATH": str(self.path), "DATABASE_URL": self.database_url})

    def env(self) -> dict[str, str]:
        return dict(os.environ, VOTING_INSTANCE=str(self.path), DATABASE_URL=self.database_url)


@contextlib.contextmanager
def instance(kind: str) -> Iterator[Instance]:
    """A fresh instance folder with keys, and a migrated database of *kind*."""
    folder = Path(tempfile.mkdtemp(prefix="voting-bench-"))
    path = folder / "instance"
    path.mkdir(mode=0o700)
    write_default_config(path)
    KeyStore(path).ensure_signing_key()
    name = f"voting_bench_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        url = f"sqlite:///{path / 'voting.sqlite3'}"
    else:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    try:
        yield Instance(path, url, kind)
    finally:
        if kind == "postgresql":
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(folder, ignore_errors=True)


def open_election_with(app, attendees: int) -> list[str]:
    """Load the example election, import *attendees* people, open it; their ballot tokens."""
    rows = ["name,email"] + [f"Voter {i},voter{i}@example.org" for i in range(attendees)]
    with app.app_context():
        session = get_session()
        keys = context.keys()
        election = load_election(
            session,
            parse_definition(EXAMPLE.read_bytes()),
            ensure_delivery_key=keys.ensure_delivery_key,
        ).election
        import_roster(
            session,
            election,
            parse_roster("\n".join(rows).encode()),
            delivery_key=lambda: keys.delivery_key(election.slug),
        )
        open_election(session, election, keys.delivery_key(election.slug), context.signer(), context.now())
        session.commit()
        links = personal_links(
            session, find_election(session, "ecc2016"), context.codec(), keys.delivery_key("ecc2016"), "x"
        )
    return [link.url.rsplit("/v/", 1)[1] for link in links]


def machine() -> dict[str, str]:
    """What the figures were measured on."""
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = "unknown"
    with contextlib.suppress(OSError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    postgres = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False)
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "postgresql": postgres.stdout.strip() or "unknown",
        "sqlite": __import__("sqlite3").sqlite_version,
    }
