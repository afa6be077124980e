"""`python -m autograder review`: what it refuses, how it starts JupyterLab,
and the grade summary naming it (no server; tests/test_formgrader.py runs
the command and opens formgrader in Chromium)."""

import pathlib

import pytest

from autograder import cli, grade, review
from autograder.paths import UsageError


def test_a_folder_the_grader_did_not_make_is_refused_in_one_line(tmp_path, capsys):
    """Does `review` exit 2 with one line for a missing folder and for a
    course folder made by someone else?"""
    assert cli.main(["review", str(tmp_path / "nowhere")]) == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "nbgrader_config.py").write_text(
        "c = get_config()\nc.CourseDirectory.course_id = 'x'\n"
    )
    assert cli.main(["review", str(other)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert (
        len(lines) == 2 and "no results folder" in lines[0] and "not a results folder" in lines[1]
    )
    assert (other / "nbgrader_config.py").read_text().endswith("'x'\n")  # left as it was


def test_jupyterlab_works_as_root_only_when_root(monkeypatch):
    """Is `--allow-root` passed when the command runs as root, and only then?"""
    monkeypatch.setattr(review.os, "geteuid", lambda: 0)
    assert "--allow-root" in review.lab_command(pathlib.Path("/r"), 8888, "t")
    monkeypatch.setattr(review.os, "geteuid", lambda: 1000)
    assert "--allow-root" not in review.lab_command(pathlib.Path("/r"), 8888, "t")


def test_the_news_pop_up_is_off_in_the_settings_review_uses():
    """Do the lab settings `review` puts on JUPYTER_CONFIG_PATH turn the
    news and update checks off?"""
    import json

    overrides = json.loads(
        (review.LAB_SETTINGS / "labconfig" / "default_setting_overrides.json").read_text()
    )
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False


def test_the_grade_summary_names_the_review_command():
    summary = {
        "notebooks": 1,
        "students": 1,
        "regraded": 1,
        "reused": 0,
        "statuses": {"graded": 1},
        "out": "/x/results",
    }
    assert "python -m autograder review /x/results" in grade.summary_lines(summary)[-1]


def _results_folder(tmp_path, db_url: str) -> pathlib.Path:
    """A results folder as `grade` leaves its config (nothing graded in it)."""
    out = tmp_path / "results"
    out.mkdir(parents=True)
    review.write_config(out, db_url)
    return out


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory) -> pathlib.Path:
    """An nbgrader gradebook file of the course with nothing in it (made
    once: nbgrader runs `alembic` for it)."""
    from autograder import gradebook

    path = tmp_path_factory.mktemp("gradebook") / "empty.db"
    with gradebook.opened(f"sqlite:///{path}"):
        pass
    return path


def _gradebook(empty: pathlib.Path, path: pathlib.Path, course: str = "autoencoders") -> str:
    """A SQLite gradebook holding notebook 01 of `course` (nbgrader's own API)."""
    import shutil

    from nbgrader.api import Gradebook

    shutil.copyfile(empty, path)
    url = f"sqlite:///{path}"
    with Gradebook(url, course) as gb:
        gb.add_assignment("01_conv_as_matrix")
    return url


def test_a_gradebook_review_cannot_use_is_refused_in_one_line(tmp_path, capsys, empty_gradebook):
    """Does `review --db` exit 2 with one line, leaving the folder's config as it was, for a URL
    that is none, an unknown database, a missing SQLite file, an unreachable server, another
    course's gradebook and an empty one?"""
    import importlib.util

    out = _results_folder(tmp_path, _gradebook(empty_gradebook, tmp_path / "graded.db"))
    config = (out / review.CONFIG).read_text()
    server = "postgresql+psycopg://grader:secret@/aekit?host=/nonexistent-socket-folder"
    reach = "cannot be read" if importlib.util.find_spec("psycopg") else "driver is not installed"
    for url, said in (
        ("not a url", "is not a database URL"),
        ("nosuch://x", "no database kind 'nosuch'"),
        (f"sqlite:///{tmp_path / 'missing.db'}", "no gradebook file"),
        (server, reach),
        (
            _gradebook(empty_gradebook, tmp_path / "other.db", "another"),
            "holds the course 'another'",
        ),
        (f"sqlite:///{empty_gradebook}", "holds no graded notebook"),
    ):
        assert cli.main(["review", str(out), "--db", url]) == 2, url
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, (url, err)
        assert "secret" not in err  # a password is never printed
        assert (out / review.CONFIG).read_text() == config


def test_review_db_names_the_gradebook_formgrader_uses_from_then_on(tmp_path, empty_gradebook):
    """Does `review --db URL` of another gradebook of the course make the folder's config name it,
    and say so in one line; and without --db use the one the config names?"""
    import io

    out = _results_folder(tmp_path, _gradebook(empty_gradebook, tmp_path / "graded.db"))
    other = _gradebook(empty_gradebook, tmp_path / "server-stand-in.db")
    said = io.StringIO()
    assert review.prepare(out, stream=said) == {} and said.getvalue() == ""
    review.prepare(out, other, stream=said)
    assert review.read_db_url(out) == other
    assert said.getvalue().count("\n") == 1 and f"its gradebook is now {other}" in said.getvalue()


def test_every_command_refuses_a_bad_gradebook_url_in_one_line(tmp_path, capsys):
    """Do grade, merge and export exit 2 with one line (not a traceback) for a --db that is not a
    usable URL, and is a relative SQLite path made absolute?"""
    from autograder import gradebook

    for argv in (
        ["grade", str(tmp_path), "--out", str(tmp_path / "out")],
        ["merge", str(tmp_path), "--into", str(tmp_path / "into")],
        ["export", "--format", "csv", "--results", str(tmp_path)],
    ):
        assert cli.main([*argv, "--db", "nosuch://x"]) == 2
        err = capsys.readouterr().err
        assert "no database kind 'nosuch'" in err and len(err.strip().splitlines()) == 1, err
    absolute = f"sqlite:///{pathlib.Path.cwd()}/results/gradebook.db"
    assert gradebook.check_url("sqlite:///results/gradebook.db") == absolute
    with pytest.raises(UsageError, match="in memory"):
        gradebook.check_url("sqlite://")


def test_a_folder_graded_into_a_server_gradebook_is_not_switched_silently(tmp_path, capsys):
    """A results folder whose config names a PostgreSQL gradebook: does `grade` into it without that
    --db (which would start a SQLite gradebook and leave the TAs' scores out of its tables) exit 2
    with one line naming the URL (its password hidden), changing nothing; and is the same database
    with another password, or a folder graded into SQLite (moved elsewhere, say), let through?"""
    from autograder import resultsdir

    server = "postgresql+psycopg://grader:secret@db.example.edu/aekit"
    out = _results_folder(tmp_path, server)
    config = (out / review.CONFIG).read_text()
    (tmp_path / "class").mkdir()
    assert cli.main(["grade", str(tmp_path / "class"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "keeps its grades in the gradebook" in err, err
    assert "postgresql+psycopg://grader:***@db.example.edu/aekit" in err and "secret" not in err
    assert (out / review.CONFIG).read_text() == config and not (out / "gradebook.db").exists()
    assert resultsdir.configured_db_url(out) == server
    assert (
        resultsdir.gradebook_switch(out, "postgresql+psycopg://grader:other@db.example.edu/aekit")
        is None
    )
    assert resultsdir.gradebook_switch(out, f"sqlite:///{out / 'gradebook.db'}") is not None
    moved = _results_folder(tmp_path / "moved", "sqlite:////old/place/results/gradebook.db")
    assert resultsdir.gradebook_switch(moved, f"sqlite:///{moved / 'gradebook.db'}") is None


def test_a_results_folder_moved_since_it_was_graded_is_reviewed_from_its_own_gradebook(
    tmp_path, empty_gradebook
):
    """A folder graded into its own SQLite file, then moved: does review use the file where the
    folder is now (the config names the old place), and say so?"""
    import io
    import shutil

    out = _results_folder(tmp_path, "sqlite:////old/place/results/gradebook.db")
    shutil.copyfile(
        pathlib.Path(_gradebook(empty_gradebook, tmp_path / "graded.db")[len("sqlite:///") :]),
        out / "gradebook.db",
    )
    said = io.StringIO()
    review.prepare(out, stream=said)
    assert review.read_db_url(out) == f"sqlite:///{out / 'gradebook.db'}"
    assert "was sqlite:////old/place/results/gradebook.db" in said.getvalue()
