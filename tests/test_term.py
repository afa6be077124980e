"""A term as the README's "A term with this kit" runs it, word for word,
with Canvas zips (the real grader).

Week 1: the 01 zip; week 2: the 04 zip (no --notebooks, as step 1 says); week 3: 01 downloaded
again, holding the same two files and a third student's late one. Nothing an earlier week recorded
may change: grades.csv rows, gradebook scores, autograded notebooks, feedback pages, submission
times. A wrong zip changes nothing either.
"""

import csv
import json
import os
import pathlib
import subprocess
import sys
import types
import zipfile

import pytest

from autograder import cells, sandbox, selftest
from autograder.course import CHECKOUT
from autograder.paths import COURSE_ID, REPO

pytestmark = [pytest.mark.slow, pytest.mark.long]  # make test-long: beyond the main run's 6 minutes
A1, A4 = "01_conv_as_matrix", "04_gaussian_generative_models"
ROSTER = (
    'student_id,lms_id,name\nada,101,"Lovelace, Ada"\nben,102,"Babbage, Ben"\ncy,103,"Young, Cy"\n'
)


def _grade(*args, cwd):
    args = [*map(str, args)]
    if not sandbox.capabilities()["namespaces"]:
        args.append("--unsafe")  # a developer's machine without root: our own made-up students only
    return subprocess.run(
        [sys.executable, "-m", "autograder", "grade", *args, "--workers", "2"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _canvas_zip(path, files):
    """A Canvas "Download Submissions" zip: `<slug>[_LATE]_<user id>_<file
    id>_<name>` (canvas-lms content_zipper)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, nb in files.items():
            zf.writestr(name, nb if isinstance(nb, bytes) else json.dumps(nb))
    return path


def _snapshot(out):
    """Everything an earlier week recorded: rows, gradebook scores and
    timestamps, autograded and feedback files."""
    from nbgrader.api import Gradebook

    with open(out / "grades.csv", encoding="utf-8", newline="") as f:
        rows = {(r["student_id"], r["notebook"]): r for r in csv.DictReader(f)}
    scores = {}
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", COURSE_ID) as gb:
        for sid, a in rows:
            sub = gb.find_submission(a, sid)
            scores[(sid, a)] = (sub.score, sub.timestamp)
    files = {
        p.relative_to(out): p.read_bytes()
        for folder in ("autograded", "feedback")
        for p in sorted((out / folder).rglob("*"))
        if p.is_file()
    }
    return rows, scores, files


def _same(before, after):
    """Is every row, score and file of `before` in `after` unchanged
    (seconds aside: a row's own timing)?"""
    rows, scores, files = before
    rows2, scores2, files2 = after
    for key, row in rows.items():
        assert {k: v for k, v in rows2[key].items() if k != "seconds"} == {
            k: v for k, v in row.items() if k != "seconds"
        }, key
        assert scores2[key] == scores[key], key
    for path, data in files.items():
        assert files2.get(path) == data, f"{path} changed"


@pytest.fixture(scope="module")
def term(tmp_path_factory):
    root = tmp_path_factory.mktemp("term")
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    full1, blank1 = selftest.build_submission(A1), selftest.build_submission(A1, blank=True)
    week1 = _canvas_zip(
        root / "canvas-week1.zip",
        {f"lovelaceada_101_9001_{A1}.ipynb": full1, f"babbageben_102_9002_{A1}.ipynb": blank1},
    )
    week2 = _canvas_zip(
        root / "canvas-week2.zip",
        {
            f"lovelaceada_101_9101_{A4}.ipynb": selftest.build_submission(A4),
            f"babbageben_102_9102_{A4}.ipynb": selftest.build_submission(A4, blank=True),
        },
    )
    week3 = _canvas_zip(
        root / "canvas-week3.zip",
        {
            f"lovelaceada_101_9001_{A1}.ipynb": full1,
            f"babbageben_102_9002_{A1}.ipynb": blank1,
            f"youngcy_LATE_103_9201_Copy of {A1}.ipynb": full1,
            f"strangerdee_105_9202_{A1}.ipynb": blank1,
        },
    )
    out = root / "results"
    ns = types.SimpleNamespace(root=root, out=out)
    # README, "A term with this kit", step 1, each week: `python -m autograder grade
    # canvas-week3.zip --out results/ --roster roster.csv`, run in the folder that holds them
    ns.week1 = _grade(week1.name, "--out", "results/", "--roster", "roster.csv", cwd=root)
    ns.after1 = _snapshot(out) if ns.week1.returncode == 0 else None
    ns.week2 = _grade(week2.name, "--out", "results/", "--roster", "roster.csv", cwd=root)
    ns.after2 = _snapshot(out) if ns.week2.returncode == 0 else None
    ns.wrong = _grade(
        week2.name, "--out", "results/", "--roster", "roster.csv", "--notebooks", A1[:2], cwd=root
    )
    ns.after_wrong = _snapshot(out)
    ns.week3 = _grade(week3.name, "--out", "results/", "--roster", "roster.csv", cwd=root)
    ns.after3 = _snapshot(out) if ns.week3.returncode == 0 else None
    # README step 3: a TA reviews ada's 04 in formgrader (what formgrader
    # writes, through nbgrader's API): an override of a passed test, a
    # written answer graded, comments; step 4: the grade command again
    _review(out, "ada")
    ns.step4 = _grade(week2.name, "--out", "results/", "--roster", "roster.csv", cwd=root)
    ns.reviewed = _snapshot(out)
    # week 4: ada resubmits 04 after the review (a different file), ben's resubmission is truncated
    week4 = _canvas_zip(
        root / "canvas-week4.zip",
        {
            f"lovelaceada_101_9301_{A4}.ipynb": _edited(A4),
            f"babbageben_102_9302_{A4}.ipynb": b'{"cells": [{"cell_ty',
        },
    )
    ns.week4 = _grade(week4.name, "--out", "results/", "--roster", "roster.csv", cwd=root)
    # the LMS's own submission times, given later (docs/term.md, 5): the
    # same files, their times known better
    (root / "times.csv").write_text(
        "lms_id,notebook,submitted_at\n101,01,2026-03-01T09:00:00+01:00\n"
    )
    ns.times = _grade(
        week3.name,
        "--out",
        "results/",
        "--roster",
        "roster.csv",
        "--submission-times",
        "times.csv",
        cwd=root,
    )
    return ns


# a test of 04 and one of its written answers
OVERRIDDEN, WRITTEN = "test_gaussian_pdf", "q_variance_floor"


def _review(out, sid):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", COURSE_ID) as gb:
        gb.find_grade(OVERRIDDEN, A4, A4, sid).manual_score = 0.0
        gb.find_comment(
            OVERRIDDEN.removeprefix("test_"), A4, A4, sid
        ).manual_comment = "copied from the lecture"
        written = gb.find_grade(WRITTEN, A4, A4, sid)
        written.manual_score = 1.0
        written.needs_manual_grade = False
        gb.find_comment(WRITTEN, A4, A4, sid).manual_comment = "half right"
        gb.db.commit()


def _edited(assignment):
    """The reference answers with a different written answer: a resubmission, another file."""
    nb = selftest.build_submission(assignment)
    for cell in nb["cells"]:
        if cells.grade_id(cell) == WRITTEN:
            cell["source"] = "A new answer, written after the review."
    return json.dumps(nb).encode()


@pytest.mark.xdist_group("term")
def test_weekly_runs_never_erase_an_earlier_week(term):
    """Following the README's weekly step with the week-2 and week-3 zips,
    does nothing week 1 recorded change, does each run name the notebooks
    its zip does not hold, and does week 3 add only the late student?"""
    assert term.week1.returncode == 0, term.week1.stderr[-3000:]
    assert term.week2.returncode == 0, term.week2.stderr[-3000:]
    assert term.week3.returncode == 0, term.week3.stderr[-3000:]
    rows1, rows2, rows3 = term.after1[0], term.after2[0], term.after3[0]
    assert set(rows1) == {("ada", A1), ("ben", A1)}
    assert (
        float(rows1[("ada", A1)]["score"]) == CHECKOUT.max_score(A1)
        and rows1[("ada", A1)]["status"] == "graded"
    )
    assert "no 04 file in this input" in term.week1.stderr and "wrong zip?" in term.week1.stderr
    assert f"no {A1[:2]} file in this input" in term.week2.stderr
    assert "missing" not in {r["status"] for r in rows2.values()}
    _same(term.after1, term.after2)
    assert set(rows2) == set(rows1) | {("ada", A4), ("ben", A4)}
    _same(term.after2, term.after3)
    assert set(rows3) == set(rows2) | {("cy", A1), ("105", A1)}
    assert "not on the roster: LMS id 105 (strangerdee)" in term.week3.stderr
    assert (
        float(rows3[("cy", A1)]["score"]) == CHECKOUT.max_score(A1)
        and rows3[("cy", A1)]["late"] == "yes"
    )


@pytest.mark.xdist_group("term")
def test_a_zip_of_the_wrong_notebook_changes_nothing(term):
    """Does `grade <04 zip> --notebooks 01` refuse in one line (exit 2) and
    leave every grade as it was?"""
    assert term.wrong.returncode == 2, term.wrong.stderr[-2000:]
    assert "wrong zip" in term.wrong.stderr.strip().splitlines()[-1]
    _same(term.after2, term.after_wrong)
    assert term.after_wrong[0].keys() == term.after2[0].keys()


@pytest.mark.xdist_group("term")
def test_each_run_keeps_its_collection_report_and_the_cumulative_one_forgets_nothing(term):
    """Does every run leave its own collection report, and does
    collection_report.csv hold all weeks' rows?"""
    out = term.out
    runs = sorted((out / "collection").glob("*.csv"))
    # four weeks, the wrong zip, the run after the review, the LMS's times
    assert len(runs) == 7, runs
    with open(out / "collection_report.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["run"] for r in rows} == {p.stem for p in runs}
    assert any(f"babbageben_102_9002_{A1}" in r["source"] for r in rows if r["run"] == runs[0].stem)
    assert not (out / ".work").exists() or not any((out / ".work").iterdir()), (
        "a run left its unpacked files"
    )


@pytest.mark.xdist_group("term")
def test_submission_times_are_first_seen_never_the_download(term):
    """Does an unchanged file keep the time it was first seen (the week-3 download is not a new
    submission), with its source named, and does the Canvas LATE marker reach the record?"""
    out = term.out
    first = json.loads((out / ".state" / "ben" / f"{A1}.json").read_text())
    assert (
        first["time"]["source"] == "first seen by the grader"
        and first["time"]["late_marker"] is False
    )
    assert (
        term.after1[1][("ben", A1)][1]
        == term.after3[1][("ben", A1)][1]
        == term.reviewed[1][("ben", A1)][1]
    )
    late = json.loads((out / ".state" / "cy" / f"{A1}.json").read_text())
    assert late["time"]["late_marker"] is True and late["late"] is True


@pytest.mark.xdist_group("term")
def test_a_ta_override_is_the_verdict_on_the_feedback_page(term):
    """After a TA's review and the grade command again (README step 4), does
    the feedback page show the TA's override as the exercise's verdict,
    markdown rendered (not `**...**`), and grades.csv the TA's scores?"""
    assert term.step4.returncode == 0, term.step4.stderr[-2000:]
    page = term.reviewed[2][pathlib.Path("feedback", "ada", A4, f"{A4}.html")].decode()
    assert f"<b>{OVERRIDDEN}</b>: failed (0 / 1 (set by a TA))" in page, page[:3000]
    assert "copied from the lecture" in page and "half right" in page
    assert "<strong>" in page or "<h2>" in page or "<em>" in page
    row = term.reviewed[0][("ada", A4)]
    assert row["manual_score"] == "1" and WRITTEN not in row["needs_manual_grade"]


@pytest.mark.xdist_group("term")
def test_a_resubmission_after_review_clears_the_ta_s_scores_and_says_so(term):
    """When a reviewed notebook is resubmitted (another file), are the TA's
    override and written-answer score cleared, the written answers waiting
    for a grade again, the comments kept but flagged, and the student named;
    and is an invalid resubmission not listed as needing a manual grade?"""
    from nbgrader.api import Gradebook

    assert term.week4.returncode == 0, term.week4.stderr[-3000:]
    lines = [
        line for line in term.week4.stderr.splitlines() if line.startswith("reviewed work changed")
    ]
    assert len(lines) == 1 and "ada" in lines[0] and A4 in lines[0] and OVERRIDDEN in lines[0], (
        lines
    )
    with Gradebook(f"sqlite:///{term.out / 'gradebook.db'}", COURSE_ID) as gb:
        override = gb.find_grade(OVERRIDDEN, A4, A4, "ada")
        written = gb.find_grade(WRITTEN, A4, A4, "ada")
        assert override.manual_score is None and override.auto_score == override.max_score
        assert written.manual_score is None and written.needs_manual_grade
        comment = gb.find_comment(OVERRIDDEN.removeprefix("test_"), A4, A4, "ada").manual_comment
        assert comment == "[on an earlier submission] copied from the lecture"
        assert not gb.find_grade(WRITTEN, A4, A4, "ben").needs_manual_grade
    with open(term.out / "grades.csv", encoding="utf-8", newline="") as f:
        rows = {(r["student_id"], r["notebook"]): r for r in csv.DictReader(f)}
    assert WRITTEN in rows[("ada", A4)]["needs_manual_grade"]
    assert (
        rows[("ben", A4)]["status"] == "invalid" and rows[("ben", A4)]["needs_manual_grade"] == ""
    )
    assert {k: v for k, v in rows[("ben", A1)].items() if k != "seconds"} == {
        k: v for k, v in term.after3[0][("ben", A1)].items() if k != "seconds"
    }  # another notebook: untouched


@pytest.mark.xdist_group("term")
def test_export_judges_lateness_by_the_lms_and_names_each_time_s_source(term, tmp_path):
    """Exported with a due date a day ago (every file was first seen after it), is a file Canvas
    marked on time unpenalised and the LATE one penalised; does the report say where each time came
    from and its zone, and name the graded student who is not on the roster?"""
    import datetime

    from autograder.export import export

    due = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).isoformat()
    done = export(
        "csv",
        results=term.out,
        roster=term.root / "roster.csv",
        due=[f"{A1[:2]}={due}"],
        late_policy="per-day:10",
        notebooks=[A1],
        out=tmp_path / "grades.csv",
    )
    with open(done["out"], encoding="utf-8", newline="") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert rows["ada"][f"{A1} penalty"] == "0" and float(rows["ada"][A1]) == CHECKOUT.max_score(A1)
    # one day
    assert float(rows["cy"][f"{A1} penalty"]) == pytest.approx(0.1 * float(rows["cy"][f"{A1} max"]))
    with open(done["report"], encoding="utf-8", newline="") as f:
        report = {(r["student_id"], r["notebook"]): r for r in csv.DictReader(f)}
    assert report[("ben", A1)]["time_source"] == "first seen by the grader"
    assert (
        report[("ben", A1)]["time_zone"] == "UTC"
        and report[("cy", A1)]["lms_late_marker"] == "late"
    )
    assert report[("ada", A1)]["time_source"] == "LMS submission times times.csv"
    assert report[("ada", A1)]["timestamp"] == "2026-03-01T08:00:00+00:00"
    assert done["not_on_roster"] == ["105"]


@pytest.mark.xdist_group("term")
def test_lms_submission_times_given_later_replace_the_first_seen_time(term):
    """Given the LMS's submission times in a later run, does an unchanged
    file's record and gradebook timestamp take the LMS's time (converted to
    UTC), with its source, and its scores stay as they were?"""
    import datetime

    from nbgrader.api import Gradebook

    assert term.times.returncode == 0, term.times.stderr[-2000:]
    record = json.loads((term.out / ".state" / "ada" / f"{A1}.json").read_text())
    assert record["time"]["source"] == "LMS submission times times.csv"
    assert (
        record["time"]["at"] == "2026-03-01T08:00:00+00:00"
        and record["time"]["late_marker"] is False
    )
    with Gradebook(f"sqlite:///{term.out / 'gradebook.db'}", COURSE_ID) as gb:
        sub = gb.find_submission(A1, "ada")
        assert sub.timestamp == datetime.datetime(2026, 3, 1, 8, 0)
        assert sub.score == term.after3[1][("ada", A1)][0]
