"""Throwaway instances and databases for benchmarks, built with the app's own operations."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import platform
import random
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import Integer, delete, insert, select, text

from voting import create_app, services, verify, workflows
from voting.db import get_session, make_engine, migrate, writing
from voting.domain.definition import parse_definition
from voting.domain.roster import parse_roster
from voting.instance import KeyStore, write_default_config
from voting.models import Base
from voting.operations import trustee_key
from voting.operations.attendees import import_roster
from voting.operations.ballots import cast_ballot
from voting.operations.elections import close_election, find_election, load_election, open_election
from voting.operations.layout import ballot_layout
from voting.operations.reveal import advance
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
        url = (
            f"{PG_ADMIN.rsplit('/', 1)[0].replace('postgresql://', 'postgresql+psycopg://')}/{name}"
        )
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


BENCH = "benchmark"  # the actor in the activity log


def open_election_with(
    app,
    attendees: int,
    method: str = "plurality",
    witnesses: Sequence = (),
    trustee: verify.TrusteeKey | None = None,
) -> list[str]:
    """Load the example election (its awards counted by *method*, cosigned by *witnesses*,
    all of them its quorum, its ballots encrypted to *trustee*), import *attendees* people,
    open it; their ballot tokens."""
    rows = ["name,email"] + [f"Voter {i},voter{i}@example.org" for i in range(attendees)]
    roster = parse_roster("\n".join(rows).encode())
    with app.app_context():
        session = get_session()
        keys = services.keys()
        with writing(session):
            election = load_election(
                session,
                BENCH,
                dataclasses.replace(
                    parse_definition(
                        EXAMPLE.read_text().replace('method = "plurality"', f'method = "{method}"')
                    ),
                    witnesses=tuple(witnesses),
                    witness_quorum=len(witnesses),
                    trustee=trustee is not None,
                ),
                services.now(),
                ensure_delivery_key=keys.ensure_delivery_key,
            ).election
            import_roster(
                session,
                BENCH,
                election,
                roster,
                services.now(),
                delivery_key=lambda: keys.delivery_key(election.slug),
            )
            if trustee is not None:
                trustee_key.set_public_key(session, BENCH, election, trustee, services.now())
            open_election(
                session,
                BENCH,
                election,
                keys.delivery_key(election.slug),
                services.signer(),
                services.now(),
            )
        links = personal_links(
            session,
            find_election(session, "ecc2016"),
            services.codec(),
            keys.delivery_key("ecc2016"),
            "x",
        )
    return [link.url.rsplit("/v/", 1)[1] for link in links]


def cast_ballots(app, tokens: list[str], *, seed: int = 1, batch: int = 500) -> None:
    """Cast a ballot for each token through the app's own cast path, *batch* per commit.

    Choices are random but skewed, so the tally has a clear order and a few abstentions.
    """
    rng = random.Random(seed)
    with app.app_context():
        session = get_session()
        election = find_election(session, "ecc2016")
        awards = [(a.slug, [n.slug for n in a.nominees]) for a in ballot_layout(session, election)]
        weights = {slug: [*range(len(names), 0, -1), 1] for slug, names in awards}
        ranked = {a.slug for a in ballot_layout(session, election) if a.ranked}
        codec, signer = services.codec(), services.signer()
        for start in range(0, len(tokens), batch):
            with writing(session):
                for token in tokens[start : start + batch]:
                    choices = {
                        slug: _ranking(rng, names, weights[slug])
                        if slug in ranked
                        else rng.choices([*names, "abstain"], weights[slug])[0]
                        for slug, names in awards
                    }
                    cast_ballot(session, codec, signer, token, choices, services.now())


def _ranking(rng: random.Random, names: list[str], weights: list[int]) -> str:
    """A ranked answer as the ballot form carries it: some finalists, best first, skewed
    like the plurality choices (a few abstain)."""
    if rng.random() < 0.03:
        return "abstain"
    order = sorted(names, key=lambda name: rng.random() / weights[names.index(name)])
    return ",".join(order[: rng.randint(1, len(order))])


def closed_election(
    app, ballots: int, method: str = "plurality", *, trustee: bool = False
) -> float | None:
    """The example election with *ballots* cast, voting closed and the reveal run to its end,
    so the board holds every ballot's opening and the tally, as a juror verifies it last.

    With *trustee* the ballots are encrypted to a jury key (2 of 3 shares) and two shares
    open them after the close; returns the seconds that opening took (decrypt and seal).
    """
    key, shares = verify.trustee_keygen("ecc2016", 3, 2) if trustee else (None, [])
    cast_ballots(app, open_election_with(app, ballots, method, trustee=key))
    with app.app_context(), writing(get_session()) as session:
        election = find_election(session, "ecc2016")
        close_election(session, BENCH, election, services.signer(), services.now())
    opening = None
    if shares:
        with app.app_context():
            session = get_session()
            election = find_election(session, "ecc2016")
            started = time.perf_counter()
            for share in shares[:2]:
                data = verify.canonical_json(share.to_json())
                workflows.bring_trustee_share(session, BENCH, election, data)
            opening = time.perf_counter() - started
    reveal_to_the_end(app)
    return opening


def reveal_to_the_end(app, slug: str = "ecc2016") -> None:
    """Step the stage's reveal of a closed election to its end, one write per step."""
    with app.app_context():
        while True:
            with writing(get_session()) as session:
                election = find_election(session, slug)
                if not election.is_closed:
                    break
                advance(session, BENCH, election, services.signer(), services.now())


@contextlib.contextmanager
def closed_elections(ballots: int) -> Iterator[tuple[dict[str, Instance], float]]:
    """The same closed election of *ballots* ballots on SQLite and on PostgreSQL.

    Built once through the cast path on SQLite, then copied; yields the instances by
    database and the seconds the build took.
    """
    with instance("sqlite") as lite, instance("postgresql") as postgres:
        started = time.perf_counter()
        closed_election(lite.app(), ballots)
        build = time.perf_counter() - started
        copy_database(lite, postgres)
        yield {"sqlite": lite, "postgresql": postgres}, build


def copy_database(source: Instance, target: Instance) -> None:
    """Make *target*'s database (migrated) hold exactly *source*'s rows, and its keys.

    Building a big election through the cast path takes minutes; building it once and
    copying it gives PostgreSQL the very same ballots in a fraction of that. The rows the
    migrations seed (the mail queue's pace) are replaced, not added to.
    """
    source_engine, target_engine = (
        make_engine(source.database_url),
        make_engine(target.database_url),
    )
    with source_engine.connect() as reading, target_engine.begin() as writing:
        for table in reversed(Base.metadata.sorted_tables):
            writing.execute(delete(table))
        for table in Base.metadata.sorted_tables:
            rows = reading.execute(select(table)).mappings()
            while chunk := rows.fetchmany(10_000):
                writing.execute(insert(table), [dict(row) for row in chunk])
            serial = "id" in table.c and isinstance(table.c.id.type, Integer)
            if target_engine.dialect.name == "postgresql" and serial:
                writing.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    source_engine.dispose()
    target_engine.dispose()
    for name in ("config.toml", "keys"):
        if (source.path / name).is_dir():
            shutil.rmtree(target.path / name, ignore_errors=True)
            shutil.copytree(source.path / name, target.path / name)
        elif (source.path / name).exists():
            shutil.copy2(source.path / name, target.path / name)


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
