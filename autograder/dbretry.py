"""One gradebook, several writers (shards, TAs in formgrader): a
transaction that lost a race is retried.

nbgrader looks a row up, then inserts it when it is missing (`update_or_create_*`, `SaveCells`, the
schema of a new gradebook): two writers that do so at once both insert, and one fails on the unique
key (nbgrader#1161). On a server gradebook (`--db postgresql+psycopg://...`) shards graded at the
same time into one database meet this when the course, its notebooks and cells are first registered.
Each such transaction is rolled back and run again, a few times, after a short random wait; the
second time the row is found and nothing is inserted twice.
"""

from __future__ import annotations

import contextlib
import logging
import random
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 8
FIRST_WAIT_SECONDS = 0.05
# SQLSTATEs of a lost race: unique_violation, foreign_key_violation (nbgrader's
# SaveCells replaces a notebook that has no submission yet: another writer's cells
# then lose their notebook), serialization_failure, deadlock_detected,
# duplicate_table, duplicate_object (a type of the schema), duplicate_schema
CONFLICT_STATES = frozenset({"23505", "23503", "40001", "40P01", "42P07", "42710", "42P06"})


def is_conflict(exc: BaseException) -> bool:
    """Did `exc` come from a writer that lost a race to another (a retry would succeed)?"""
    import sqlalchemy.exc

    seen = set()
    while (
        exc is not None and not isinstance(exc, sqlalchemy.exc.DBAPIError) and id(exc) not in seen
    ):
        seen.add(id(exc))  # nbgrader wraps the database's error in its own (InvalidEntry)
        exc = exc.__cause__ or exc.__context__
    if not isinstance(exc, sqlalchemy.exc.DBAPIError):
        return False
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in CONFLICT_STATES:
        return True
    text = str(original).lower()
    # SQLite's words for the same
    return "database is locked" in text or "unique constraint failed" in text


def retrying(
    action: Callable[[], T], *, rollback: Callable[[], object] | None = None, what: str = ""
) -> T:
    """`action()`, run again (after `rollback()`) while it fails on a lost
    race, at most ATTEMPTS times."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except Exception as exc:  # anything but a lost race is raised at once
            if attempt == ATTEMPTS or not is_conflict(exc):
                raise
            if rollback is not None:
                rollback()
            wait = FIRST_WAIT_SECONDS * 2 ** (attempt - 1) * (0.5 + random.random())  # noqa: S311  (a jitter, no secret)
            log.info(
                "gradebook: %s lost a race with another writer (%s); again in %.2f s",
                what or "a write",
                str(getattr(exc, "orig", exc)).splitlines()[0][:120],
                wait,
            )
            time.sleep(wait)
    raise AssertionError("unreachable")


# A server gradebook's registration (nbgrader's SaveCells replaces a notebook that
# has no submission yet, and with it any submission another writer adds meanwhile)
# runs alone: it holds this advisory lock, and every record transaction takes it
# shared first, so no record interleaves with a registration. SQLite needs none: a
# gradebook file is one run's (the run lock) and SQLite serialises its writers.
ADVISORY_KEY = 0x61656B6974  # "aekit"


def _server(db_url: str) -> bool:
    return db_url.split(":", 1)[0].split("+", 1)[0] in ("postgresql", "postgres")


@contextlib.contextmanager
def registering(db_url: str):
    """Hold the gradebook's registration lock (a PostgreSQL advisory lock) for the `with` block."""
    if not _server(db_url):
        yield
        return
    import sqlalchemy

    engine = sqlalchemy.create_engine(db_url)
    try:
        with engine.connect() as conn:
            conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_KEY})
            conn.commit()
            try:
                yield
            finally:
                conn.execute(
                    sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY}
                )
                conn.commit()
    finally:
        engine.dispose()


def after_registrations(session) -> None:
    """In a record's transaction (`session`: nbgrader's `Gradebook.db`), wait until no registration
    runs; the shared lock is released when the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        import sqlalchemy

        session.execute(
            sqlalchemy.text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": ADVISORY_KEY}
        )
