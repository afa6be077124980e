"""A results folder as a term's home: whose course it is, who may read it,
and the collection reports it keeps.

A results folder belongs to one course, the kit's (`paths.COURSE_ID`): a folder whose
`nbgrader_config.py` was written by somebody else or names another course, or whose gradebook holds
another course, is refused unless the TA says `--adopt`. Its permissions are changed only with a
line that says so. Each run's collection report is kept as `collection/<run>.csv`, and
`collection_report.csv` gathers every run's rows (a `run` column first), so a week's unmatched files
are never forgotten by the next week's run.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import logging
import os
import pathlib
import re
import stat
import warnings

from .csvsafe import unsafe_cell, write_csv
from .gradebook import shown_url
from .paths import ASSIGNMENTS, COURSE_ID, UsageError

log = logging.getLogger(__name__)
CONFIG_MARK = "(written by `python -m autograder grade`)"
CUMULATIVE_REPORT = "collection_report.csv"
RUN_REPORTS = "collection"
# what nbgrader's own preprocessors add to any gradebook they open
NBGRADER_DEFAULT_COURSE = "default_course"


def foreign_course(out: pathlib.Path, db_url: str) -> str | None:
    """Why `out` (or its gradebook at `db_url`) belongs to another course,
    or None when it is the kit's or new."""
    config = out / "nbgrader_config.py"
    if config.is_file():
        text = config.read_text(encoding="utf-8", errors="replace")
        ids = set(re.findall(r"course_id\s*=\s*['\"]([^'\"]*)['\"]", text))
        if ids - {COURSE_ID}:
            return f"its nbgrader_config.py names the course {sorted(ids - {COURSE_ID})[0]!r}"
        if CONFIG_MARK not in text:
            return "its nbgrader_config.py was not written by the grader"
    courses, assignments = gradebook_contents(db_url)
    if courses - {COURSE_ID, NBGRADER_DEFAULT_COURSE}:
        return (
            "its gradebook holds the course "
            f"{sorted(courses - {COURSE_ID, NBGRADER_DEFAULT_COURSE})[0]!r}"
        )
    if assignments - set(ASSIGNMENTS):
        return f"its gradebook holds the assignment {sorted(assignments - set(ASSIGNMENTS))[0]!r}"
    return None


def configured_db_url(out: pathlib.Path) -> str | None:
    """The gradebook URL the grader put in the folder's
    `nbgrader_config.py` (read, not run; nbconfig.write_config writes it),
    or None where the folder has no config of the grader's naming one."""
    config = out / "nbgrader_config.py"
    text = config.read_text(encoding="utf-8", errors="replace") if config.is_file() else ""
    m = re.search(r"^c\.CourseDirectory\.db_url\s*=\s*(.+)$", text, re.MULTILINE)
    if CONFIG_MARK in text and m:
        with contextlib.suppress(ValueError, SyntaxError):
            value = ast.literal_eval(m.group(1).strip())
            if isinstance(value, str):
                return value
    return None


def gradebook_switch(out: pathlib.Path, db_url: str) -> str | None:
    """Why writing the results of `out` into `db_url` would leave the server
    gradebook (PostgreSQL) its config names: its TAs' scores would then be
    missing from the folder's tables; None when it would not. (A SQLite gradebook
    is the folder's own file: a folder moved elsewhere names its old path.)"""
    named = configured_db_url(out)
    if named is None or named.startswith("sqlite:") or shown_url(named) == shown_url(db_url):
        return None
    return (
        f"{out} keeps its grades in the gradebook {shown_url(named)} (its nbgrader_config.py), not "
        f"{shown_url(db_url)}: give --db {shown_url(named)} to every command on it, or remove "
        f"{out / 'nbgrader_config.py'} to start another gradebook"
    )


def gradebook_contents(db_url: str) -> tuple[set[str], set[str]]:
    """The course ids and assignment names in the gradebook at `db_url` (empty for a gradebook not
    made yet); nothing is created or changed."""
    if db_url.startswith("sqlite:///") and not pathlib.Path(db_url[len("sqlite:///") :]).is_file():
        return set(), set()
    import sqlalchemy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        engine = sqlalchemy.create_engine(db_url)
        try:
            with engine.connect() as conn:
                tables = sqlalchemy.inspect(conn)
                courses = (
                    {row[0] for row in conn.execute(sqlalchemy.text("SELECT id FROM course"))}
                    if tables.has_table("course")
                    else set()
                )
                assignments = (
                    {row[0] for row in conn.execute(sqlalchemy.text("SELECT name FROM assignment"))}
                    if tables.has_table("assignment")
                    else set()
                )
                return courses, assignments
        except sqlalchemy.exc.SQLAlchemyError as exc:
            raise UsageError(
                f"the gradebook {shown_url(db_url)} cannot be read "
                f"({str(exc).splitlines()[0][:200]}): give another --out or --db"
            ) from None
        finally:
            engine.dispose()


def claim(out: pathlib.Path, db_url: str, adopt: bool, stream) -> None:
    """Make `out` the kit's results folder, or refuse one of another course (unless `adopt`).

    A new folder is made readable by its owner only (it will hold the hidden tests' sources and
    every grade); an existing one readable by others is made so too, and a line says so.

    Raises:
        UsageError: `out` belongs to another course and `adopt` is false.
    """
    if out.is_dir():
        switch = gradebook_switch(out, db_url)
        if switch is not None:
            raise UsageError(switch)
        why = foreign_course(out, db_url)
        if why is not None:
            if not adopt:
                raise UsageError(
                    f"{out} is not this kit's results folder ({why}): give another --out, or "
                    "--adopt to grade into it anyway (its nbgrader_config.py is then replaced)"
                )
            stream.write(
                f"adopting {out} ({why}): its nbgrader_config.py will "
                f"name the course {COURSE_ID!r}\n"
            )
        mode = stat.S_IMODE(os.stat(out).st_mode)
        if mode & 0o077:
            os.chmod(out, mode & 0o700)
            stream.write(
                f"{out}: permissions {mode:o} -> {mode & 0o700:o}: it holds the hidden tests' "
                "sources and every grade, so other users may not read it\n"
            )
    else:
        # two runs started at once: the lock then picks one
        out.mkdir(parents=True, mode=0o700, exist_ok=True)
        os.chmod(out, 0o700)  # whatever the umask


def write_reports(collection, out: pathlib.Path, run: str) -> pathlib.Path:
    """This run's collection report as `collection/<run>.csv`, and its rows
    added to `collection_report.csv` (earlier runs' rows kept, each under
    its run's name); return the run's own report."""
    from .collect import REPORT_COLUMNS, write_report

    mine = write_report(collection, out / RUN_REPORTS / f"{run}.csv")
    cumulative = out / CUMULATIVE_REPORT
    rows: list[list[str]] = []
    if cumulative.is_file():
        with open(cumulative, encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                rows.append(
                    [
                        unsafe_cell(row.get("run") or "") or "(before runs were named)",
                        *(unsafe_cell(row.get(c) or "") for c in REPORT_COLUMNS),
                    ]
                )
    with open(mine, encoding="utf-8", newline="") as f:
        rows += [
            [run, *(unsafe_cell(row.get(c) or "") for c in REPORT_COLUMNS)]
            for row in csv.DictReader(f)
        ]
    write_csv(cumulative, ("run", *REPORT_COLUMNS), rows)
    return mine
