"""Two TAs reviewing one class in formgrader at the same time, on a
PostgreSQL gradebook, in Chromium.

A class is graded into a server gradebook (Debian's PostgreSQL 15, started by the test on a Unix
socket only). TA A runs `python -m autograder review RESULTS --db URL` on the results folder; TA B,
on another machine, runs `review` on a copy of it (its nbgrader_config.py names the same database).
Each TA, in a browser of their own, scores and comments on a different student at the same moment:
two formgrader servers write one database at once. Each TA then sees the other's scores, `export`
shows both, and a rerun of `grade` keeps them (a rerun that forgot the --db is refused: it would
have started a SQLite gradebook without them).

Run with `make test-slurm` (the scale-out tests; installs postgresql-15 and
psycopg); not in the main run.
"""

from __future__ import annotations

import contextlib
import csv
import json
import shutil
import subprocess
import sys
import time

import pytest

from autograder import gradebook, selftest
from tests import postgres_server, scaleout_class
from tests.browser.lab import browser
from tests.test_formgrader import _api, reviewing

pytestmark = [pytest.mark.slurm, pytest.mark.browser]
A = "01_conv_as_matrix"
OVERRIDDEN = "test_conv2d_naive"  # TA A overrides this test of ada's to 0
COMMENTED = "conv2d_naive"  # the exercise each TA comments on
COMMENTS = {
    "ada": "TA A: the loops are copied from the lecture notes",
    "bob": "TA B: a clear derivation",
}


@pytest.fixture(scope="module")
def postgres():
    with postgres_server.running("review") as urls:
        yield urls["review"]


def _grade(cls, out, db, checkout, env) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(cls),
            "--out",
            str(out),
            "--db",
            db,
            "--notebooks",
            "01",
            "--timeout",
            "240",
        ],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def _cells(db: str) -> dict:
    """(student, graded cell) -> (score, max score, set by a TA, waits for a TA), and (student,
    cell, "comment") -> a TA's comment, as nbgrader's API reads them."""
    with gradebook.opened(db) as gb:
        every = gradebook.every_grade(gb)
    cells = {
        (sid, c.name): (c.score, c.max_score, c.manual, c.needs_manual_grade)
        for (sid, _), (grades, _) in every.items()
        for c in grades
    }
    return cells | {
        (sid, name, "comment"): text
        for (sid, _), (_, notes) in every.items()
        for name, text in notes.items()
    }


def _submission_ids(db: str) -> dict[str, int]:
    with gradebook.opened(db) as gb:
        return {sid: gb.find_submission_notebook(A, A, sid).id for sid in ("ada", "bob")}


def _open(page, base: str, submission_id) -> None:
    """Open a submission in formgrader and wait until formgrader saves what
    is typed (test_formgrader.py)."""
    page.goto(f"{base}/formgrader/submissions/{submission_id}/")
    page.locator(f"input.score#{OVERRIDDEN}").wait_for(timeout=60_000)
    page.wait_for_function(
        "() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
        " && formgrader.comments && formgrader.comments.loaded",
        timeout=60_000,
    )


def test_two_tas_grade_at_once_in_formgrader_on_postgres(postgres, tmp_path):
    """Do two formgrader servers (two TAs, two browsers) save scores and comments on two students
    into one PostgreSQL gradebook at the same moment, each TA seeing the other's, `export` showing
    both, and a rerun of `grade` keeping them?"""
    checkout, env = scaleout_class.shared_checkout()
    cls, results = tmp_path / "class", tmp_path / "results"
    for sid in ("ada", "bob"):
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_text(
            json.dumps(selftest.build_submission(A)), encoding="utf-8"
        )
    _grade(cls, results, postgres, checkout, env)
    assert not (results / "gradebook.db").exists()  # every row is in PostgreSQL
    before = _cells(postgres)
    assert not [key for key in before if len(key) == 3]  # no comment before the TAs'
    written = sorted(key[1] for key, cell in before.items() if key[0] == "ada" and cell[3])
    assert written, "the notebook's written answers should wait for a TA"
    # full marks before TA A
    assert before[("ada", OVERRIDDEN)][0] == before[("ada", OVERRIDDEN)][1] > 0
    # what each TA types: ada's test overridden to 0 and her answers given
    # full marks; bob's first answer 0
    edits = {
        "ada": [(OVERRIDDEN, 0.0)] + [(name, before[("ada", name)][1]) for name in written],
        "bob": [(written[0], 0.0)] + [(name, before[("bob", name)][1]) for name in written[1:]],
    }
    full = {sid: sum(c[1] for key, c in before.items() if key[0] == sid) for sid in ("ada", "bob")}
    expected = {
        sid: full[sid] - sum(before[(sid, name)][1] - value for name, value in edits[sid])
        for sid in edits
    }
    assert expected["ada"] < full["ada"] and expected["bob"] < full["bob"]
    # TA B's machine: a copy of the folder, naming the same database
    copy = tmp_path / "results-of-ta-b"
    shutil.copytree(results, copy, symlinks=True)
    ids = _submission_ids(postgres)
    failed = []
    with contextlib.ExitStack() as stack:
        (tmp_path / "ta-a").mkdir()
        (tmp_path / "ta-b").mkdir()
        url_a = stack.enter_context(
            reviewing(results, tmp_path / "ta-a", "--db", postgres, cwd=checkout, env=env)
        )
        url_b = stack.enter_context(reviewing(copy, tmp_path / "ta-b", cwd=checkout, env=env))
        assert url_a.split("/formgrader")[0] != url_b.split("/formgrader")[0]  # two servers
        # each formgrader lists both submissions, autograded, from PostgreSQL
        for url in (url_a, url_b):
            listed = _api(url, f"/formgrader/api/submissions/{A}")
            assert sorted((s["student"], s["autograded"]) for s in listed) == [
                ("ada", True),
                ("bob", True),
            ]
        chromium = stack.enter_context(browser())
        pages = {}
        for sid, url in (("ada", url_a), ("bob", url_b)):
            # a browser context of its own: each TA logs in with their own server
            page = chromium.new_page()
            page.on(
                "response",
                lambda r: (
                    failed.append(f"{r.status} {r.request.method} {r.url}")
                    if r.status >= 400 and "/formgrader/api/" in r.url
                    else None
                ),
            )
            page.goto(url)
            page.wait_for_selector("#main-table", timeout=60_000)
            _open(page, url.split("/formgrader")[0], ids[sid])
            pages[sid] = page
        # both TAs type at once: each field of ada's (TA A) and bob's (TA B) is filled, then both
        # leave their fields together, so the two servers save into the database at the same moment
        for step in range(max(len(e) for e in edits.values())):
            typed = [
                (pages[sid], f"input.score#{edits[sid][step][0]}", f"{edits[sid][step][1]:g}")
                for sid in ("ada", "bob")
                if step < len(edits[sid])
            ]
            for page, selector, value in typed:
                page.locator(selector).fill(value)
            for page, selector, _ in typed:
                page.locator(selector).press("Tab")
        for sid in ("ada", "bob"):
            pages[sid].locator(f"textarea#{COMMENTED}-comment").fill(COMMENTS[sid])
        for sid in ("ada", "bob"):
            pages[sid].locator(f"textarea#{COMMENTED}-comment").press("Tab")
        deadline, saved = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            saved = _cells(postgres)
            if all(
                saved[(sid, name)][:3] == (value, before[(sid, name)][1], True)
                for sid in edits
                for name, value in edits[sid]
            ) and all(saved.get((sid, COMMENTED, "comment")) == COMMENTS[sid] for sid in COMMENTS):
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"formgrader did not save both TAs' scores and comments: {saved}")
        # each TA sees what the other saved: TA B opens ada's submission on B's own server
        base_b = url_b.split("/formgrader")[0]
        _open(pages["bob"], base_b, ids["ada"])
        assert pages["bob"].locator(f"input.score#{OVERRIDDEN}").input_value() == "0"
        assert (
            pages["bob"].locator(f"textarea#{COMMENTED}-comment").input_value() == COMMENTS["ada"]
        )
    assert not failed, failed
    untouched = {
        key: cell
        for key, cell in saved.items()
        if len(key) == 2 and key[1] not in {n for e in edits.values() for n, _ in e}
    }
    assert untouched == {key: before[key] for key in untouched}  # nothing else changed
    # export without --db reads the gradebook the folder was graded into
    # (its nbgrader_config.py names it)
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
            "--out",
            str(tmp_path / "export.csv"),
        ],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert exported.returncode == 0, exported.stderr[-3000:]
    with open(tmp_path / "export.csv", encoding="utf-8", newline="") as f:
        totals = {row["student_id"]: float(row[f"{A} raw"]) for row in csv.DictReader(f)}
    assert totals == expected, (totals, expected)
    forgot = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(cls),
            "--out",
            str(results),
            "--notebooks",
            "01",
        ],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert (
        forgot.returncode == 2 and "keeps its grades in the gradebook postgresql" in forgot.stderr
    ), forgot.stderr
    assert len(forgot.stderr.strip().splitlines()) == 1 and not (results / "gradebook.db").exists()
    rerun = _grade(cls, results, postgres, checkout, env)
    assert "0 graded now, 2 unchanged" in rerun.stdout, rerun.stdout
    assert _cells(postgres) == saved  # the rerun kept both TAs' scores and comments
    with open(results / "grades.csv", encoding="utf-8", newline="") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for sid in ("ada", "bob"):
        assert float(rows[sid]["score"]) == expected[sid] and rows[sid]["needs_manual_grade"] == ""
        page = (results / "feedback" / sid / A / f"{A}.html").read_text(encoding="utf-8")
        assert COMMENTS[sid] in page
    assert "set by a TA" in (results / "feedback" / "ada" / A / f"{A}.html").read_text(
        encoding="utf-8"
    )
