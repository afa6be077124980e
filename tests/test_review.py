"""`python -m autograder review`: what it refuses, how it starts JupyterLab, and the grade summary naming it (no
server; tests/test_formgrader.py runs the command and opens formgrader in Chromium)."""
import pathlib

from autograder import cli, grade, review


def test_a_folder_the_grader_did_not_make_is_refused_in_one_line(tmp_path, capsys):
    """Does `review` exit 2 with one line for a missing folder and for a course folder made by someone else?"""
    assert cli.main(["review", str(tmp_path / "nowhere")]) == 2
    other = tmp_path / "other"
    other.mkdir()
    (other / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'x'\n")
    assert cli.main(["review", str(other)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2 and "no results folder" in lines[0] and "not a results folder" in lines[1]
    assert (other / "nbgrader_config.py").read_text().endswith("'x'\n")  # left as it was


def test_jupyterlab_works_as_root_only_when_root(monkeypatch):
    """Is `--allow-root` passed when the command runs as root, and only then?"""
    monkeypatch.setattr(review.os, "geteuid", lambda: 0)
    assert "--allow-root" in review.lab_command(pathlib.Path("/r"), 8888, "t")
    monkeypatch.setattr(review.os, "geteuid", lambda: 1000)
    assert "--allow-root" not in review.lab_command(pathlib.Path("/r"), 8888, "t")


def test_the_news_pop_up_is_off_in_the_settings_review_uses():
    """Do the lab settings `review` puts on JUPYTER_CONFIG_PATH turn the news and update checks off?"""
    import json

    overrides = json.loads((review.LAB_SETTINGS / "labconfig" / "default_setting_overrides.json").read_text())
    notification = overrides["@jupyterlab/apputils-extension:notification"]
    assert notification["fetchNews"] == "false" and notification["checkForUpdates"] is False


def test_the_grade_summary_names_the_review_command():
    summary = {"notebooks": 1, "students": 1, "regraded": 1, "reused": 0, "statuses": {"graded": 1},
               "out": "/x/results"}
    assert "python -m autograder review /x/results" in grade.summary_lines(summary)[-1]
