"""Fast checks of the gradebook writers' retry on a lost race (autograder/dbretry.py); the real race
is run by tests/test_postgres.py."""

import pytest
import sqlalchemy.exc

from autograder import dbretry


class _PgError(Exception):
    def __init__(self, sqlstate: str, text: str = "duplicate key value violates unique constraint"):
        super().__init__(text)
        self.sqlstate = sqlstate


def _db_error(sqlstate: str, text: str = "x") -> sqlalchemy.exc.DBAPIError:
    return sqlalchemy.exc.IntegrityError("INSERT ...", {}, _PgError(sqlstate, text))


class InvalidEntry(ValueError):
    """Stands for nbgrader's own wrapper of the database's error."""


@pytest.mark.parametrize(
    "exc, conflict",
    [
        (_db_error("23505"), True),  # unique_violation: two writers inserted one row
        (
            _db_error("23503"),
            True,
        ),  # foreign_key_violation: SaveCells replaced the notebook meanwhile
        (_db_error("40001"), True),  # serialization_failure
        (_db_error("42P07"), True),  # duplicate_table: two writers made a new gradebook's schema
        (_db_error("23502"), False),  # not_null_violation: a bug, not a race
        (sqlalchemy.exc.OperationalError("x", {}, Exception("database is locked")), True),
        (ValueError("a bug"), False),
    ],
)
def test_what_counts_as_a_lost_race(exc, conflict):
    assert dbretry.is_conflict(exc) == conflict


def test_a_wrapped_lost_race_counts_too():
    try:
        try:
            raise _db_error("23503")
        except sqlalchemy.exc.IntegrityError as inner:
            raise InvalidEntry("nbgrader's words") from inner
    except InvalidEntry as exc:
        assert dbretry.is_conflict(exc)


def test_a_lost_race_is_rolled_back_and_run_again_and_a_bug_is_not(monkeypatch):
    monkeypatch.setattr(dbretry, "FIRST_WAIT_SECONDS", 0.0)
    calls, rollbacks = [], []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise _db_error("23505")
        return "recorded"

    assert dbretry.retrying(flaky, rollback=lambda: rollbacks.append(1)) == "recorded"
    assert (len(calls), len(rollbacks)) == (3, 2)

    def always():
        calls.append(1)
        raise _db_error("23505")

    calls.clear()
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        dbretry.retrying(always)
    assert len(calls) == dbretry.ATTEMPTS

    def bug():
        calls.append(1)
        raise _db_error("23502")

    calls.clear()
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        dbretry.retrying(bug)
    assert len(calls) == 1


def test_sqlite_needs_no_registration_lock(tmp_path):
    with dbretry.registering(f"sqlite:///{tmp_path / 'gradebook.db'}"):
        pass
    assert not (tmp_path / "gradebook.db").exists()
