"""Does `python -m autograder grade` grade a whole class as a TA needs?
(end to end, the real grader)

The tests marked CLASS read the one graded class of tests/graded_class.py (the
`graded_class` fixture, shared with tests/test_sandbox.py): every notebook's
untouched release and a student who keeps a helper and an import in cells of
their own and whose one exercise never returns (the reference answers are the
run's pre-flight); every forging
student; students who edited, moved or deleted test cells or deleted an
exercise; a partial, a crashing and a set of malformed submissions.
"""

import csv
import html
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import types
import zipfile

import markupsafe
import pytest

from autograder import csvsafe, sampleclass, sandbox, selftest
from autograder.course import CHECKOUT
from autograder.grade import GRADE_COLUMNS, TEST_COLUMNS
from autograder.paths import ASSIGNMENTS, REPO
from tests.graded_class import (
    CRASH_NOTEBOOK,
    EDITS,
    FORGERS,
    LIMITS,
    A,
    hang_exercise,
    helper_hang_id,
    put,
    rows_of_tests,
    source_tests,
)

pytestmark = pytest.mark.slow
# the tests that share the graded class run on one worker
CLASS = pytest.mark.xdist_group("class")
# graded by stock nbgrader: its kernels need no TensorFlow
STOCK = "04_gaussian_generative_models"


def _run(*args, env=None, timeout=1500):
    if args and args[0] == "grade" and not sandbox.capabilities()["namespaces"]:
        args = (*args, "--unsafe")  # a developer's machine without root: our own students only
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def graded(graded_class):
    return graded_class.root, graded_class.cls, graded_class.out, graded_class.proc


def _by_student(out, assignment=None):
    return {
        r["student_id"]: r for r in _rows(out / "grades.csv") if assignment in (None, r["notebook"])
    }


@CLASS
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_and_helper_cells_earn_full_marks_and_the_release_nothing(graded, assignment):
    """Do the reference (the run's pre-flight) and a student with helpers in
    their own cells earn full marks (but for their one exercise that never
    returns: tests/test_sandbox.py reads its messages), and the release 0?"""
    out, proc = graded[2], graded[3]
    rows = _by_student(out, assignment)
    preflight = next(line for line in proc.stderr.splitlines() if line.startswith("pre-flight: "))
    checked = (
        preflight.split("the reference answers of ", 1)[1]
        .split(" earn full marks", 1)[0]
        .split(", ")
    )
    assert assignment[:2] in checked, preflight
    sid, hang = helper_hang_id(assignment), hang_exercise(assignment)
    tests = rows_of_tests(out, sid, assignment)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert (
        tests
        and rows[sid]["status"] == "graded"
        and failed == {t for t in tests if t.startswith(f"test_{hang}")}
    ), (rows[sid], {k: v["message"] for k, v in tests.items() if v["message"]})
    kept = sum(float(r["max_score"]) for t, r in tests.items() if t not in failed)
    assert (
        float(rows[sid]["score"])
        == kept
        == sum(t.points for t in source_tests(assignment) if t.test_id not in failed)
    )
    blank = rows[f"blank-{assignment[:2]}"]
    assert blank["status"] == "graded" and float(blank["score"]) == 0
    blank_tests = rows_of_tests(out, f"blank-{assignment[:2]}", assignment)
    assert blank_tests and all("not done yet" in t["message"] for t in blank_tests.values())


@CLASS
@pytest.mark.parametrize("case", FORGERS, ids=lambda c: f"{c.assignment[:2]}-{c.name}")
def test_forging_student_gets_only_what_its_real_functions_earn(graded, case):
    """Does a student who patches checks, NumPy or models, or returns
    always-equal objects, lose exactly its cells?"""
    out = graded[2]
    sid = f"{case.name}-{case.assignment[:2]}"
    tests = rows_of_tests(out, sid, case.assignment)
    row = _by_student(out, case.assignment)[sid]
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert row["status"] == "graded" and failed == set(case.expect_failed), (
        case.description,
        row,
        failed,
    )


@CLASS
def test_deleted_moved_or_edited_test_cells_change_nothing(graded):
    """Does a correct notebook whose test cells were deleted, moved or
    edited still earn full marks, with a note?"""
    out = graded[2]
    row = _by_student(out, A)["tests-deleted-01"]
    assert row["status"] == "graded" and float(row["score"]) == CHECKOUT.max_score(A), row
    page = (out / "feedback" / "tests-deleted-01" / A / f"{A}.html").read_text()
    assert "restored from the released notebook" in page


@CLASS
def test_a_deleted_exercise_cell_costs_only_that_exercise(graded):
    """Does deleting one exercise cell lose that exercise's tests and nothing else?"""
    out = graded[2]
    tests = rows_of_tests(out, "exercise-deleted-01", A)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert failed == {"test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"}, failed


@CLASS
@pytest.mark.parametrize("edit", EDITS, ids=lambda f: f.__name__.strip("_"))
def test_editing_tests_or_metadata_of_a_blank_notebook_gains_nothing(graded, edit):
    """Does a blank notebook whose tests, points or kernelspec were edited
    earn 0 of the true maximum?"""
    row = _by_student(graded[2], A)[f"edit{edit.__name__}"]
    assert row["status"] == "graded" and float(row["score"]) == 0, row
    # the true maximum, written answers included
    assert float(row["max_score"]) == CHECKOUT.max_score(A) + CHECKOUT.manual_points(A)


@CLASS
def test_partial_crashing_malformed_and_missing_submissions(graded):
    """Do partial, crashing, malformed, linked and missing notebooks get
    their status, and nothing stops the run?"""
    _, _, out, proc = graded
    rows = _by_student(out, A)
    assert rows["cy_partial"]["status"] == "graded" and 0 < float(rows["cy_partial"]["score"]) < 13
    crash = _by_student(out, CRASH_NOTEBOOK)["dee_crash"]
    assert crash["status"] == "crashed" and float(crash["score"]) == 0, crash
    for sid in ("empty", "not_json", "truncated", "other_language", "two_gb"):
        assert rows[sid]["status"] == "invalid" and float(rows[sid]["score"]) == 0, rows[sid]
    assert "written in R" in rows["other_language"]["detail"]
    assert rows["linked"]["status"] == "missing" and rows["fay_none"]["status"] == "missing"
    report = (out / "collection_report.csv").read_text()
    assert "linked" in report and "link" in proc.stderr


@CLASS
def test_csv_files_have_their_columns_and_agree(graded):
    """Do grades.csv and tests.csv have their columns, one row per
    student-notebook, and agree on scores?"""
    out = graded[2]
    grades, tests = _rows(out / "grades.csv"), _rows(out / "tests.csv")
    assert list(grades[0]) == GRADE_COLUMNS and list(tests[0]) == TEST_COLUMNS
    students = {p.name for p in (graded[1]).iterdir()}
    assert {(csvsafe.unsafe_cell(r["student_id"]), r["notebook"]) for r in grades} == {
        (s, a) for s in students for a in ASSIGNMENTS
    }
    assert len(grades) == len(students) * len(ASSIGNMENTS)
    for row in grades:
        mine = [
            t
            for t in tests
            if t["student_id"] == row["student_id"] and t["notebook"] == row["notebook"]
        ]
        assert len(mine) == len(source_tests(row["notebook"]))
        assert sum(float(t["score"]) for t in mine) == pytest.approx(float(row["score"]))


@CLASS
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_feedback_and_autograded_notebooks_never_show_hidden_tests(graded, assignment):
    """Do the feedback pages and autograded notebooks show the student's
    code and verdicts, but no hidden test line?"""
    out = graded[2]
    lines = selftest.hidden_lines(assignment)
    assert lines
    for sid in (f"blank-{assignment[:2]}", helper_hang_id(assignment)):
        page = (out / "feedback" / sid / assignment / f"{assignment}.html").read_text()
        notebook = (out / "autograded" / sid / assignment / f"{assignment}.ipynb").read_text()
        for line in lines:
            # as written, or escaped as html.escape or the page's template
            # (markupsafe: &#34; &#39;) would write it
            shown = {line, html.escape(line), str(markupsafe.escape(line))}
            assert not [s for s in shown if s in page], f"{sid}: feedback leaks {line!r}"
            assert line not in notebook, f"{sid}: autograded notebook leaks {line!r}"
    helper = (
        out / "feedback" / helper_hang_id(assignment) / assignment / f"{assignment}.html"
    ).read_text()
    assert "_my_isfinite" in helper  # the student's own code is shown
    assert (
        "not done yet"
        in (
            out / "feedback" / f"blank-{assignment[:2]}" / assignment / f"{assignment}.html"
        ).read_text()
    )


@CLASS
def test_results_folder_is_an_nbgrader_course_with_every_grade(graded):
    """Does the results folder hold nbgrader's layout and a gradebook with
    every student's scores?"""
    out = graded[2]
    from nbgrader.api import Gradebook

    assert "db_url" in (out / "nbgrader_config.py").read_text()
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for row in _rows(out / "grades.csv"):
            if row["status"] == "missing":
                continue
            a, sid = row["notebook"], csvsafe.unsafe_cell(row["student_id"])
            assert (out / "autograded" / sid / a / f"{a}.ipynb").is_file() or row[
                "status"
            ] == "invalid", row
            nb = gb.find_submission_notebook(a, a, sid)
            assert nb.score == pytest.approx(float(row["score"]))


@CLASS
def test_rerun_regrades_only_what_did_not_finish(graded):
    """Does a second run reuse every finished result, regrade the crashed
    one, and leave the tables alone?"""
    _, cls, out, _ = graded
    before = _rows(out / "grades.csv")
    proc = _run(
        "grade", cls, "--out", out, "--workers", "3", "--notebooks", CRASH_NOTEBOOK[:2], *LIMITS
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "1 graded now" in proc.stdout, proc.stdout  # dee_crash: crashed results are never reused
    after = _rows(out / "grades.csv")
    assert [{k: v for k, v in r.items() if k != "seconds"} for r in after] == [
        {k: v for k, v in r.items() if k != "seconds"} for r in before
    ]


@CLASS
def test_a_late_submission_and_a_ta_override_keep_every_row(graded, tmp_path):
    """Does grading one late notebook into the same folder replace only its
    row, and does a TA's score show up?"""
    import shutil

    _, cls, out, _ = graded
    out2, late = tmp_path / "out", tmp_path / "late"
    shutil.copytree(out, out2)
    before = {(r["student_id"], r["notebook"]): r for r in _rows(out2 / "grades.csv")}
    sid = helper_hang_id(A)
    put(late, "newcomer", A, selftest.build_submission(A))
    proc = _run("grade", late, "--out", out2, "--notebooks", "01", *LIMITS)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # the class run's pre-flight is remembered
    assert "1 unchanged since their last check" in proc.stderr
    after = {(r["student_id"], r["notebook"]): r for r in _rows(out2 / "grades.csv")}
    assert set(after) == set(before) | {("newcomer", A)}
    assert all(after[k] == v for k, v in before.items())
    from nbgrader.api import Gradebook

    # what formgrader does for an override
    with Gradebook(f"sqlite:///{out2 / 'gradebook.db'}") as gb:
        grade = gb.find_grade("test_conv2d_naive", A, A, sid)
        assert grade.auto_score == grade.max_score > 0
        points = grade.max_score
        grade.manual_score = 0.0
        comment = gb.find_comment("conv2d_naive", A, A, sid)
        comment.manual_comment = "looks copied"
        gb.db.commit()
    proc = _run("grade", late, "--out", out2, "--notebooks", "01", *LIMITS)
    rows = {(r["student_id"], r["notebook"]): r for r in _rows(out2 / "grades.csv")}
    assert float(rows[(sid, A)]["score"]) == float(before[(sid, A)]["score"]) - points
    assert rows[(sid, A)]["manual_score"] == "0"
    page = (out2 / "feedback" / sid / A / f"{A}.html").read_text()
    assert "set by a TA" in page


@pytest.fixture(scope="module")
def resumed_run(tmp_path_factory):
    """A sample class of notebook 01 whose grading is killed with -9 once a
    first result is recorded, then graded again to the end into the same
    folder; what the kill left and what the second run found."""
    import psutil

    root = tmp_path_factory.mktemp("resumed")
    cls, out = root / "class", root / "out"
    sampleclass.make(cls, [A])
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(cls),
            "--out",
            str(out),
            "--notebooks",
            "01",
            "--workers",
            "1",
        ],
        cwd=REPO,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((out / ".state").glob("*/*.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()

    # processes of the killed grader's jobs: its zygote, and whatever is in its jobs' cgroups
    def survivors():
        pids = {
            p.pid
            for p in psutil.process_iter(["cmdline"])
            if f"aekit-{proc.pid}-" in " ".join(p.info["cmdline"] or [])
        }
        for tasks in pathlib.Path("/sys/fs/cgroup").glob(f"*/aekit-{proc.pid}-*/cgroup.procs"):
            pids |= {int(x) for x in tasks.read_text().split()}
        return [
            p
            for p in pids
            if psutil.pid_exists(p) and psutil.Process(p).status() != psutil.STATUS_ZOMBIE
        ]

    deadline = time.monotonic() + 10
    while survivors() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = survivors()
    finished = {p.parent.name: p.read_text() for p in (out / ".state").glob("*/*.json")}
    rerun = _run("grade", cls, "--out", out, "--notebooks", "01")
    cgroups = list(pathlib.Path("/sys/fs/cgroup").glob(f"*/aekit-{proc.pid}-*"))
    return types.SimpleNamespace(
        cls=cls, out=out, survivors=left, finished=finished, rerun=rerun, cgroups=cgroups
    )


@pytest.mark.xdist_group("resumed")
def test_killed_run_loses_nothing_and_resumes(resumed_run):
    """After a kill -9 mid-run, does a rerun keep the finished results,
    grade only the rest, and leave no process?"""
    run = resumed_run
    assert not run.survivors, "a process of the killed grader's jobs outlived it"
    assert 1 <= len(run.finished) < 5
    assert run.rerun.returncode == 0, run.rerun.stderr
    assert not run.cgroups, "the killed run's cgroups remain"
    assert len(_rows(run.out / "grades.csv")) == 5
    for sid, text in run.finished.items():
        if json.loads(text)["result"]["status"] in ("graded", "missing"):
            assert (run.out / ".state" / sid / f"{A}.json").read_text() == text


@pytest.mark.xdist_group("resumed")
def test_a_failed_pre_flight_records_nothing_and_keeps_earlier_results(resumed_run, tmp_path):
    """When the reference answers lose points (here: a memory limit no kernel
    survives), does the run stop with one line and a non-zero exit, record
    nothing, and leave an earlier run's results and notebooks as they were?"""
    import shutil

    # the resumed run's class and results, graded to the end
    cls, out = tmp_path / "class", tmp_path / "out"
    shutil.copytree(resumed_run.cls, cls)
    shutil.copytree(resumed_run.out, out)
    before = {p: p.read_bytes() for p in sorted((out / "autograded").rglob("*.ipynb"))} | {
        out / "grades.csv": (out / "grades.csv").read_bytes()
    }
    assert len(before) > 1
    records = sorted((out / ".state").rglob("*.json"))
    (cls / "newcomer").mkdir()
    (cls / "newcomer" / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    for p in (cls / "ada_full").glob("*.ipynb"):  # a resubmission, regraded in the failing run
        p.write_text(json.dumps(selftest.build_submission(A, blank=True)))
    proc = _run("grade", cls, "--out", out, "--notebooks", "01", "--memory", "0.05")
    assert proc.returncode == 2, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert (
        "pre-flight: the reference answers of 01_conv_as_matrix earn 0/" in last
        and "nothing was graded" in last
    )
    assert sorted((out / ".state").rglob("*.json")) == records
    assert not (out / "autograded" / "newcomer").exists()
    assert {p: p.read_bytes() for p in before} == before


def test_an_lms_zip_is_graded_under_lms_ids(tmp_path):
    """Is a Canvas-style zip graded, each student under their LMS user id,
    a resubmission winning?"""
    cls = tmp_path / "class"
    sampleclass.make(cls, [A])
    lms_zip = tmp_path / "lms.zip"
    with zipfile.ZipFile(lms_zip, "w") as zf:
        zf.write(cls / "ada_full" / f"{A}.ipynb", f"ada_late_1234_5678_{A}.ipynb")
        zf.write(cls / "ben_blank" / f"{A}.ipynb", f"ben_1111_2222_{A}.ipynb")
        zf.write(cls / "ada_full" / f"{A}.ipynb", f"ben_1111_2223_{A}-1.ipynb")  # resubmission wins
        zf.writestr("readme.txt", "not a notebook")
        zf.writestr("../evil.ipynb", "{}")
    out = tmp_path / "out"
    proc = _run(
        "grade",
        lms_zip,
        "--out",
        out,
        "--notebooks",
        "01",
        "--db",
        f"sqlite:///{tmp_path / 'elsewhere.db'}",
    )
    assert proc.returncode == 0, proc.stderr
    rows = _by_student(out)
    assert set(rows) == {"1234", "1111"} and float(rows["1111"]["score"]) == CHECKOUT.max_score(A)
    assert rows["1234"]["late"] == "yes"
    assert "readme.txt" in (out / "collection_report.csv").read_text()
    assert (tmp_path / "elsewhere.db").is_file() and not (out / "gradebook.db").exists()
    assert not (tmp_path / "evil.ipynb").exists()


def test_stock_nbgrader_still_grades_the_course(tmp_path):
    """Does plain `nbgrader autograde` on the course give the reference full marks and the release
    0? (Notebook 04, the one whose kernels need no TensorFlow: every notebook's cells and tests are
    laid out alike, and test_release.py checks that layout for all six.)"""
    course = tmp_path / "course"
    course.mkdir()
    (course / "source").symlink_to(REPO / "solutions")
    for sid, nb in (
        ("ref", selftest.build_submission(STOCK)),
        ("blank", selftest.build_submission(STOCK, blank=True)),
    ):
        target = course / "submitted" / sid / STOCK / f"{STOCK}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_text(json.dumps(nb))
    env = dict(
        os.environ,
        TF_CPP_MIN_LOG_LEVEL="2",
        MPLBACKEND="Agg",
        PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
    )
    args = [
        f"--CourseDirectory.root={course}",
        f"--CourseDirectory.db_url=sqlite:///{course / 'gb.db'}",
        "--CourseDirectory.course_id=autoencoders",
    ]
    for cmd in (["generate_assignment", STOCK, "--force"], ["autograde", STOCK, "--force"]):
        proc = subprocess.run(
            [sys.executable, "-m", "nbgrader", *cmd, *args],
            cwd=course,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gb.db'}") as gb:
        assert gb.find_submission_notebook(STOCK, STOCK, "ref").score == sum(
            t.points for t in source_tests(STOCK)
        )
        assert gb.find_submission_notebook(STOCK, STOCK, "blank").score == 0


@pytest.mark.parametrize(
    "args, needle",
    [
        (["grade", "/no/such/folder", "--out", "/tmp/x"], "does not exist"),
        (["grade", ".", "--out", "/tmp/x", "--workers", "0"], "at least 1"),
        (["grade", ".", "--out", "/tmp/x", "--notebooks", "07"], "unknown notebook"),
        (["grade", ".", "--out", "/tmp/x", "--timeout", "soon"], "number of seconds"),
        (["validate", "/no/such.ipynb"], "does not exist"),
        (["frobnicate"], "invalid choice"),
    ],
)
def test_bad_arguments_give_one_line(args, needle):
    """Does a person's mistake give a one-line message and exit 2, not a traceback?"""
    proc = _run(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_missing_solutions_is_reported_in_one_line(tmp_path):
    """Does the grader say so in one line when there is no solutions/ folder?"""
    env = dict(os.environ, AEKIT_REPO=str(tmp_path))
    (tmp_path / "s1").mkdir()
    proc = _run("grade", tmp_path, "--out", tmp_path / "out", env=env)
    assert proc.returncode == 2 and "solutions" in proc.stderr and "Traceback" not in proc.stderr
