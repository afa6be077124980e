"""Can a TA review a graded submission in nbgrader's formgrader, in
Chromium, and see the change in the results?

The grader's results folder is an nbgrader course folder: JupyterLab started in it
serves formgrader, which shows the autograded notebook (the student's code and
outputs, each test's verdict) from the gradebook the grader wrote. The TA
overrides a score and comments on an exercise; the next run of the grader
rebuilds grades.csv and the feedback page with them.
"""

import contextlib
import csv
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from autograder import cells, selftest
from autograder.course import CHECKOUT
from autograder.paths import REPO
from tests.browser.lab import browser, chromium_path, running_lab

A = "01_conv_as_matrix"

if chromium_path() is None and not os.environ.get("CI"):
    pytest.skip(
        "Chromium not found (/usr/bin/chromium): browser tests skipped; "
        "on Debian run `apt-get install chromium`",
        allow_module_level=True,
    )

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.xdist_group("browser")]


def manual_points_of(name: str) -> float:
    source = json.loads((REPO / "solutions" / A / f"{A}.ipynb").read_text(encoding="utf-8"))
    return dict(cells.manual_cells(source))[name]


def _grade(cls, out):
    proc = subprocess.run(
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
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_a_ta_overrides_a_score_and_comments_in_formgrader(tmp_path):
    """Does a score and a comment set in formgrader reach grades.csv,
    tests.csv and the student's feedback?"""
    cls, out = tmp_path / "class", tmp_path / "out"
    (cls / "ada").mkdir(parents=True)
    (cls / "ada" / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    _grade(cls, out)
    from nbgrader.api import Gradebook

    with open(out / "grades.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    written = [name for name in row["needs_manual_grade"].split() if name.startswith("q_")]
    assert written, "the notebook's written answers should wait for a TA"
    assert float(row["max_score"]) == CHECKOUT.max_score(A) + CHECKOUT.manual_points(A)
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
        submission_id = gb.find_submission_notebook(A, A, "ada").id
    with running_lab(out) as (base, token), browser() as ctx:
        page = ctx.new_page()
        # the TA opens the link JupyterLab prints: that logs in
        page.goto(f"{base}/lab?token={token}")
        page.goto(f"{base}/formgrader/submissions/{submission_id}/")
        score = page.locator("input.score#test_conv2d_naive")
        score.wait_for(timeout=60_000)
        # the inputs are in the page's HTML, but formgrader saves their changes
        # only once it has fetched the grades and comments and bound its
        # handlers: an edit before that is lost (as it would be for a quick TA)
        page.wait_for_function(
            "() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
            " && formgrader.comments && formgrader.comments.loaded",
            timeout=60_000,
        )
        # the student's code is there to read
        assert "def conv2d_naive" in page.locator("body").inner_text()
        score.fill("0")
        score.press("Tab")
        for name in written:  # the written answers: full marks
            box = page.locator(f"input.score#{name}")
            box.fill(f"{manual_points_of(name):g}")
            box.press("Tab")
        comment = page.locator("textarea#conv2d_naive-comment")
        comment.fill("the loops are copied from the lecture notes")
        comment.press("Tab")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with Gradebook(f"sqlite:///{out / 'gradebook.db'}") as gb:
                grade = gb.find_grade("test_conv2d_naive", A, A, "ada")
                note = gb.find_comment("conv2d_naive", A, A, "ada").manual_comment
                answered = all(
                    gb.find_grade(n, A, A, "ada").manual_score is not None for n in written
                )
                if grade.manual_score == 0 and note and answered:
                    break
            time.sleep(0.5)
        assert grade.manual_score == 0 and note and answered, (
            "formgrader did not save the scores and comment"
        )
    _grade(cls, out)  # the next run rebuilds the tables and pages from the gradebook
    with open(out / "grades.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert (
        float(row["score"]) == CHECKOUT.max_score(A) - 1 + CHECKOUT.manual_points(A)
        and row["needs_manual_grade"] == ""
    )
    # the TA's scores: the override (0) and the answers
    assert float(row["manual_score"]) == CHECKOUT.manual_points(A)
    page = (out / "feedback" / "ada" / A / f"{A}.html").read_text()
    assert "set by a TA" in page and "copied from the lecture notes" in page


# The attack of issue 26: a correct submission whose written answer and outputs
# carry scripts that, run in a TA's browser on the Jupyter server's origin, would
# start a kernel and rewrite the gradebook through formgrader's API. Each payload
# names itself in the address it calls, so that any call it makes is seen.
MARK = "aekit-attack"
HONEST_ANSWER = (
    "A convolution's matrix is **sparse**: row $i$ holds only the $k^2$ kernel weights, so most "
    "$M_{ij} = 0$ and $$\\mathrm{nnz}(M) \\le k^2 \\cdot n < n^2.$$\n\n- it needs little memory\n"
)
ATTACK_ANSWER = (
    HONEST_ANSWER
    + f"\n<script>fetch('/api/kernels?{MARK}=markdown', {{method: 'POST'}})</script>\n\n"
    + f"<img src=\"{MARK}.png\" onerror=\"fetch('/api/kernels?{MARK}=img', {{method: 'POST'}})\">\n"
)
ATTACK_CELL = (
    "from IPython.display import HTML, display\n"
    f"display(HTML(\"<script>fetch('/api/kernels?{MARK}=output', {{method: 'POST'}})</script>\"))\n"
)


def _with_answer(answer: str, extra_cell: str | None = None) -> dict:
    nb = selftest.build_submission(A)
    for cell in nb["cells"]:
        if cells.nbgrader_meta(cell).get("grade_id") == "q_sparse_matrix":
            cell["source"] = answer
    if extra_cell:
        nb["cells"].append(
            {
                "cell_type": "code",
                "execution_count": None,
                "metadata": {},
                "outputs": [],
                "source": extra_cell,
            }
        )
    return nb


@pytest.fixture(scope="module")
def attacked_class(tmp_path_factory):
    """A class of an honest student (ada) and an attacker (mallory), graded, and open in formgrader
    by `python -m autograder review RESULTS` exactly as the README shows it: yields (results folder,
    the formgrader address it printed)."""
    root = tmp_path_factory.mktemp("attacked")
    cls, out = root / "class", root / "results"
    for sid, nb in (
        ("ada", _with_answer(HONEST_ANSWER)),
        ("mallory", _with_answer(ATTACK_ANSWER, ATTACK_CELL)),
    ):
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    _grade(cls, out)
    with reviewing(out, root) as url:
        yield out, url


@contextlib.contextmanager
def reviewing(out, scratch, *options, cwd=REPO, env=None):
    """`python -m autograder review OUT [OPTIONS]` run from the checkout
    `cwd` (with `env`) as a subprocess; yields the formgrader address it
    prints, and stops it with SIGTERM (as a TA's Ctrl-C would) at the end."""
    config_dir = scratch / "jupyter-config"  # none of this machine's own Jupyter settings
    config_dir.mkdir(exist_ok=True)
    log = open(scratch / "review.log", "w+", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "autograder", "review", str(out), *options],
        cwd=cwd,
        text=True,
        stdout=subprocess.PIPE,
        stderr=log,
        start_new_session=True,
        env=dict(env or os.environ, JUPYTER_CONFIG_DIR=str(config_dir)),
    )
    try:
        url, printed, deadline = None, [], time.monotonic() + 180
        while url is None:
            ready, _, _ = select.select(
                [proc.stdout], [], [], max(0.0, deadline - time.monotonic())
            )
            line = proc.stdout.readline() if ready else ""
            if not line:
                log.seek(0)
                pytest.fail(
                    f"review printed no address (exit {proc.poll()}): "
                    f"{printed} {log.read()[-3000:]}"
                )
            printed.append(line)
            url = next(iter(re.findall(r"^formgrader: (http\S+)$", line.strip())), None)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def _api(url: str, path: str):
    """GET a Jupyter API path with the token of the address `review` printed."""
    parts = urllib.parse.urlsplit(url)
    token = urllib.parse.parse_qs(parts.query)["token"][0]
    address = f"{parts.scheme}://{parts.netloc}{path}?token={token}"
    with urllib.request.urlopen(address, timeout=30) as reply:  # noqa: S310  (the http:// address `review` printed)
        return json.loads(reply.read())


def _scores(out):
    from autograder import gradebook

    with gradebook.opened(f"sqlite:///{out / 'gradebook.db'}") as gb:
        return gradebook.every_grade(gb)


def _open_submission(page, base, gb_path, student) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{gb_path}") as gb:
        submission_id = gb.find_submission_notebook(A, A, student).id
    page.goto(f"{base}/formgrader/submissions/{submission_id}/")
    page.locator("input.score#test_conv2d_naive").wait_for(timeout=60_000)
    page.wait_for_function(
        "() => window.formgrader && formgrader.grades && formgrader.grades.loaded"
        " && formgrader.comments && formgrader.comments.loaded",
        timeout=60_000,
    )
    page.wait_for_timeout(3000)  # time for any script the page carries to act


def test_an_attackers_submission_runs_nothing_in_a_tas_formgrader(attacked_class):
    """Opened in formgrader as a TA would, does the attacker's submission (a script and an <img
    onerror> in the written answer, a script displayed by a cell) start no kernel, call no API and
    change no score, while the honest student's answer keeps its text and maths? Also with an
    autograded notebook as the grader wrote it before it sanitised (formgrader's own sanitising,
    from the results folder's config)."""
    out, url = attacked_class
    base = url.split("/formgrader")[0]
    before = _scores(out)
    calls, dialogs = [], []
    with browser() as b:
        page = b.new_page()
        page.on("request", lambda r: calls.append(f"{r.method} {r.url}"))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)  # the TA opens the address review printed: that logs in
        page.wait_for_selector("#main-table", timeout=60_000)
        _open_submission(page, base, out / "gradebook.db", "ada")
        answer = page.locator(".nbgrader_cell", has_text="A convolution's matrix is").first
        # markdown rendered, not raw
        assert answer.locator("strong", has_text="sparse").count() == 1
        assert "$M_{ij} = 0$" in answer.inner_text() and "k^2 \\cdot n < n^2" in answer.inner_text()
        _open_submission(page, base, out / "gradebook.db", "mallory")
        shown = [page.locator("body").inner_text()]
        graded = out / "autograded" / "mallory" / A / f"{A}.ipynb"
        # the submission as it was, in its place
        unsanitised = _with_answer(ATTACK_ANSWER, ATTACK_CELL)
        unsanitised["cells"][-1]["outputs"] = [
            {
                "output_type": "display_data",
                "metadata": {},
                "data": {
                    "text/html": (
                        f"<script>fetch('/api/kernels?{MARK}=old-output', "
                        "{method: 'POST'})</script>"
                    ),
                    "application/javascript": (
                        f"fetch('/api/kernels?{MARK}=old-js', {{method: 'POST'}})"
                    ),
                    "text/plain": "<IPython.core.display.HTML object>",
                },
            }
        ]
        graded.write_text(json.dumps(unsanitised), encoding="utf-8")
        _open_submission(page, base, out / "gradebook.db", "mallory")
        shown.append(page.locator("body").inner_text())
        page.close()
    assert not [c for c in calls if MARK in c and not c.endswith(f"{MARK}.png")], calls
    assert not [
        c
        for c in calls
        if "/api/kernels" in c
        or "/api/sessions" in c
        or c.startswith(("POST", "PUT", "DELETE", "PATCH"))
    ], calls
    assert not dialogs
    assert _api(url, "/api/kernels") == [] and _api(url, "/api/sessions") == []
    assert _scores(out) == before
    # the payloads are on the pages, as text, with the student's code
    assert f"fetch('/api/kernels?{MARK}=markdown'" in shown[0] and "def conv2d_naive" in shown[0]
    assert f"fetch('/api/kernels?{MARK}=img'" in shown[1]


def test_review_shows_the_graded_assignments_released_with_their_submissions(attacked_class):
    """Does formgrader, started by `python -m autograder review`, show the graded notebook as
    released with its two submissions, both autograded, and no exchange warning?"""
    out, url = attacked_class
    assert _api(url, "/api/status")  # the server answers with the printed token
    with browser() as b:
        page = b.new_page()
        page.goto(url)
        page.wait_for_function(
            "() => document.querySelectorAll('#main-table tr .status span').length > 0",
            timeout=60_000,
        )
        rows = page.evaluate("""() => Array.from(document.querySelectorAll('#main-table tr'))
            .filter(r => r.querySelector('.status span')).map(r =>
            [r.querySelector('.name').innerText.trim(), r.querySelector('.status').innerText.trim(),
             r.querySelector('.num-submissions').innerText.trim()])""")
        assert rows == [[A, "released", "2"]], rows
        assert page.locator("#warning-exchange").count() == 0
        page.close()
    submissions = _api(url, f"/formgrader/api/submissions/{A}")
    assert sorted((s["student"], s["autograded"]) for s in submissions) == [
        ("ada", True),
        ("mallory", True),
    ]
