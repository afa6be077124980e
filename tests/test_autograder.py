"""Does `python -m autograder grade` grade a class as a TA needs? (end to end, real nbgrader)"""
import csv
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile

import pytest

from autograder import sampleclass, selftest
from autograder.grade import GRADE_COLUMNS, TEST_COLUMNS
from autograder.nbgrade import test_cells as cells_of
from autograder.paths import REPO

A = "01_conv_as_matrix"
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("autograder")]


def _run(*args, env=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, env=env, timeout=timeout)


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _make_class(root: pathlib.Path) -> pathlib.Path:
    cls = root / "class"
    sampleclass.make(cls, [A])
    first = next(iter(selftest._solution_sources(A)))
    hang = selftest.build_submission(A, {first: "while True:\n    pass\n"})
    (cls / "hal_hang").mkdir()
    (cls / "hal_hang" / f"{A}.ipynb").write_text(json.dumps(hang))
    (cls / "ivy_invalid").mkdir()
    (cls / "ivy_invalid" / f"{A}.ipynb").write_text('{"cells": [')
    (cls / "fay_none").mkdir()
    return cls


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("grade")
    cls = _make_class(root)
    out = root / "out"
    proc = _run("grade", cls, "--out", out, "--notebooks", "01", "--timeout", "40", "--workers", "2")
    assert proc.returncode == 0, proc.stderr
    return root, cls, out, proc


def test_each_student_gets_the_right_status_and_score(graded):
    """Do full, blank, partial, crashing, hanging, malformed and missing notebooks get their status and score?"""
    _, _, out, _ = graded
    rows = {r["student_id"]: r for r in _rows(out / "grades.csv")}
    top = str(int(sum(t["points"] for t in cells_of(A)))) if sum(
        t["points"] for t in cells_of(A)).is_integer() else None
    assert rows["ada_full"]["status"] == "graded" and rows["ada_full"]["score"] == rows["ada_full"]["max_score"]
    if top:
        assert rows["ada_full"]["max_score"] == top
    assert rows["ben_blank"]["status"] == "graded" and float(rows["ben_blank"]["score"]) == 0
    assert rows["dee_crash"]["status"] == "crashed" and float(rows["dee_crash"]["score"]) == 0
    assert rows["hal_hang"]["status"] == "timeout"
    assert rows["ivy_invalid"]["status"] == "invalid" and float(rows["ivy_invalid"]["score"]) == 0
    assert rows["fay_none"]["status"] == "missing"
    partial = float(rows["cy_partial"]["score"])
    assert rows["cy_partial"]["status"] == "graded"
    assert 0 < partial < float(rows["cy_partial"]["max_score"]) or len(cells_of(A)) < 4
    assert all(r["status"] for r in rows.values())


def test_csv_files_have_the_documented_columns(graded):
    """Do grades.csv and tests.csv have their columns, one row per student-notebook and per test cell?"""
    _, _, out, _ = graded
    grades, tests = _rows(out / "grades.csv"), _rows(out / "tests.csv")
    assert list(grades[0]) == GRADE_COLUMNS and list(tests[0]) == TEST_COLUMNS
    assert len(grades) == len({(r["student_id"], r["notebook"]) for r in grades}) == 8
    assert len(tests) == 8 * len(cells_of(A))
    for sid in {r["student_id"] for r in grades}:
        score = sum(float(t["score"]) for t in tests if t["student_id"] == sid)
        assert score == float(next(r["score"] for r in grades if r["student_id"] == sid))


def test_feedback_shows_results_but_never_hidden_test_source(graded):
    """Is there a feedback page per student and notebook that shows messages but no hidden test code?"""
    _, _, out, _ = graded
    source = json.loads((REPO / "solutions" / A / f"{A}.ipynb").read_text())
    hidden_lines, shown = set(), []
    for cell in source["cells"]:
        src = "".join(cell["source"])
        if "### BEGIN HIDDEN TESTS" in src:
            before, rest = src.split("### BEGIN HIDDEN TESTS", 1)
            body, after = rest.split("### END HIDDEN TESTS", 1)
            hidden_lines |= {ln.strip() for ln in body.splitlines() if len(ln.strip()) > 12}
            src = before + after
        shown.append(src)
    shown_text = "\n".join(shown)  # a line that also sits in the answers or visible tests is no secret
    hidden_lines = {ln for ln in hidden_lines if ln not in shown_text}
    assert hidden_lines
    for sid in ["ada_full", "ben_blank", "cy_partial", "dee_crash", "hal_hang", "ivy_invalid", "fay_none"]:
        page = (out / "feedback" / sid / f"{A}.html").read_text()
        assert "points" in page
        import html
        for line in hidden_lines:
            assert line not in page and html.escape(line) not in page, f"{sid}: leaks {line!r}"
    assert "not done yet" in (out / "feedback" / "ben_blank" / f"{A}.html").read_text()


def test_gradebook_holds_every_grade(graded):
    """Does nbgrader's gradebook hold each student's score for each test cell?"""
    _, _, out, _ = graded
    con = sqlite3.connect(out / "gradebook.db")
    students = {r[0] for r in con.execute("select id from student")}
    assert {"ada_full", "ben_blank", "dee_crash"} <= students
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        for row in _rows(out / "grades.csv"):
            nb = gb.find_submission_notebook(A, A, row["student_id"])
            assert nb.score == pytest.approx(float(row["score"]))


def test_rerun_regrades_nothing_and_duplicates_nothing(graded):
    """Does a second run on the same input reuse every result and leave the tables unchanged?"""
    _, cls, out, _ = graded
    before = (out / "grades.csv").read_text(), (out / "tests.csv").read_text()
    proc = _run("grade", cls, "--out", out, "--notebooks", "01", "--timeout", "40")
    assert proc.returncode == 0
    assert "0 graded now" in proc.stdout
    assert ((out / "grades.csv").read_text(), (out / "tests.csv").read_text()) == before


def test_changed_submission_alone_is_regraded(graded, tmp_path):
    """Does editing one student's notebook regrade only that notebook?"""
    _, cls, out, _ = graded
    import shutil

    cls2, out2 = tmp_path / "class", tmp_path / "out"
    shutil.copytree(cls, cls2)
    shutil.copytree(out, out2)
    (cls2 / "ivy_invalid" / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    proc = _run("grade", cls2, "--out", out2, "--notebooks", "01", "--timeout", "40")
    assert "1 graded now" in proc.stdout, proc.stdout
    rows = {r["student_id"]: r for r in _rows(out2 / "grades.csv")}
    assert rows["ivy_invalid"]["status"] == "graded" and rows["ivy_invalid"]["score"] == rows["ivy_invalid"]["max_score"]
    assert len(rows) == 8


def test_killed_run_loses_nothing_and_resumes(tmp_path):
    """After a kill -9 mid-run, does a rerun keep the finished results and grade only the rest?"""
    cls = tmp_path / "class"
    sampleclass.make(cls, [A])
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(out),
                             "--notebooks", "01", "--workers", "1"], cwd=REPO, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and not list((out / ".state").glob("*/*.json")):
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    import psutil

    time.sleep(1)
    orphans = [p for p in psutil.process_iter(["cmdline"])
               if f"zygote-{proc.pid}-" in " ".join(p.info["cmdline"] or [])]
    assert not orphans, "the kernel zygote outlived the killed grader"
    done = list((out / ".state").glob("*/*.json"))
    assert 1 <= len(done) < 5
    finished = {p.parent.name: p.read_text() for p in done}
    rerun = _run("grade", cls, "--out", out, "--notebooks", "01")
    assert rerun.returncode == 0
    assert f"{len(done)} unchanged" in rerun.stdout
    for sid, text in finished.items():
        assert (out / ".state" / sid / f"{A}.json").read_text() == text
    assert len(_rows(out / "grades.csv")) == 5


def test_zip_forms_are_accepted(tmp_path):
    """Are a zip of the class folder and an LMS zip of files named by student graded alike?"""
    cls = tmp_path / "class"
    sampleclass.make(cls, [A])
    folder_zip = tmp_path / "class.zip"
    with zipfile.ZipFile(folder_zip, "w") as zf:
        for p in cls.rglob("*.ipynb"):
            zf.write(p, f"class/{p.relative_to(cls)}")
        zf.writestr("../evil.ipynb", "{}")
    lms_zip = tmp_path / "lms.zip"
    with zipfile.ZipFile(lms_zip, "w") as zf:
        zf.write(cls / "ada_full" / f"{A}.ipynb", f"ada_late_1234_5678_{A}.ipynb")
        zf.write(cls / "ben_blank" / f"{A}.ipynb", f"ben_1111_2222_{A}.ipynb")
        zf.write(cls / "ada_full" / f"{A}.ipynb", f"ben_1111_2222_{A}-1.ipynb")  # resubmission wins
        zf.writestr("readme.txt", "not a notebook")
    out1, out2 = tmp_path / "o1", tmp_path / "o2"
    p1 = _run("grade", folder_zip, "--out", out1, "--notebooks", "01")
    assert p1.returncode == 0, p1.stderr
    assert "evil" in p1.stderr and not (tmp_path / "evil.ipynb").exists()
    rows = {r["student_id"]: r for r in _rows(out1 / "grades.csv")}
    assert set(rows) == set(sampleclass.STUDENTS)
    p2 = _run("grade", lms_zip, "--out", out2, "--notebooks", "01")
    assert p2.returncode == 0, p2.stderr
    rows = {r["student_id"]: r for r in _rows(out2 / "grades.csv")}
    assert set(rows) == {"ada", "ben"}
    assert rows["ben"]["score"] == rows["ben"]["max_score"]


@pytest.mark.parametrize("args, needle", [
    (["grade", "/no/such/folder", "--out", "/tmp/x"], "does not exist"),
    (["grade", ".", "--out", "/tmp/x", "--workers", "0"], "at least 1"),
    (["grade", ".", "--out", "/tmp/x", "--notebooks", "07"], "unknown notebook"),
    (["grade", ".", "--out", "/tmp/x", "--timeout", "soon"], "number of seconds"),
    (["validate", "/no/such.ipynb"], "does not exist"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_arguments_give_one_line(args, needle):
    """Does a person's mistake give a one-line message and exit 2, not a traceback?"""
    proc = _run(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_missing_solutions_is_reported_in_one_line(tmp_path):
    """Does the grader say so in one line when there is no solutions/ folder?"""
    env = dict(os.environ, AEKIT_REPO=str(tmp_path))
    proc = _run("grade", tmp_path, "--out", tmp_path / "out", env=env)
    assert proc.returncode == 2 and "solutions" in proc.stderr and "Traceback" not in proc.stderr


def test_gradebook_can_live_at_any_sqlalchemy_url(tmp_path):
    """Does --db put the gradebook where the TA says?"""
    cls = tmp_path / "class"
    (cls / "ada").mkdir(parents=True)
    (cls / "ada" / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    db = tmp_path / "elsewhere" / "course.db"
    db.parent.mkdir()
    proc = _run("grade", cls, "--out", tmp_path / "out", "--notebooks", "01", "--db", f"sqlite:///{db}")
    assert proc.returncode == 0, proc.stderr
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{db}") as gb:
        nb = gb.find_submission_notebook(A, A, "ada")
        assert nb.score == nb.max_score > 0
    assert not (tmp_path / "out" / "gradebook.db").exists()


def test_malformed_submissions_are_recorded_not_fatal(tmp_path):
    """Are empty, non-JSON, other-language, 2 GB and linked notebooks recorded as such while a student with a non-UTF-8 name is graded?"""
    cls = tmp_path / "class"
    good = json.dumps(selftest.build_submission(A))
    cases = {
        "empty": b"",
        "not_json": b"\x89PNG\r\n\x1a\n not a notebook",
        "truncated": good[: len(good) // 2].encode(),
    }
    for sid, data in cases.items():
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_bytes(data)
    r_nb = json.loads(good)
    r_nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    r_nb["metadata"]["language_info"] = {"name": "R"}
    (cls / "other_language").mkdir()
    (cls / "other_language" / f"{A}.ipynb").write_text(json.dumps(r_nb))
    (cls / "two_gb").mkdir()
    with open(cls / "two_gb" / f"{A}.ipynb", "wb") as f:  # sparse: costs no disk
        f.truncate(2 * 1024**3)
    (cls / "linked").mkdir()
    (cls / "linked" / f"{A}.ipynb").symlink_to(REPO / "solutions" / A / f"{A}.ipynb")
    weird = os.fsdecode(b"stu\xffdent")
    (cls / weird).mkdir()
    (cls / weird / f"{A}.ipynb").write_text(good)
    out = tmp_path / "out"
    proc = _run("grade", cls, "--out", out, "--notebooks", "01", "--timeout", "60")
    assert proc.returncode == 0, proc.stderr
    rows = {r["student_id"]: r for r in _rows(out / "grades.csv")}
    for sid in ("empty", "not_json", "truncated", "other_language", "two_gb"):
        assert rows[sid]["status"] == "invalid" and float(rows[sid]["score"]) == 0, rows[sid]
    assert "written in R" in rows["other_language"]["detail"]
    assert rows["linked"]["status"] == "missing", rows["linked"]
    assert "link" in proc.stderr
    assert rows["stu-dent"]["status"] == "graded" and rows["stu-dent"]["score"] == rows["stu-dent"]["max_score"]
