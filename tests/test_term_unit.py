"""The pieces of a term that need no grading run: the results folder's lock
and owner, collection reports, LMS times, Canvas's gradebook export as a
roster, `Copy of` renames, the progress bar and safe feedback pages."""

import csv
import datetime
import io
import json
import os
import subprocess
import sys
import zipfile

import pytest

from autograder import feedback, resultsdir, runlock, submitted
from autograder.collect import collect, load_roster, match_notebook
from autograder.grade import Progress
from autograder.paths import COURSE_ID, REPO, UsageError
from autograder.results import NotebookResult
from autograder.results import TestResult as Verdict

A1 = "01_conv_as_matrix"
NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, PYTHONPATH=str(REPO)),
    )


def _class(tmp_path):
    cls = tmp_path / "class"
    (cls / "ada").mkdir(parents=True)
    (cls / "ada" / f"{A1}.ipynb").write_text(NB)
    return cls


# ---------------------------------------------------------------- one run at a time


def test_a_second_run_into_a_locked_results_folder_refuses_in_one_line(tmp_path):
    """While a run holds results/.lock, does `grade` into the same folder exit 2 with one line
    naming the holder, and change nothing there?"""
    out = tmp_path / "results"
    out.mkdir(mode=0o700)
    with runlock.hold(out) as me:
        before = sorted(p.name for p in out.iterdir())
        proc = _cli("grade", _class(tmp_path), "--out", out, "--notebooks", "01", "--unsafe")
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
        assert f"process {me.pid}" in proc.stderr and "another run" in proc.stderr
        assert sorted(p.name for p in out.iterdir()) == before
        held = json.loads((out / runlock.LOCK_NAME).read_text())
        assert held["pid"] == os.getpid() and held["process_start"] == runlock.process_start(
            os.getpid()
        )
    assert (out / runlock.LOCK_NAME).read_text() == ""  # released


def test_a_stale_lock_is_taken_over_and_said(tmp_path):
    """Is a lock whose holder is gone (killed -9: the file still names it)
    taken over, with a line saying so?"""
    out = tmp_path / "results"
    out.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (out / runlock.LOCK_NAME).write_text(
        json.dumps(
            {
                "pid": dead.pid,
                "process_start": "1",
                "started_at": "2026-12-01T10:00:00+00:00",
                "stamp": "x",
            }
        )
    )
    said = io.StringIO()
    with runlock.hold(out, said) as me:
        assert json.loads((out / runlock.LOCK_NAME).read_text())["pid"] == me.pid
    assert f"taking over the lock of a run that is gone (process {dead.pid}" in said.getvalue()


# ---------------------------------------------------------------- one course per folder

QUICKSTART_CONFIG = 'c = get_config()\nc.CourseDirectory.course_id = "course101"\n'


def test_a_folder_of_another_course_is_refused_and_left_as_it_was(tmp_path):
    """Does `grade` refuse (one line, exit 2) a folder whose nbgrader_config.py names another
    course, changing neither its config nor its permissions?"""
    out = tmp_path / "course101"
    out.mkdir()
    os.chmod(out, 0o755)
    (out / "nbgrader_config.py").write_text(QUICKSTART_CONFIG)
    proc = _cli("grade", _class(tmp_path), "--out", out, "--notebooks", "01", "--unsafe")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "'course101'" in proc.stderr and "--adopt" in proc.stderr
    assert (out / "nbgrader_config.py").read_text() == QUICKSTART_CONFIG
    assert oct(os.stat(out).st_mode & 0o777) == oct(0o755)
    assert sorted(p.name for p in out.iterdir()) == ["nbgrader_config.py"]


def test_a_gradebook_of_another_course_is_refused_unless_adopted(tmp_path):
    """Is a folder whose gradebook holds another course refused, and taken with --adopt, saying so
    (and saying that its permissions change)?"""
    from nbgrader.api import Course

    from autograder.gradebook import opened

    out = tmp_path / "results"
    out.mkdir()
    os.chmod(out, 0o755)
    db = f"sqlite:///{out / 'gradebook.db'}"
    with opened(db) as gb:  # the kit's course...
        gb.db.add(Course(id="stats101"))  # ...and another one, as another course's tools leave it
        gb.db.commit()
    with pytest.raises(UsageError, match="'stats101'"):
        resultsdir.claim(out, db, adopt=False, stream=io.StringIO())
    said = io.StringIO()
    resultsdir.claim(out, db, adopt=True, stream=said)
    assert "adopting" in said.getvalue() and "permissions 755 -> 700" in said.getvalue()
    assert os.stat(out).st_mode & 0o777 == 0o700
    fresh = tmp_path / "new" / "results"
    resultsdir.claim(
        fresh, f"sqlite:///{fresh / 'gradebook.db'}", adopt=False, stream=io.StringIO()
    )
    assert os.stat(fresh).st_mode & 0o777 == 0o700


def test_the_kit_s_own_folder_is_not_foreign(tmp_path):
    """Is a results folder the grader wrote (its config, a gradebook with
    nbgrader's default course) accepted?"""
    out = tmp_path / "results"
    out.mkdir(mode=0o700)
    (out / "nbgrader_config.py").write_text(
        f'"""... {resultsdir.CONFIG_MARK}."""\nc.CourseDirectory.course_id = {COURSE_ID!r}\n'
    )
    assert resultsdir.foreign_course(out, f"sqlite:///{out / 'gradebook.db'}") is None


# ---------------------------------------------------------------- collection reports


def test_the_cumulative_collection_report_keeps_every_run_s_rows(tmp_path):
    """Does each run's collection report stay as collection/<run>.csv and collection_report.csv
    gather them all (an older report without a `run` column included)?"""
    out = tmp_path / "results"
    out.mkdir()
    (out / "collection_report.csv").write_text(
        "source,student_id,notebook,decision,reason,late,submitted_at\n"
        "old.txt,,,unmatched,not a notebook,,\n"
    )
    for week, name in ((1, "notes.txt"), (2, "readme.md")):
        cls = tmp_path / f"week{week}"
        (cls / "ada").mkdir(parents=True)
        (cls / "ada" / f"{A1}.ipynb").write_text(NB)
        (cls / "ada" / name).write_text("x")
        resultsdir.write_reports(collect(cls, tmp_path / "unpacked"), out, f"run{week}")
    with open(out / "collection_report.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [
        (r["run"], r["source"].split("/")[-1]) for r in rows if r["decision"] == "unmatched"
    ] == [("(before runs were named)", "old.txt"), ("run1", "notes.txt"), ("run2", "readme.md")]
    assert sorted(p.name for p in (out / "collection").iterdir()) == ["run1.csv", "run2.csv"]


# ---------------------------------------------------------------- collection: renames, roster


def test_copy_of_renames_are_matched():
    """Are Google Drive's and Colab's `Copy of ...` names matched as a
    later attempt than the plain name?"""
    assert match_notebook(f"Copy of {A1}.ipynb") == (A1, 1)
    assert match_notebook(f"Copy of Copy of {A1} (2).ipynb") == (A1, 2)
    assert match_notebook(f"{A1}.ipynb") == (A1, 0)
    assert match_notebook(f"Copy of {A1}_from_friend.ipynb") is None


def test_students_missing_from_the_roster_are_listed(tmp_path):
    """Is a Canvas student whose id is not on the roster listed (id and
    name) for `grade` to print?"""
    archive = tmp_path / "canvas.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(f"lovelaceada_101_1_{A1}.ipynb", NB)
        zf.writestr(f"strangerdan_555_2_Copy of {A1}.ipynb", NB)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,lms_id\nada,101\n")
    found = collect(archive, tmp_path / "unpacked", roster=roster)
    assert found.not_on_roster == [("555", "strangerdan")]
    assert (
        (("555", A1) in found.files)
        and found.late_marker[("555", A1)] is False
        and found.lms_ids[("ada", A1)] == "101"
    )


def test_canvas_gradebook_export_is_read_as_a_roster(tmp_path):
    """Is Canvas's gradebook export a roster (ID as the student id and LMS id), its assignment
    columns kept for export, the test student, `Points Possible` and read-only columns left out?"""
    path = tmp_path / "export.csv"
    path.write_text(
        "Student,ID,SIS User ID,SIS Login ID,Section,01 Convolution "
        "(11),Current Score,Final Points\n"
        "    Points Possible,,,,,10.00,(read only),(read only)\n"
        '"Smith, Bob",12345,S1,bsmith,A,,,\n"Student, Test",999,,,A,,,\n',
        encoding="utf-8-sig",
    )
    roster = load_roster(path)
    assert [e.student_id for e in roster.entries] == ["12345"]
    entry = roster.by_lms["12345"]
    assert (entry.name, entry.sis_user_id, entry.sis_login_id, entry.section) == (
        "Smith, Bob",
        "S1",
        "bsmith",
        "A",
    )
    assert roster.lms_columns == ["01 Convolution (11)"] and roster.lms_points == {
        "01 Convolution (11)": "10.00"
    }


# ---------------------------------------------------------------- submission times


def test_moodle_worksheet_times_are_read_in_their_zone(tmp_path):
    """Are a Moodle grading worksheet's `Last modified (submission)` times read in the given zone,
    and its `Status` late marker kept; is a worksheet without --lms-timezone refused in one line?"""
    path = tmp_path / "worksheet.csv"
    path.write_text(
        "\ufeffIdentifier,Full name,Email address,Status,Grade,Maximum Grade,Grade can be changed,"
        "Last modified (submission),Last modified (grade),Feedback comments\n"
        "Participant 7001,Bob,b@x,Submitted for grading - 3 mins 31 secs late,,10,Yes,"
        '"Monday, 2 March 2026, 11:59 PM",-,\n'
        "Participant 7002,Cy,c@x,No submission,,10,Yes,-,-,\n",
        encoding="utf-8",
    )
    times = submitted.load_lms_times(path, "Europe/Berlin")
    assert times.times[("7001", None)] == datetime.datetime(
        2026, 3, 2, 22, 59, tzinfo=datetime.timezone.utc
    )
    assert times.late[("7001", None)] is True and ("7002", None) not in times.times
    with pytest.raises(UsageError, match="--lms-timezone"):
        submitted.load_lms_times(path)


def test_the_lms_time_wins_then_gradescope_then_the_first_time_seen(tmp_path):
    """Does an LMS export's time win over Gradescope's created_at, which wins over the first time
    the grader saw the file; and does an unchanged file keep its first time in a later run?"""
    times = tmp_path / "times.csv"
    times.write_text("lms_id,notebook,submitted_at\n101,01,2026-03-01T10:00:00Z\n")
    lms = submitted.load_lms_times(times)
    state = tmp_path / "state"
    seen = submitted.FirstSeen(state)
    gs = datetime.datetime(2026, 3, 2, tzinfo=datetime.timezone.utc)
    got = submitted.decide(
        "ada",
        A1,
        "abc",
        lms_ids=("101",),
        late_marker=None,
        lms=lms,
        gradescope=gs,
        first_seen=seen,
    )
    assert (got.at, got.source) == ("2026-03-01T10:00:00+00:00", "LMS submission times times.csv")
    got = submitted.decide(
        "ada", A1, "abc", lms_ids=(), late_marker=None, lms=None, gradescope=gs, first_seen=seen
    )
    assert got.source.startswith("Gradescope") and got.at == gs.isoformat()
    first = submitted.decide(
        "ada", A1, "abc", lms_ids=(), late_marker=False, lms=None, gradescope=None, first_seen=seen
    )
    seen.save()
    later = submitted.FirstSeen(state)
    later.now += datetime.timedelta(days=9)  # a week later, the same file downloaded again
    again = submitted.decide(
        "ada", A1, "abc", lms_ids=(), late_marker=False, lms=None, gradescope=None, first_seen=later
    )
    assert again.at == first.at and again.source == submitted.FIRST_SEEN_SOURCE
    changed = submitted.decide(
        "ada", A1, "def", lms_ids=(), late_marker=None, lms=None, gradescope=None, first_seen=later
    )
    assert changed.at != first.at


def test_gradescope_metadata_in_a_student_folder_gives_the_time(tmp_path):
    """Is `submission_metadata.json`'s created_at in a student's folder
    read (and reported as used)?"""
    cls = _class(tmp_path)
    (cls / "ada" / "submission_metadata.json").write_text(
        json.dumps({"created_at": "2026-03-01T12:00:00.5-08:00"})
    )
    found = collect(cls, tmp_path / "unpacked")
    assert found.gradescope_times["ada"] == datetime.datetime(
        2026, 3, 1, 20, 0, 0, 500000, tzinfo=datetime.timezone.utc
    )
    assert not found.skipped


# ---------------------------------------------------------------- progress bar


def _result(seconds):
    return NotebookResult(A1, "graded", 1.0, 1.0, [], seconds=seconds)


def test_no_estimate_before_a_notebook_is_graded_then_one_from_measured_times():
    """Does the bar show no time left before the first notebook is graded
    (reused ones say nothing), then the measured time per notebook times
    those left over the workers; and after stop() (Ctrl-C) nothing more?"""
    stream = io.StringIO()
    bar = Progress(12, stream, to_grade=10, workers=2)
    bar.update("old", _result(50.0), reused=True)
    assert "estimating" in stream.getvalue() and "left" not in stream.getvalue().replace(
        "time left", ""
    )
    bar.update("ada", _result(4.0), graded=True)
    assert stream.getvalue().splitlines()[-1].split("| ")[0].rstrip().endswith("~18s left")
    bar.stop("interrupted: 2 notebooks being graded finish and are saved, nothing else starts")
    size = len(stream.getvalue())
    bar.update("ben", _result(4.0), graded=True)
    assert len(stream.getvalue()) == size and stream.getvalue().rstrip().endswith(
        "nothing else starts"
    )


# ---------------------------------------------------------------- feedback pages


def _page(tmp_path, markdown, grades=()):
    nb = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": markdown},
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": "test_a"}},
                "source": "",
                "outputs": [],
            },
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    result = NotebookResult(A1, "graded", 0.0, 1.0, [Verdict("test_a", 0.0, 1.0, "wrong", False)])
    return feedback.render("ada", result, path, list(grades), 0.0, 1.0)


def test_feedback_renders_markdown_and_maths_and_never_student_html(tmp_path):
    """Is markdown rendered (bold, headings) and maths left for MathJax (Safe), while a student's
    raw HTML, event handlers, javascript: links and remote images never reach the page as markup?"""
    page = _page(
        tmp_path,
        "## Part 1\n**bold** and $x^2$\n\n$$\\frac{a}{b}$$\n\n<script>alert(1)</script>\n\n"
        "x <img src=x onerror=alert(2)> [click](javascript:alert(3)) "
        "![t](http://evil.example/p.png) $</span><script>alert(4)</script>$",
    )
    assert "<h2>Part 1</h2>" in page and "<strong>bold</strong>" in page
    assert "\\(x^2\\)" in page and "$$" in page and "Safe" in page
    body = page.split("</head>", 1)[1]
    assert "<script" not in body and "<img" not in body and 'href="javascript' not in body
    assert "evil.example" not in page and "&lt;script&gt;alert(1)" in body


def test_feedback_escapes_every_text_a_student_or_ta_wrote(tmp_path):
    """Does the template (autoescaped) show as text every value that reaches
    the page from a student or a TA: the student id, the status detail, the
    notes, a test's message, a TA's comments, the code, its printed output,
    a traceback and a grade id, and never let a quote close an attribute?"""
    from autograder.gradebook import CellGrade

    x = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": "test_a"}},
                "source": "",
                "outputs": [],
            },
            {
                "cell_type": "code",
                "metadata": {"nbgrader": {"grade_id": x}},
                "source": x,
                "outputs": [
                    {"output_type": "stream", "text": [x]},
                    {"output_type": "execute_result", "data": {"text/plain": x, "image/png": x}},
                    {"output_type": "error", "ename": x, "traceback": [x]},
                ],
            },
            {"cell_type": "markdown", "metadata": {"nbgrader": {"grade_id": "q_1"}}, "source": x},
        ]
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb))
    result = NotebookResult(
        A1, "crashed", 0.0, 1.0, [Verdict("test_a", 0.0, 1.0, x, False)], detail=x, notes=[x]
    )
    grades = [
        CellGrade("test_a", 0.0, 1.0, False, False, comment=x),
        CellGrade("q_1", None, 2.0, True, True, x),
    ]
    page = feedback.render(x, result, path, grades, 0.0, 3.0, comments={"q_1": x, x: x})
    body = page.split("</head>", 1)[1]
    assert "<script" not in body and "<img" not in body and "onerror=alert(2)>" not in body
    # mistune's own markup for images aside
    assert "'>" not in body.replace("<span class='muted'>", "")
    shown = body.count("&lt;script&gt;alert(1)&lt;/script&gt;")
    # the id, detail, note, message twice (table, inline), the TA's two comments, the code, three
    # outputs, the written answer (mistune escapes it the same way)
    assert shown >= 11, shown


def test_a_ta_override_is_the_inline_verdict(tmp_path):
    """Does a TA's override show as the exercise's verdict on the page, not the autograder's?"""
    from autograder.gradebook import CellGrade

    page = _page(tmp_path, "text", [CellGrade("test_a", 1.0, 1.0, True, False)])
    assert (
        "<b>test_a</b>: passed (1 / 1 (set by a TA))" in page
        and "failed" not in page.split("<h2>")[1]
    )
    assert "<script" not in page  # no maths: no MathJax
