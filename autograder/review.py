"""`python -m autograder review RESULTS`: a results folder open in
JupyterLab's formgrader, as a TA reviews it.

The results folder is an nbgrader course folder (grade.py). Formgrader
reads it as nbgrader's own workflow would have left it:

- `nbgrader_config.py` (`nbconfig.write_config`, the file's one writer, called by every grade run
  and by review): the course, its gradebook, an exchange inside the folder, and the sanitising of
  everything a student wrote (`sanitize.SanitizeNotebook`, and nbconvert's own
  `HTMLExporter.sanitize_html`).
- `exchange/<course>/outbound/<notebook>/` holds the notebook the students were given: formgrader
  calls an assignment "released" when the exchange lists it there, and "draft" otherwise.
- `submitted/<student>/<notebook>/` exists for each student whose notebook was graded
  (it has an autograded notebook), so formgrader counts the submission; its
  `timestamp.txt` is the gradebook's submission time, so formgrader shows it as
  autograded. It holds no notebook: formgrader's autograde button finds nothing to
  run (nbgrader would otherwise run the student's code unconfined, as the TA).

JupyterLab then starts in the folder (as root when run as root), with the news pop-up off
(`etc/instructor`), and the address to open is printed.
"""

from __future__ import annotations

import logging
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import sys
import time

from . import gradebook, resultsdir
from .nbconfig import CONFIG, EXCHANGE, write_config
from .paths import COURSE_ID, REPO, UsageError, release_notebook

log = logging.getLogger(__name__)

SUBMITTED = "submitted"
TIMESTAMP = "timestamp.txt"
# the news pop-up and update checks off (as `make lab-solutions`)
LAB_SETTINGS = REPO / "etc" / "instructor"
START_SECONDS = 120


def read_db_url(out: pathlib.Path) -> str:
    """The gradebook URL the results folder's config names (the `--db` of
    the grade or merge run that wrote it); for a folder moved since it was
    graded into its own SQLite file, that file where the folder is now.

    Raises:
        UsageError: `out` is not a results folder of the grader.
    """
    path = out / CONFIG
    if not out.is_dir():
        raise UsageError(
            f"no results folder at {out}: give the --out folder of `python -m autograder grade`"
        )
    if not path.is_file() or resultsdir.CONFIG_MARK not in path.read_text(errors="replace"):
        raise UsageError(
            f"{out} is not a results folder of the grader (no {CONFIG} written by it): grade into "
            "it first with `python -m autograder grade SUBMISSIONS --out FOLDER`"
        )
    url, own = resultsdir.configured_db_url(out), out / "gradebook.db"
    if (
        url is None
        or url.startswith("sqlite:///")
        and not pathlib.Path(url[len("sqlite:///") :]).is_file()
        and own.is_file()
    ):
        return f"sqlite:///{own}"
    return url


def check_gradebook(out: pathlib.Path, db_url: str) -> None:
    """Refuse, in one line, a gradebook formgrader could not show this folder from: one that cannot
    be reached or read, that belongs to another course, or that holds no graded notebook (a wrong
    database: nbgrader would make an empty gradebook in it).

    Raises:
        UsageError: as above.
    """
    db_url = gradebook.check_url(db_url)
    if db_url.startswith("sqlite:///") and not pathlib.Path(db_url[len("sqlite:///") :]).is_file():
        raise UsageError(
            f"no gradebook file at {db_url[len('sqlite:///') :]}: give "
            f"the --db that `grade` or `merge` wrote {out} with"
        )
    why = resultsdir.foreign_course(out, db_url)
    if why is not None:
        raise UsageError(
            f"{out} cannot be reviewed with the gradebook {gradebook.shown_url(db_url)} ({why}): "
            "give the --db that `grade` or `merge` wrote it with"
        )
    _, assignments = resultsdir.gradebook_contents(db_url)
    if not assignments:
        raise UsageError(
            f"the gradebook {gradebook.shown_url(db_url)} holds no graded notebook: give the --db "
            f"that `grade` or `merge` wrote {out} with"
        )


def _release(out: pathlib.Path, assignments: list[str]) -> None:
    """Put each graded assignment's student notebook in the exchange's
    outbound folder (formgrader: released)."""
    outbound = out / EXCHANGE / COURSE_ID / "outbound"
    for a in assignments:
        target = outbound / a
        target.mkdir(parents=True, exist_ok=True)
        if release_notebook(a).is_file():
            shutil.copyfile(release_notebook(a), target / release_notebook(a).name)


def _submission_times(db_url: str) -> dict[tuple[str, str], object]:
    """Every submission in the gradebook: (student, notebook) -> its
    timestamp (a datetime or None)."""
    from nbgrader.api import Assignment, SubmittedAssignment

    from .gradebook import opened

    with opened(db_url) as gb:
        rows = (
            gb.db.query(
                SubmittedAssignment.student_id, Assignment.name, SubmittedAssignment.timestamp
            )
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .all()
        )
    return {(sid, a): ts for sid, a, ts in rows}


def _mark_submissions(out: pathlib.Path, times: dict[tuple[str, str], object]) -> dict[str, int]:
    """Make `submitted/<student>/<notebook>/` match the graded submissions;
    return the count per notebook."""
    counts: dict[str, int] = {}
    graded = set()
    for path in sorted((out / "autograded").glob("*/*/*.ipynb")):
        sid, a = path.parent.parent.name, path.parent.name
        if path.name != f"{a}.ipynb" or (sid, a) not in times:
            continue
        graded.add((sid, a))
        folder = out / SUBMITTED / sid / a
        folder.mkdir(parents=True, exist_ok=True)
        stamp, ts = folder / TIMESTAMP, times[(sid, a)]
        if ts is None:
            stamp.unlink(missing_ok=True)
        else:
            stamp.write_text(ts.isoformat(sep=" "), encoding="utf-8")
        counts[a] = counts.get(a, 0) + 1
    # a student no longer graded (missing since)
    for folder in sorted((out / SUBMITTED).glob("*/*")):
        sid, a = folder.parent.name, folder.name
        if (
            (sid, a) not in graded
            and folder.is_dir()
            and {p.name for p in folder.iterdir()} <= {TIMESTAMP}
        ):
            shutil.rmtree(folder)
    return counts


def prepare(out: pathlib.Path, db_url: str | None = None, stream=sys.stderr) -> dict[str, int]:
    """Make the results folder `out` read by formgrader as described above, from the gradebook at
    `db_url` (default: the one its config names); return submissions per notebook.

    Raises:
        UsageError: `out` is not a results folder, or its gradebook cannot
        be reviewed (`check_gradebook`).
    """
    own = read_db_url(out)  # refuses a folder that is not a results folder, whatever --db says
    db_url = db_url or own
    check_gradebook(out, db_url)
    named = resultsdir.configured_db_url(out)
    if db_url != named:
        was = f" (was {gradebook.shown_url(named)})" if named else ""
        stream.write(
            f"{out / CONFIG}: its gradebook is now {gradebook.shown_url(db_url)}{was}; give "
            "`grade`, `merge` and `export` the same --db\n"
        )
    write_config(out, db_url)
    assignments = (
        sorted(p.name for p in (out / "source").iterdir() if p.is_dir())
        if (out / "source").is_dir()
        else []
    )
    _release(out, assignments)
    return _mark_submissions(out, _submission_times(db_url))


def lab_command(out: pathlib.Path, port: int, token: str) -> list[str]:
    """JupyterLab serving `out`, for formgrader (as root when this is root:
    the grader needs root)."""
    cmd = [
        sys.executable,
        "-m",
        "jupyterlab",
        f"--ServerApp.root_dir={out}",
        f"--ServerApp.port={port}",
        "--ServerApp.open_browser=False",
        f"--IdentityProvider.token={token}",
    ]
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    return cmd


def _server_url(pid: int, proc: subprocess.Popen, seconds: float) -> str:
    """The address of the Jupyter server with process id `pid`, from the
    file it writes once it listens."""
    from jupyter_server.serverapp import list_running_servers

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise UsageError(
                f"JupyterLab stopped at start (exit {proc.returncode}): see its messages above"
            )
        for info in list_running_servers():
            if info.get("pid") == pid:
                return info["url"]
        time.sleep(0.3)
    raise UsageError(f"JupyterLab did not start within {seconds:g} s: see its messages above")


def review(
    out: pathlib.Path, port: int = 8888, db_url: str | None = None, stream=sys.stdout
) -> int:
    """Prepare `out` (with the gradebook at `db_url`, default the one its config names), start
    JupyterLab in it, print its address, and wait until it stops (Ctrl-C)."""
    out = pathlib.Path(out).resolve()
    counts = prepare(out, db_url)
    token = secrets.token_hex(24)
    paths = [
        str(LAB_SETTINGS),
        *filter(None, os.environ.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep)),
    ]
    env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(paths), TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.Popen(lab_command(out, port, token), cwd=out, env=env)  # noqa: S603  (a fixed argv list)
    stop = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    try:
        url = _server_url(proc.pid, proc, START_SECONDS)
        notebooks = ", ".join(f"{a} ({n})" for a, n in sorted(counts.items())) or "none graded yet"
        stream.write(
            f"formgrader: {url}formgrader?token={token}\n"
            f"JupyterLab: {url}lab?token={token}\n"
            f"submissions: {notebooks}; Ctrl-C stops the server\n"
        )
        stream.flush()
        return proc.wait()
    except KeyboardInterrupt:
        return 130
    finally:
        signal.signal(signal.SIGTERM, stop)
        # SIGTERM: JupyterLab shuts its kernels down and stops, without asking
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
