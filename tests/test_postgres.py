"""A server gradebook that several writers share, really run: Debian's PostgreSQL 15
started by the test on a Unix socket only (no TCP port), three shards of a class
grading into one database at the same time (one killed with kill -9 and run again),
then the merge and an export on the same database: the gradebook's rows end identical
to one `grade` run of the same class on one machine (its SQLite gradebook).

Run with `make test-slurm` (the scale-out tests; installs postgresql-15 and
psycopg); not in the main run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from autograder import gradebook, shard
from tests import postgres_server, scaleout_class

pytestmark = pytest.mark.slurm
N = 3


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL 15 server of this test's own, on a Unix socket only;
    yields the database's SQLAlchemy URL."""
    with postgres_server.running("aekit") as urls:
        yield urls["aekit"]


def _rows(db: str) -> dict:
    """Every graded cell of every submission, with a TA's comments, as nbgrader's API reads them."""
    with gradebook.opened(db) as gb:
        students = sorted((s.id, s.last_name or "") for s in gb.students)
        cells = {
            key: sorted(
                (
                    (c.name, c.score, c.max_score, c.manual, c.needs_manual_grade, c.comment)
                    for c in grades
                ),
                key=repr,
            )
            for key, (grades, _) in gradebook.every_grade(gb).items()
        }
    return {"students": students, "cells": cells}


def _assert_same_rows(db: str, other: str) -> None:
    mine, theirs = _rows(db), _rows(other)
    assert mine["students"] == theirs["students"]
    differ = {
        key: (mine["cells"].get(key), theirs["cells"].get(key))
        for key in {*mine["cells"], *theirs["cells"]}
        if mine["cells"].get(key) != theirs["cells"].get(key)
    }
    assert not differ, differ


def test_three_shards_write_one_postgres_gradebook_at_once(postgres, tmp_path_factory):
    """Three shards grading into one PostgreSQL gradebook at the same time
    (nbgrader's look-up-then-insert races retried), shard 0 killed with kill -9
    after its first notebook and run again: is every row of the gradebook the
    same as the one-machine run's, and do `merge` and `export` work on it?"""
    ref = scaleout_class.reference(tmp_path_factory.mktemp("scaleout"))
    grading = tmp_path_factory.mktemp("grading-pg")

    def start(k: int, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(ref.cls),
                "--shard",
                f"{k}/{N}",
                "--db",
                postgres,
                "--out",
                str(grading / "shards" / str(k)),
                *scaleout_class.GRADE_OPTIONS,
                *extra,
            ],
            env=ref.env,
            cwd=ref.checkout,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    others = [start(1), start(2)]
    victim = start(0, "--workers", "1")
    state = grading / "shards" / "0" / ".state"
    deadline = time.monotonic() + 900
    while (
        not any(p for p in state.glob("*/*.json") if not p.parent.name.startswith("."))
        and victim.poll() is None
        and time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert victim.poll() is None, victim.communicate()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    for proc in others:
        out, err = proc.communicate(timeout=1800)
        assert proc.returncode == 0, err[-3000:]
    rerun = start(0)
    out, err = rerun.communicate(timeout=1800)
    assert rerun.returncode == 0, err[-3000:]
    one_machine_db = f"sqlite:///{ref.out / 'gradebook.db'}"
    _assert_same_rows(postgres, one_machine_db)
    students = sorted(p.name for p in ref.cls.iterdir())
    assert sorted({sid for sid, _ in _rows(postgres)["cells"]}) == students
    assert {shard.shard_of(s, N) for s in students} == set(range(N))
    results = grading / "results"
    merged = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "merge",
            *(str(grading / "shards" / str(k)) for k in range(N)),
            "--into",
            str(results),
            "--db",
            postgres,
        ],
        env=ref.env,
        cwd=ref.checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert merged.returncode == 0, merged.stderr[-3000:]
    scaleout_class.assert_same_grades(results, ref.out)
    # the merge wrote the same rows again: nothing changed
    _assert_same_rows(postgres, one_machine_db)
    exported = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "export",
            "--format",
            "csv",
            "--results",
            str(results),
            "--db",
            postgres,
            "--out",
            str(grading / "export.csv"),
        ],
        env=ref.env,
        cwd=ref.checkout,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert f"{len(students)} students" in exported.stdout
