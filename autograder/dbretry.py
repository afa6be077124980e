"""One gradebook, several writers (shards, TAs in formgrader): a transaction that lost a race is retried.

nbgrader looks a row up, then inserts it when it is missing (`update_or_create_*`, `SaveCells`, the schema of a
new gradebook): two writers that do so at once both insert, and one fails on the unique key (nbgrader#1161). On
a server gradebook (`--db postgresql+psycopg://...`) shards graded at the same time into one database meet this
when the course, its notebooks and cells are first registered. Each such transaction is rolled back and run
again, a few times, after a short random wait; the second time the row is found and nothing is inserted twice.
"""
from __future__ import annotations

import logging
import random
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
ATTEMPTS = 8
FIRST_WAIT_SECONDS = 0.05
# SQLSTATEs of a lost race: unique_violation, foreign_key_violation (nbgrader's SaveCells replaces a notebook that
# has no submission yet: another writer's cells then lose their notebook), serialization_failure,
# deadlock_detected, duplicate_table, duplicate_object (a type of the schema), duplicate_schema
CONFLICT_STATES = frozenset({"23505", "23503", "40001", "40P01", "42P07", "42710", "42P06"})


def is_conflict(exc: BaseException) -> bool:
    """Did `exc` come from a writer that lost a race to another (a retry would succeed)?"""
    import sqlalchemy.exc

    seen = set()
    while exc is not None and not isinstance(exc, sqlalchemy.exc.DBAPIError) and id(exc) not in seen:
        seen.add(id(exc))  # nbgrader wraps the database's error in its own (InvalidEntry)
        exc = exc.__cause__ or exc.__context__
    if not isinstance(exc, sqlalchemy.exc.DBAPIError):
        return False
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state in CONFLICT_STATES:
        return True
    text = str(original).lower()
    return "database is locked" in text or "unique constraint failed" in text  # SQLite's words for the same


def retrying(action: Callable[[], T], *, rollback: Callable[[], object] | None = None, what: str = "") -> T:
    """`action()`, run again (after `rollback()`) while it fails on a lost race, at most ATTEMPTS times."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except Exception as exc:  # noqa: BLE001  (anything but a lost race is raised at once)
            if attempt == ATTEMPTS or not is_conflict(exc):
                raise
            if rollback is not None:
                rollback()
            wait = FIRST_WAIT_SECONDS * 2 ** (attempt - 1) * (0.5 + random.random())
            log.info("gradebook: %s lost a race with another writer (%s); again in %.2f s", what or "a write",
                     str(getattr(exc, "orig", exc)).splitlines()[0][:120], wait)
            time.sleep(wait)
    raise AssertionError("unreachable")
