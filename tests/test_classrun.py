"""The class run (grade.ClassRun) without kernels: what it reads of the sources,
what reaches the launcher, and the options around it (the call timeout,
--verbose, the nbgrader_config.py writer). The launcher is faked: each notebook
earns what its tests are worth, and each call says what it was given."""

from __future__ import annotations

import csv
import json
import logging
import shutil

import pytest

from autograder import cells, cli, course, grade, launcher, nbconfig, paths, reference, resultsdir
from autograder import results as verdicts

A = "01_conv_as_matrix"


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def checkout(tmp_path, monkeypatch):
    """A checkout's solutions/ of its own (A's sources), which a test may
    edit while a run grades."""
    solutions = tmp_path / "checkout" / "solutions"
    shutil.copytree(
        paths.SOLUTIONS / A, solutions / A, ignore=shutil.ignore_patterns(".ipynb_checkpoints")
    )
    monkeypatch.setattr(course, "SOLUTIONS", solutions)
    return solutions


@pytest.fixture
def fake_launcher(monkeypatch):
    """Launcher.run faked (full marks for the tests it is given; every call's
    arguments kept), warm a no-op, and `on_warm` run when the run starts its
    launcher (after the run copied the sources, before any grading)."""
    calls, on_warm = [], []

    def run(self, job):
        tests = job.tests
        calls.append(
            {
                "assignment": job.assignment,
                "source": job.source.read_bytes(),
                "submission": job.submission.read_text(),
                "tests": list(tests),
                "timeout": job.timeout,
                "call_seconds": job.call_seconds,
            }
        )
        return verdicts.NotebookResult(
            job.assignment,
            "graded",
            sum(t.points for t in tests),
            sum(t.points for t in tests),
            [verdicts.TestResult(t.test_id, t.points, t.points, "", t.hidden) for t in tests],
        )

    monkeypatch.setattr(launcher.Launcher, "run", run)
    monkeypatch.setattr(launcher.Launcher, "warm", lambda self: [f() for f in on_warm])
    return calls, on_warm


def _class(root, students):
    for sid in students:
        (root / sid).mkdir(parents=True)
        (root / sid / f"{A}.ipynb").write_text(json.dumps(reference.build_submission(A)))
    return root


def test_a_checkout_edited_mid_run_changes_nothing_the_run_reads(tmp_path, checkout, fake_launcher):
    """A TA edits solutions/ once the run has copied it (a test cell's points raised, another test
    cell removed, an answer broken): do the tests each notebook is graded with, the pre-flight's
    reference answers, a --final student's `missing` row, the results folder's source/ and the
    gradebook's maximum all still come from the sources as the run began? And does `--call-timeout`
    reach every call of the launcher as given?"""
    calls, on_warm = fake_launcher
    nb = cells.read_notebook(checkout / A / f"{A}.ipynb")
    tests = course.Sources(checkout).tests(A)
    before_max = course.Sources(checkout).max_score(A) + course.Sources(checkout).manual_points(A)
    answer_id, answer = next(iter(reference.solution_sources(A, nb).items()))
    original = (checkout / A / f"{A}.ipynb").read_bytes()

    def edit():
        for cell in nb["cells"]:
            if cells.grade_id(cell) == tests[0].test_id:
                cell["metadata"]["nbgrader"]["points"] = 100
            if cells.grade_id(cell) == answer_id:
                cell["source"] = "raise NotImplementedError()\n"
        nb["cells"] = [c for c in nb["cells"] if cells.grade_id(c) != tests[-1].test_id]
        (checkout / A / f"{A}.ipynb").write_text(json.dumps(nb), encoding="utf-8")

    on_warm.append(edit)
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id\nada\nben\ncy\n", encoding="utf-8")
    out = tmp_path / "out"
    with open(tmp_path / "log", "w") as log:
        summary = grade.grade(
            _class(tmp_path / "class", ["ada", "ben"]),
            out,
            assignments=[A],
            workers=1,
            timeout=60,
            unsafe=True,
            final=True,
            roster=roster,
            call_seconds=7.5,
            stream=log,
        )
    # the checkout did change
    assert course.Sources(checkout).max_score(A) != sum(t.points for t in tests)
    assert summary["statuses"] == {"graded": 2, "missing": 1}
    assert len(calls) == 3  # the pre-flight, then ada and ben
    for call in calls:
        assert call["tests"] == tests and call["call_seconds"] == 7.5
        assert call["source"] == original
    preflight = json.loads(calls[0]["submission"])
    assert [cells.source_text(c) for c in preflight["cells"] if cells.grade_id(c) == answer_id] == [
        answer
    ]
    assert (out / "source" / A / f"{A}.ipynb").read_bytes() == original
    grades = {r["student_id"]: r for r in _rows(out / "grades.csv")}
    assert {sid: float(r["max_score"]) for sid, r in grades.items()} == dict.fromkeys(
        ["ada", "ben", "cy"], before_max
    )
    assert grades["cy"]["status"] == "missing"
    by_student: dict[str, list[str]] = {}
    for r in _rows(out / "tests.csv"):
        by_student.setdefault(r["student_id"], []).append(r["test_id"])
    assert by_student == dict.fromkeys(["ada", "ben", "cy"], [t.test_id for t in tests])


def test_the_cli_hands_grade_its_options_as_one_settings_object(tmp_path, monkeypatch):
    """Does `grade --call-timeout` arrive as RunSettings.call_seconds (one
    name from the command line to the launcher), with the rest of the
    options; and without it, is each notebook's limit its default?"""
    got = []
    monkeypatch.setattr(
        grade,
        "grade",
        lambda submissions, out, settings: (
            got.append(settings)
            or {
                "graded_any": True,
                "notebooks": 0,
                "students": 0,
                "regraded": 0,
                "reused": 0,
                "statuses": {},
                "out": "x",
            }
        ),
    )
    assert (
        cli.main(
            [
                "grade",
                str(tmp_path),
                "--out",
                str(tmp_path / "out"),
                "--notebooks",
                "01,05",
                "--call-timeout",
                "12",
                "--workers",
                "2",
                "--final",
            ]
        )
        == 0
    )
    (settings,) = got
    assert settings.call_seconds == 12.0 and settings.workers == 2 and settings.final
    assert settings.assignments == (A, "05_vae")
    assert settings.call_limit("05_vae") == 12.0
    assert grade.RunSettings(assignments=[A], workers=1, timeout=300.0).call_limit(
        "05_vae"
    ) == paths.call_seconds("05_vae")


def test_a_verdict_s_settings_keep_their_form():
    """The settings part of a verdict's key is what runs before this one
    wrote (timeout|memory|call|environment): an unchanged class is not
    regraded after the grader's update."""
    settings = grade.RunSettings(assignments=[A], workers=3, timeout=300.0)
    assert settings.verdict_settings("03_conv_autoencoder", "E") == "300.0|4.0|90.0|E"
    assert (
        grade.RunSettings(
            assignments=[A], workers=3, timeout=240, memory_gb=2.0, call_seconds=12.5
        ).verdict_settings(A, "E")
        == "240|2.0|12.5|E"
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--workers", "0"], "expected at least 1, got 0"),
        (["--timeout", "soon"], "expected a number of seconds, got 'soon'"),
        (["--call-timeout", "-3"], "expected more than 0 seconds, got -3"),
    ],
)
def test_a_bad_number_is_one_line_and_exit_2(tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit) as exited:
        cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), *argv])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and message in err and len(err.strip().splitlines()) == 1, err


@pytest.fixture
def autograder_logger():
    logger = logging.getLogger("autograder")
    handlers, level = list(logger.handlers), logger.level
    yield logger
    logger.handlers[:] = handlers
    logger.setLevel(level)


@pytest.mark.parametrize("verbose", [True, False])
def test_verbose_shows_what_the_grader_swallowed(
    tmp_path, monkeypatch, capsys, autograder_logger, verbose
):
    """With `grade --verbose` a TA sees the debug line of a state file that could not be read
    (graded again); without it, nothing."""
    (tmp_path / "broken.json").write_text("{not json")

    def fake_grade(submissions, out, settings):
        assert grade._load_record(tmp_path / "broken.json") is None
        return {
            "graded_any": True,
            "notebooks": 0,
            "students": 0,
            "regraded": 0,
            "reused": 0,
            "statuses": {},
            "out": "x",
        }

    monkeypatch.setattr(grade, "grade", fake_grade)
    assert (
        cli.main(
            [
                "grade",
                str(tmp_path),
                "--out",
                str(tmp_path / "out"),
                *(["--verbose"] if verbose else []),
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert ("autograder.grade: " in err and "broken.json is not a record" in err) == verbose, err


def test_the_nbgrader_config_is_one_template_nbgrader_reads(tmp_path):
    """The one writer of nbgrader_config.py: its text is what the results folder always had (so
    folders graded before read the same), nbgrader's own loader reads the course, gradebook,
    exchange and sanitising from it, the grader reads its gradebook back, and the benchmark's stock
    course gets a cell timeout too."""
    from traitlets.config.loader import PyFileConfigLoader

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    nbconfig.write_config(tmp_path, db)
    assert (tmp_path / nbconfig.CONFIG).read_text() == (
        '"""nbgrader configuration of this results folder (written by '
        '`python -m autograder grade`)."""\n'
        "import os\n\nc = get_config()  # noqa: F821\n"
        "c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))\n"
        f"c.CourseDirectory.db_url = {db!r}\n"
        f"c.CourseDirectory.course_id = {paths.COURSE_ID!r}\n"
        "c.Exchange.root = os.path.join(c.CourseDirectory.root, 'exchange')\n"
        "# what students wrote and displayed reaches a TA's browser only as text, maths and "
        "images\nc.HTMLExporter.sanitize_html = True\nc.HTMLExporter.preprocessors = "
        "['autograder.sanitize.SanitizeNotebook']\n"
    )
    config = PyFileConfigLoader(nbconfig.CONFIG, path=str(tmp_path)).load_config()
    assert (
        config.CourseDirectory.db_url == db and config.CourseDirectory.course_id == paths.COURSE_ID
    )
    assert config.Exchange.root == str(tmp_path / nbconfig.EXCHANGE)
    assert "Execute" not in config
    assert resultsdir.configured_db_url(tmp_path) == db
    nbconfig.write_config(tmp_path, db, execute_timeout=300)
    assert (
        PyFileConfigLoader(nbconfig.CONFIG, path=str(tmp_path)).load_config().Execute.timeout == 300
    )


def test_the_template_ships_in_the_package():
    """Is the config's template package data (pyproject.toml), so an
    installed grader can write the file?"""
    import fnmatch

    import tomllib

    setuptools = tomllib.loads((paths.REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "autograder.templates" in setuptools["packages"], setuptools["packages"]
    data = setuptools["package-data"]
    assert (paths.REPO / "autograder" / "templates" / nbconfig.TEMPLATE).is_file()
    assert any(
        fnmatch.fnmatch(nbconfig.TEMPLATE, pattern)
        for pattern in data.get("autograder.templates", [])
    ), data


def test_a_run_s_copy_of_the_sources_has_the_checkout_s_key(tmp_path):
    """A verdict's key hashes the run's copy of the sources: is it the key
    of the checkout they were copied from (so a class graded before the run
    read its copy is not regraded for it), and does an edit change it?"""
    copy = course.Course(tmp_path / "course", list(paths.ASSIGNMENTS))
    for a in paths.ASSIGNMENTS:
        assert copy.sources.key([a]) == course.CHECKOUT.key([a]), a
    notebook = copy.sources.notebook(A)
    notebook.write_text(notebook.read_text() + " ")
    assert copy.sources.key([A]) != course.CHECKOUT.key([A])


def test_a_pre_flight_pass_is_remembered_by_the_next_run(tmp_path, fake_launcher, monkeypatch):
    """A later run into the same results folder (one late student) on the
    same sources, limits and environment grades no pre-flight again and
    says so; a student graded before is reused, not graded again."""
    calls, _ = fake_launcher
    # no other edit meanwhile
    monkeypatch.setattr(grade, "environment_key", lambda: "the same environment")
    out = tmp_path / "out"
    with open(tmp_path / "first", "w") as log:
        grade.grade(
            _class(tmp_path / "class", ["ada"]),
            out,
            assignments=[A],
            workers=1,
            timeout=60,
            unsafe=True,
            stream=log,
        )
    assert len(calls) == 2  # the pre-flight and ada
    calls.clear()
    with open(tmp_path / "second", "w") as log:
        summary = grade.grade(
            _class(tmp_path / "late", ["newcomer"]),
            out,
            assignments=[A],
            workers=1,
            timeout=60,
            unsafe=True,
            stream=log,
        )
    assert "pre-flight: 1 unchanged since their last check" in (tmp_path / "second").read_text()
    # newcomer only
    assert [json.loads(c["submission"]) for c in calls] == [reference.build_submission(A)]
    assert summary["regraded"] == 1
    assert {r["student_id"] for r in _rows(out / "grades.csv")} == {"ada", "newcomer"}
