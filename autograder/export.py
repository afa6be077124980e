"""`python -m autograder export`: the course's grades as a file an LMS imports.

The grades are read from the course's nbgrader gradebook through nbgrader's
`Gradebook` API only (course id `paths.COURSE_ID`; each notebook is an nbgrader
assignment of the same name holding one notebook of that name). A notebook's score
is nbgrader's `SubmittedAssignment.score`, the sum of `Grade.score`, which is the
TA's `manual_score` when one is set (formgrader overrides and manually graded
answers) and `auto_score` otherwise, plus extra credit.

Formats
-------
`canvas` -- Canvas's gradebook import (Grades > Import). Canvas's importer
  (canvas-lms `app/models/gradebook_importer.rb`) requires a header whose first
  column matches `Student` and second `ID`, optionally followed by `SIS User ID` and
  `SIS Login ID`, and then `Section`; every column after that is an assignment, matched
  by `Title (id)` or by title, or created. A row whose first cell is `Points Possible`
  sets the assignments' points; trailing columns named `Current Score`, `Final Score`,
  `Final Points`, ... are read-only and dropped. Students are found by the `ID` column
  (the Canvas user id, the number in the submissions zip), then by SIS ids, then by
  name. So the file is::

      Student,ID,SIS User ID,SIS Login ID,Section,01_conv_as_matrix,...,06_checkerboard_artifacts,Final Points
      Points Possible,,,,,10,...,8,60
      "Smith, Bob",12345,,,,9.5,...,0,40.5

  and the total sits in `Final Points`, which Canvas ignores on import (it computes
  its own). The upload columns hold the late-penalised score.
`moodle` -- Moodle's grade import from CSV (Grades > Import > CSV file; docs.moodle.org
  "Grade import"): the first row names the columns; at import you map one column to the
  user ("Map from" `ID number` to "Map to" `useridnumber`, or `Email address` to
  `useremail`) and each grade column to a grade item. Columns: `ID number`,
  `Email address`, `Full name`, one per notebook (late-penalised), `Total` (map it to
  "ignore", Moodle computes its own).
`csv` -- every number: per notebook `<nb> raw`, `<nb> late seconds`, `<nb> penalty`,
  `<nb>` (after the penalty), `<nb> max`; then `total raw`, `total`, `max total`.

Every file has a companion `<name>_report.csv`: one row per student and notebook
with the raw score, the lateness, the penalty and what was exported, plus a row for
each student found in the gradebook but not on the roster (also printed on stderr).

Students
--------
With `--roster` (columns in `collect.load_roster`, or Canvas's own gradebook export): one
row per roster student, in roster order. A notebook with no grade is `missing` (0) once its
due date has passed, and an empty cell (no grade for the LMS) before or without one. A
roster student is looked up in the gradebook by `student_id`, then by each `lms_id` (a
class graded from an LMS zip without a roster is in the gradebook under LMS ids), then by
SIS ids. Without a roster: every student in the gradebook, sorted by id. Nobody is ever
dropped: a roster student without a grade and a graded student not on the roster are
named on stderr and in the report.

Columns
-------
`--notebooks` picks the notebooks exported. Canvas makes a new assignment of any column
whose header is not an existing assignment's exact title or `Title (id)`: with Canvas's
gradebook export as the roster, each notebook's column is headed by the export's
assignment column that holds the notebook's name or starts with its number, or that
`--lms-title NB=TITLE` names (`lms_titles`). `moodle` also writes one Moodle grading
worksheet per notebook (`MOODLE_WORKSHEET`; `Identifier` is `Participant <id>`, the
participant id the notebook was graded under).

Late policy
-----------
As nbgrader's `LateSubmissionPlugin` (`none` or `zero`), with a per-day variant:
lateness is `SubmittedAssignment.total_seconds_late` (the submission `timestamp`
past the assignment's `duedate`, plus any extension nbgrader stores), except that the
LMS's own late marker, recorded by `grade` (`submitted.py`), decides whether a file
is late at all: one the LMS calls on time is 0 s late, one it calls late at least 1 s.
The timestamp is the LMS's submission time or the first time the grader saw the file
(never a zip's download time); the report names its source and zone. `--due NB=ISO`
stores a due date in the gradebook (`update_or_create_assignment(name, duedate=...)`;
a time without an offset is UTC, as nbgrader's `parse_utc` reads it); without it the
gradebook's due date is used.

* `none`: no penalty.
* `per-day:P`: P percent of the notebook's maximum per started day late (1 second
  late is one day), never below 0: 10 points, 2.5 days late, `per-day:10` gives
  raw - 3 x 1 point.
* `zero-after`: 0 for any submission after the due date (nbgrader's `zero`).
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import dataclasses
import datetime
import logging
import math
import pathlib
import re
import sys

from . import gradebook, resultsdir
from .collect import Roster, load_roster
from .csvsafe import write_csv
from .paths import ASSIGNMENTS, UsageError

log = logging.getLogger(__name__)

FORMATS = ("canvas", "moodle", "csv")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_TOTAL = "Final Points"
MOODLE_HEADER = ("ID number", "Email address", "Full name")
REPORT_COLUMNS = (
    "student_id",
    "name",
    "notebook",
    "raw_score",
    "max_score",
    "submitted",
    "timestamp",
    "time_source",
    "time_zone",
    "lms_late_marker",
    "duedate",
    "seconds_late",
    "days_late",
    "penalty",
    "exported_score",
    "note",
)
MOODLE_WORKSHEET = (
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
)
DAY = 86400.0


@dataclasses.dataclass(frozen=True)
class LatePolicy:
    """`kind` is none / per-day / zero-after; `percent` is per started day (per-day only)."""

    kind: str = "none"
    percent: float = 0.0

    def penalty(self, raw: float, max_score: float, seconds_late: float) -> float:
        """Points taken off `raw` (never more than `raw`)."""
        if seconds_late <= 0 or self.kind == "none":
            return 0.0
        if self.kind == "zero-after":
            return raw
        days = math.ceil(seconds_late / DAY)
        return min(raw, days * self.percent / 100.0 * max_score)


def parse_late_policy(text: str | None) -> LatePolicy:
    """`none`, `per-day:PCT` (0 < PCT <= 100) or `zero-after`.

    Raises:
        UsageError: anything else.
    """
    if text is None or text == "none":
        return LatePolicy()
    if text == "zero-after":
        return LatePolicy("zero-after")
    m = re.fullmatch(r"per-day:(\d+(?:\.\d+)?)%?", text)
    if m and 0 < float(m.group(1)) <= 100:
        return LatePolicy("per-day", float(m.group(1)))
    raise UsageError(
        f"--late-policy {text!r}: use none, per-day:PCT (e.g. per-day:10 for 10 % of the "
        "maximum per started day) or zero-after"
    )


def parse_due(specs: list[str] | None) -> dict[str, datetime.datetime]:
    """`["05=2026-03-01T23:59:00+01:00", ...]` as {notebook: UTC datetime
    without tzinfo} (nbgrader's form).

    Raises:
        UsageError: no `=`, an unknown notebook, or a date that is not ISO 8601.
    """
    due = {}
    for spec in specs or []:
        name, sep, when = spec.partition("=")
        if not sep:
            raise UsageError(
                f"--due {spec!r}: write NOTEBOOK=DATE, e.g. 05=2026-03-01T23:59:00+00:00"
            )
        nb = _notebook(name.strip())
        try:
            stamp = datetime.datetime.fromisoformat(when.strip())
        except ValueError:
            raise UsageError(
                f"--due {spec!r}: {when!r} is not an ISO 8601 date such as "
                "2026-03-01T23:59:00+00:00"
            ) from None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        due[nb] = stamp
    return due


def _notebook(name: str) -> str:
    matches = [a for a in ASSIGNMENTS if a == name or a.split("_", 1)[0] == name.zfill(2)]
    if not matches:
        raise UsageError(
            f"unknown notebook {name!r}: use a two-digit number such as 05 or a name such as "
            f"{ASSIGNMENTS[4]}"
        )
    return matches[0]


@dataclasses.dataclass
class Cell:
    """One student's one notebook."""

    raw: float | None  # None: no submission in the gradebook
    max_score: float
    seconds_late: float = 0.0
    penalty: float = 0.0
    timestamp: str | None = None
    duedate: str | None = None
    needs_manual: bool = False
    time_source: str = ""
    time_zone: str = ""
    late_marker: bool | None = None
    missing: bool = False  # no submission and the due date has passed: exported as 0
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def exported(self) -> float | None:
        """The score the LMS gets: None (an empty cell) for a notebook not handed in whose due date
        has not passed or is not known, 0 once it has."""
        if self.raw is None:
            return 0.0 if self.missing else None
        return max(0.0, self.raw - self.penalty)


def _times(results: pathlib.Path | None) -> dict[tuple[str, str], dict]:
    """What `grade` recorded about each submission's time
    (`.state/<student>/<notebook>.json`'s `time`, `lms_id`)."""
    import json

    found = {}
    for path in sorted((results / ".state").glob("*/*.json")) if results is not None else []:
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            found[(rec["student_id"], rec["result"]["assignment"])] = {
                "time": rec.get("time") or {},
                "lms_id": rec.get("lms_id") or "",
            }
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.debug("%s: no submission time read (%s)", path, exc)
            continue
    return found


def _utc(stamp: datetime.datetime | None) -> str | None:
    return stamp.replace(tzinfo=datetime.timezone.utc).isoformat() if stamp else None


def read_gradebook(
    db_url: str,
    policy: LatePolicy,
    due: dict[str, datetime.datetime],
    times: dict[tuple[str, str], dict] | None = None,
    now: datetime.datetime | None = None,
) -> tuple[
    list[str],
    dict[str, float],
    dict[str, dict[str, Cell]],
    dict[str, str],
    dict[str, datetime.datetime],
]:
    """(notebooks in course order, their max scores, cells[student][notebook], gradebook names, due
    dates (naive UTC)), storing `due` first.

    Lateness is nbgrader's `total_seconds_late`, except where the LMS said: a
    file its late marker calls on time is 0 s late, one it calls late is at
    least 1 s late. A notebook with no submission is `missing` (0) once its
    due date (UTC, `now`) has passed, and an empty cell before or without one.
    """
    from nbgrader.api import SubmittedAssignment
    from sqlalchemy.orm import joinedload, undefer

    times = times or {}
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)

    with gradebook.opened(db_url) as gb:
        present = {a.name: a for a in gb.assignments}
        for nb, when in due.items():
            if nb not in present:
                raise UsageError(
                    f"{nb} is not in the gradebook {db_url} yet: grade it "
                    "first, then set its due date"
                )
            gb.update_or_create_assignment(nb, duedate=when)
        present = {a.name: a for a in gb.assignments}
        order = [a for a in ASSIGNMENTS if a in present] + sorted(
            a for a in present if a not in ASSIGNMENTS
        )
        maxima = {a: float(present[a].max_score or 0.0) for a in order}
        duedates = {a: present[a].duedate for a in order if present[a].duedate}
        # every submission in one query, with its assignment (its due date),
        # score and cells waiting for a TA (nbgrader loads those one query
        # per submission otherwise), not one lookup per student and notebook
        submissions = {
            (sub.student_id, sub.assignment.name): sub
            for sub in gb.db.query(SubmittedAssignment).options(
                joinedload(SubmittedAssignment.assignment),
                undefer(SubmittedAssignment.score),
                undefer(SubmittedAssignment.needs_manual_grade),
            )
        }
        cells: dict[str, dict[str, Cell]] = {}
        names: dict[str, str] = {}
        for student in gb.students:
            sid = student.id
            full = " ".join(p for p in (student.first_name, student.last_name) if p)
            if full:
                names[sid] = full
            row = {}
            for a in order:
                sub = submissions.get((sid, a))
                if sub is None:
                    row[a] = missing_cell(maxima[a], present[a].duedate, now)
                    continue
                raw = float(sub.score or 0.0)
                late = float(sub.total_seconds_late or 0.0)
                duedate = sub.duedate
                known = times.get((sid, a), {}).get("time", {})
                marker, notes = known.get("late_marker"), []
                if marker is False and late > 0:
                    notes.append(
                        f"on time by the LMS's late marker ({_days(late)} after the due date by "
                        f"{known.get('source', 'its time')})"
                    )
                    late = 0.0
                elif marker is True and late <= 0 and duedate is not None:
                    notes.append(
                        "late by the LMS's late marker, though its time is not past the due date: "
                        "counted as 1 day late"
                    )
                    late = 1.0
                row[a] = Cell(
                    raw,
                    maxima[a],
                    late,
                    policy.penalty(raw, maxima[a], late),
                    _utc(sub.timestamp),
                    _utc(duedate),
                    bool(sub.needs_manual_grade),
                    known.get("source", "nbgrader's submission timestamp"),
                    known.get("zone", "UTC"),
                    marker,
                    notes=notes,
                )
            cells[sid] = row
    return order, maxima, cells, names, duedates


def missing_cell(
    max_score: float, duedate: datetime.datetime | None, now: datetime.datetime
) -> Cell:
    """A notebook nobody graded for a student: `missing` (0) once its due
    date has passed, else an empty cell."""
    if duedate is not None and duedate < now:
        return Cell(
            None,
            max_score,
            duedate=_utc(duedate),
            missing=True,
            notes=["missing: nothing graded and the due date has passed: 0"],
        )
    return Cell(
        None,
        max_score,
        duedate=_utc(duedate),
        notes=[
            "not handed in yet"
            + (" (the due date has not passed)" if duedate else " (no due date)")
            + ": left empty"
        ],
    )


def _days(seconds: float) -> str:
    return f"{seconds / DAY:.1f} days"


def export(
    fmt: str,
    *,
    results: pathlib.Path = pathlib.Path("results"),
    db_url: str | None = None,
    roster: pathlib.Path | Roster | None = None,
    out: pathlib.Path | None = None,
    due: list[str] | None = None,
    late_policy: str | None = None,
    notebooks: list[str] | None = None,
    titles: list[str] | None = None,
    stream=None,
    now: datetime.datetime | None = None,
) -> dict:
    """Write the upload file and its report; return {"out", "report",
    "students", "notebooks", "not_on_roster"}.

    Raises:
        UsageError: unknown format, missing gradebook or roster, bad --due or --late-policy.
    """
    stream = sys.stderr if stream is None else stream
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    policy = parse_late_policy(late_policy)
    due_dates = parse_due(due)
    results = pathlib.Path(results)
    # a server gradebook the results folder was graded into, else the folder's own file
    if db_url is None:
        configured = resultsdir.configured_db_url(results)
        db_url = configured if configured and not configured.startswith("sqlite:") else None
    if db_url is None:
        db_path = results / "gradebook.db"
        if not db_path.is_file():
            raise UsageError(
                f"no gradebook at {db_path}: run `python -m autograder grade SUBMISSIONS --out "
                f"{results}` first, or give --results or --db"
            )
        db_url = f"sqlite:///{db_path.resolve()}"
    elif (
        db_url.startswith("sqlite:///") and not pathlib.Path(db_url[len("sqlite:///") :]).is_file()
    ):
        raise UsageError(
            f"--db {db_url}: no such gradebook file (nbgrader would create an empty one)"
        )
    if roster is not None and not isinstance(roster, Roster):
        roster = load_roster(roster)
    times = _times(results if (results / ".state").is_dir() else None)
    now = (
        (now or datetime.datetime.now(datetime.timezone.utc))
        .astimezone(datetime.timezone.utc)
        .replace(tzinfo=None)
    )
    order, maxima, cells, gb_names, duedates = read_gradebook(db_url, policy, due_dates, times, now)
    if not order:
        raise UsageError(f"the gradebook {db_url} holds no notebook: grade some submissions first")
    if notebooks is not None:
        absent = [a for a in notebooks if a not in order]
        if absent:
            raise UsageError(
                f"--notebooks: {', '.join(absent)} is not in the gradebook yet: grade it first"
            )
        order = [a for a in order if a in notebooks]
        maxima = {a: maxima[a] for a in order}
    out = (
        pathlib.Path(out)
        if out is not None
        else results
        / {
            "canvas": "canvas_grades.csv",
            "moodle": "moodle_grades.csv",
            "csv": "grades_export.csv",
        }[fmt]
    )
    report_path = out.with_name(out.stem + "_report.csv")
    columns = lms_titles(order, roster, titles, fmt, stream)
    for a in order:
        theirs = (roster.lms_points.get(columns[a], "") if roster is not None else "").strip()
        try:
            if fmt == "canvas" and theirs and float(theirs) != maxima[a]:
                stream.write(
                    f"export: Canvas's {columns[a]!r} is worth {float(theirs):g} points, {a} "
                    f"{maxima[a]:g}: the file's Points Possible row sets "
                    f"it to {maxima[a]:g} on import\n"
                )
        except ValueError:
            log.debug(
                "Canvas's points of %r are not a number (%r): not compared", columns[a], theirs
            )

    gb_key: dict[str, str] = {}  # student id of the export -> student id in the gradebook
    if roster is not None:
        students = [e.student_id for e in roster.entries]
        for e in roster.entries:
            # graded from an LMS zip without a roster, a student is in the gradebook under an LMS id
            found = [
                k
                for k in (e.student_id, *e.lms_ids, e.sis_user_id, e.sis_login_id)
                if k and k in cells
            ]
            if found:
                gb_key[e.student_id] = found[0]
        claimed = set(gb_key.values())
        not_on_roster = sorted(s for s in cells if s not in claimed)
    else:
        students = sorted(cells)
        gb_key = {s: s for s in students}
        not_on_roster = []
    empty = {a: missing_cell(maxima[a], duedates.get(a), now) for a in order}

    def info(sid: str) -> dict:
        e = roster.by_student.get(sid) if roster is not None else None
        name = (e.name if e and e.name else "") or gb_names.get(gb_key.get(sid, sid), "")
        lms = e.lms_ids[0] if e and e.lms_ids else (sid if sid.isdigit() else "")
        return {
            "name": name,
            "lms": lms,
            "email": e.email if e else "",
            "id_number": (e.id_number if e else "") or sid,
            "sis_user_id": e.sis_user_id if e else "",
            "sis_login_id": e.sis_login_id if e else "",
            "section": e.section if e else "",
            "lms_ids": e.lms_ids if e else (),
        }

    def total(values) -> float:
        return sum(v for v in values if v is not None)

    total_max = sum(maxima.values())
    rows, report, ungraded = [], [], []
    worksheets: dict[str, list[list]] = {a: [] for a in order}
    for sid in students:
        row_cells = cells.get(gb_key.get(sid, ""), empty)
        i = info(sid)
        exported = [row_cells[a].exported for a in order]
        if fmt == "canvas":
            rows.append(
                [
                    i["name"] or sid,
                    i["lms"],
                    i["sis_user_id"],
                    i["sis_login_id"],
                    i["section"],
                    *exported,
                    total(exported),
                ]
            )
        elif fmt == "moodle":
            rows.append([i["id_number"], i["email"], i["name"], *exported, total(exported)])
        else:
            line = [sid, i["name"]]
            for a in order:
                cell = row_cells[a]
                line += [cell.raw, cell.seconds_late, cell.penalty, cell.exported, cell.max_score]
            line += [sum(row_cells[a].raw or 0.0 for a in order), total(exported), total_max]
            rows.append(line)
        if all(row_cells[a].raw is None for a in order):
            ungraded.append(sid)
        for a in order:
            cell = row_cells[a]
            notes = list(cell.notes)
            if sid not in gb_key:
                notes.insert(0, "roster student without a grade: nothing graded for this student")
            elif gb_key[sid] != sid:
                notes.append(f"in the gradebook as {gb_key[sid]} (its LMS id on the roster)")
            if cell.needs_manual:
                notes.append("still needs manual grading: ungraded answers count 0")
            if fmt == "canvas" and not i["lms"] and not i["sis_user_id"] and not i["sis_login_id"]:
                notes.append(
                    "no Canvas ID: Canvas will match this row by name "
                    "only (add lms_id to the roster)"
                )
            if fmt == "moodle":
                participant = times.get((gb_key.get(sid, sid), a), {}).get("lms_id") or (
                    i["lms_ids"][0] if len(i["lms_ids"]) == 1 else ""
                )
                if participant:
                    worksheets[a].append(
                        [
                            f"Participant {participant}",
                            i["name"],
                            i["email"],
                            "Submitted for grading" if cell.raw is not None else "No submission",
                            cell.exported,
                            cell.max_score,
                            "Yes",
                            "",
                            "",
                            _feedback(cell),
                        ]
                    )
                else:
                    notes.append(
                        "not in the Moodle worksheet: no Moodle participant id known for this "
                        "notebook (grade its Moodle zip with the roster, or give one lms_id)"
                    )
            report.append(_report_row(sid, i["name"], a, cell, "; ".join(notes)))
    for sid in ungraded:
        stream.write(
            f"export: {sid} is on the roster but has no grade in {', '.join(a[:2] for a in order)} "
            f"(see {report_path.name})\n"
        )
    for sid in not_on_roster:
        stream.write(
            f"export: {sid} is in the gradebook but not on the roster: not in {out.name} "
            f"(see {report_path.name})\n"
        )
        for a in order:
            report.append(
                _report_row(
                    sid,
                    gb_names.get(sid, ""),
                    a,
                    cells[sid][a],
                    "in the gradebook but not on the roster: not exported",
                )
            )

    if fmt == "canvas":
        header = [*CANVAS_HEADER, *(columns[a] for a in order), CANVAS_TOTAL]
        rows.insert(0, ["Points Possible", "", "", "", "", *(maxima[a] for a in order), total_max])
    elif fmt == "moodle":
        header = [*MOODLE_HEADER, *(columns[a] for a in order), "Total"]
    else:
        header = ["student_id", "name"]
        for a in order:
            header += [f"{a} raw", f"{a} late seconds", f"{a} penalty", a, f"{a} max"]
        header += ["total raw", "total", "max total"]
    write_csv(out, header, rows)
    write_csv(report_path, REPORT_COLUMNS, report)
    sheets = []
    if fmt == "moodle":
        for a in order:
            sheets.append(
                str(
                    write_csv(
                        out.with_name(f"{out.stem}_{a}_worksheet.csv"),
                        MOODLE_WORKSHEET,
                        worksheets[a],
                    )
                )
            )
    return {
        "out": str(out),
        "report": str(report_path),
        "students": len(students),
        "notebooks": len(order),
        "not_on_roster": not_on_roster,
        "ungraded": ungraded,
        "policy": policy,
        "columns": columns,
        "worksheets": sheets,
    }


def _report_row(sid: str, name: str, a: str, cell: Cell, note: str) -> list:
    return [
        sid,
        name,
        a,
        cell.raw,
        cell.max_score,
        "yes" if cell.raw is not None else "no",
        cell.timestamp,
        cell.time_source,
        cell.time_zone,
        "" if cell.late_marker is None else ("late" if cell.late_marker else "on time"),
        cell.duedate,
        cell.seconds_late,
        math.ceil(cell.seconds_late / DAY) if cell.seconds_late > 0 else 0,
        cell.penalty,
        cell.exported,
        note,
    ]


def _feedback(cell: Cell) -> str:
    """The worksheet's `Feedback comments`: the score and what changed it."""
    if cell.raw is None:
        return "no submission" if cell.missing else ""
    parts = [f"autograder: {cell.raw:g} / {cell.max_score:g}"]
    if cell.penalty:
        parts.append(f"late penalty {cell.penalty:g} ({_days(cell.seconds_late)} late)")
    if cell.needs_manual:
        parts.append("written answers not graded yet")
    return "; ".join(parts)


def lms_titles(
    order: list[str], roster: Roster | None, titles: list[str] | None, fmt: str, stream
) -> dict[str, str]:
    """Each notebook's column header in the LMS file: the LMS's own assignment column (`Title (id)`,
    from a Canvas gradebook export given as the roster, matched by the notebook's name or number, or
    named by `--lms-title NB=TITLE`), else the notebook's name.

    Raises:
        UsageError: a `--lms-title` that is not `NB=TITLE`, names an
        unknown notebook, or no column of the
            export; a notebook that matches no column, or several, of a Canvas export.
    """
    given = {}
    for spec in titles or []:
        name, sep, title = spec.partition("=")
        if not sep or not title.strip():
            raise UsageError(
                f"--lms-title {spec!r}: write NOTEBOOK=TITLE, e.g. "
                "01='Convolution as a matrix (1234)'"
            )
        given[_notebook(name.strip())] = title.strip()
    columns = list(roster.lms_columns) if roster is not None else []
    chosen = {}
    for a in order:
        if a in given:
            title = given[a]
            if columns:
                exact = [c for c in columns if c == title or re.sub(r"\s*\(\d+\)$", "", c) == title]
                if len(exact) != 1:
                    raise UsageError(
                        f"--lms-title {a[:2]}={title!r}: no single column of the LMS export has "
                        f"that title (its assignments: {', '.join(columns)})"
                    )
                title = exact[0]
            chosen[a] = title
        elif columns:
            number = a[:2]
            hits = [
                c
                for c in columns
                if a.lower() in c.lower() or re.match(rf"^0?{int(number)}(?![\d.])", c.strip())
            ]
            if len(hits) != 1:
                raise UsageError(
                    f"no single assignment of the LMS export matches {a} ("
                    + (
                        f"{len(hits)} do: {', '.join(hits)}"
                        if hits
                        else f"its assignments: {', '.join(columns) or 'none'}"
                    )
                    + f"): give --lms-title {number}='Title (id)'"
                )
            chosen[a] = hits[0]
            stream.write(f"export: {a} -> the LMS's column {hits[0]!r}\n")
        else:
            chosen[a] = a
    if fmt == "canvas" and not columns and set(chosen) - set(given):
        stream.write(
            "export: the notebook columns are named by notebook; Canvas makes a NEW assignment of "
            "any column that is not an existing assignment's exact title or `Title (id)`: give "
            "Canvas's own gradebook export as --roster, or --lms-title NB=TITLE\n"
        )
    return chosen
