"""Do the explorers work in a real JupyterLab, in a real browser, as
students and instructors use them?

Runs under `make test` and `make test-browser`. Needs Debian's Chromium
(`/usr/bin/chromium`, installed by the Makefile where missing on Debian); on a
machine without it these tests skip with one line, except under CI where they
must run.
"""

import os
import shutil

import pytest

from autograder.paths import ASSIGNMENTS, REPO, source_notebook
from tests.browser.lab import LabPage, browser, chromium_path, running_lab

RESULTS = REPO / "results" / "browser"


def _widget_notebooks() -> list[str]:
    return [
        a
        for a in ASSIGNMENTS
        if source_notebook(a).is_file()
        and "aekit.widgets" in source_notebook(a).read_text(encoding="utf-8")
    ]


if chromium_path() is None and not os.environ.get("CI"):
    pytest.skip(
        "Chromium not found (/usr/bin/chromium): browser tests skipped; "
        "on Debian run `apt-get install chromium`",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a scratch copy of the solution notebooks, as `make lab-solutions` serves
    them for the instructor's live demo: an ungraded run (no NBGRADER_EXECUTION), so every notebook
    runs its full demos and training here. The graded runs (NBGRADER_EXECUTION set: less training,
    smaller subsets, as nbgrader's validate and our grader run them) are the graded class's
    (tests/graded_class.py): its pre-flight and students."""
    root = tmp_path_factory.mktemp("lab")
    for a in ASSIGNMENTS:
        if (REPO / "solutions" / a).is_dir():
            shutil.copytree(REPO / "solutions" / a, root / a)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with running_lab(root) as (base, token), browser() as b:
        page = LabPage(b, base, token)  # one page: each test opens its notebook in it
        try:
            yield page
        finally:
            page.close()


@pytest.mark.parametrize("assignment", _widget_notebooks())
def test_explorers_render_and_respond(lab, assignment):
    """Does every cell run without error, every widget render, and each
    explorer redraw when moved?"""
    page = lab
    page.open(f"{assignment}/{assignment}.ipynb")
    try:
        page.run_all(timeout=240)
        errors = page.error_outputs()
        assert not errors, f"{assignment}: {errors[:3]}"
        assert page.widget_count() > 0, f"{assignment}: no widget rendered"
        explorers = page.explorers()
        assert explorers.count() > 0, f"{assignment}: no explorer with a slider"
        for i in range(explorers.count()):
            ex = explorers.nth(i)
            before = page.screenshot(ex)
            page.move_slider(ex, presses=3)
            after = page.screenshot_change(ex, before, RESULTS / f"{assignment}-explorer{i}.png")
            assert before != after, (
                f"{assignment}: explorer {i} did not change when its slider moved"
            )
        page.page.screenshot(path=str(RESULTS / f"{assignment}.png"), full_page=True)
    finally:
        page.close_notebook()


def test_nbgrader_validate_reports_success_on_a_solution(lab):
    """Does nbgrader's Validate button, clicked in JupyterLab, pass a solution notebook?"""
    page = lab
    # 04: the button's validation runs the notebook in a kernel of its own,
    # and 04's needs no TensorFlow
    a = next(
        x for x in ["04_gaussian_generative_models", *ASSIGNMENTS] if source_notebook(x).is_file()
    )
    page.open(f"{a}/{a}.ipynb")
    try:
        text = page.validate(timeout=240)
        page.page.screenshot(path=str(RESULTS / f"{a}-validate.png"))
        assert "Success" in text or "passes all" in text.lower(), text[:500]
    finally:
        page.close_notebook()
