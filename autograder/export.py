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
With `--roster` (columns in `collect.load_roster`): one row per roster student, in
roster order; one who submitted nothing gets 0 for each notebook (the kit grades a
missing notebook 0, as grades.csv does). A roster student is looked up in the
gradebook by `student_id`, then by each `lms_id` (a class graded from an LMS zip
without a roster is in the gradebook under LMS ids). Without a roster: every student in the
gradebook, sorted by id. Nobody is ever dropped.

Late policy
-----------
As nbgrader's `LateSubmissionPlugin` (`none` or `zero`), with a per-day variant:
lateness is `SubmittedAssignment.total_seconds_late` (the submission `timestamp`
past the assignment's `duedate`, plus any extension nbgrader stores). `--due NB=ISO`
stores a due date in the gradebook (`update_or_create_assignment(name, duedate=...)`;
a time without an offset is UTC, as nbgrader's `parse_utc` reads it); without it the
gradebook's due date is used.

* `none`: no penalty.
* `per-day:P`: P percent of the notebook's maximum per started day late (1 second
  late is one day), never below 0: 10 points, 2.5 days late, `per-day:10` gives
  raw - 3 x 1 point.
* `zero-after`: 0 for any submission after the due date (nbgrader's `zero`).
"""
from __future__ import annotations

import dataclasses
import datetime
import math
import pathlib
import re
import sys
import warnings

from .collect import Roster, load_roster
from .csvsafe import write_csv
from .paths import ASSIGNMENTS, COURSE_ID, UsageError

FORMATS = ("canvas", "moodle", "csv")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_TOTAL = "Final Points"
MOODLE_HEADER = ("ID number", "Email address", "Full name")
REPORT_COLUMNS = ("student_id", "name", "notebook", "raw_score", "max_score", "submitted", "timestamp", "duedate",
                  "seconds_late", "days_late", "penalty", "exported_score", "note")
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
    raise UsageError(f"--late-policy {text!r}: use none, per-day:PCT (e.g. per-day:10 for 10 % of the "
                     "maximum per started day) or zero-after")


def parse_due(specs: list[str] | None) -> dict[str, datetime.datetime]:
    """`["05=2026-03-01T23:59:00+01:00", ...]` as {notebook: UTC datetime without tzinfo} (nbgrader's form).

    Raises:
        UsageError: no `=`, an unknown notebook, or a date that is not ISO 8601.
    """
    due = {}
    for spec in specs or []:
        name, sep, when = spec.partition("=")
        if not sep:
            raise UsageError(f"--due {spec!r}: write NOTEBOOK=DATE, e.g. 05=2026-03-01T23:59:00+00:00")
        nb = _notebook(name.strip())
        try:
            stamp = datetime.datetime.fromisoformat(when.strip())
        except ValueError:
            raise UsageError(f"--due {spec!r}: {when!r} is not an ISO 8601 date such as "
                             "2026-03-01T23:59:00+00:00") from None
        if stamp.tzinfo is not None:
            stamp = stamp.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        due[nb] = stamp
    return due


def _notebook(name: str) -> str:
    matches = [a for a in ASSIGNMENTS if a == name or a.split("_", 1)[0] == name.zfill(2)]
    if not matches:
        raise UsageError(f"unknown notebook {name!r}: use a two-digit number such as 05 or a name such as "
                         f"{ASSIGNMENTS[4]}")
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

    @property
    def exported(self) -> float:
        return 0.0 if self.raw is None else max(0.0, self.raw - self.penalty)


def read_gradebook(db_url: str, policy: LatePolicy, due: dict[str, datetime.datetime]
                   ) -> tuple[list[str], dict[str, float], dict[str, dict[str, Cell]], dict[str, str]]:
    """(notebooks in course order, their max scores, cells[student][notebook], gradebook names), storing `due` first."""
    from nbgrader.api import Gradebook, MissingEntry

    warnings.filterwarnings("ignore", module="nbgrader")
    with Gradebook(db_url, COURSE_ID) as gb:
        present = {a.name: a for a in gb.assignments}
        for nb, when in due.items():
            if nb not in present:
                raise UsageError(f"{nb} is not in the gradebook {db_url} yet: grade it first, then set its due date")
            gb.update_or_create_assignment(nb, duedate=when)
        present = {a.name: a for a in gb.assignments}
        order = [a for a in ASSIGNMENTS if a in present] + sorted(a for a in present if a not in ASSIGNMENTS)
        maxima = {a: float(present[a].max_score or 0.0) for a in order}
        cells: dict[str, dict[str, Cell]] = {}
        names: dict[str, str] = {}
        for student in gb.students:
            sid = student.id
            full = " ".join(p for p in (student.first_name, student.last_name) if p)
            if full:
                names[sid] = full
            row = {}
            for a in order:
                try:
                    sub = gb.find_submission(a, sid)
                except MissingEntry:
                    row[a] = Cell(None, maxima[a])
                    continue
                raw = float(sub.score or 0.0)
                late = float(sub.total_seconds_late or 0.0)
                duedate = sub.duedate
                row[a] = Cell(raw, maxima[a], late, policy.penalty(raw, maxima[a], late),
                              sub.timestamp.isoformat() if sub.timestamp else None,
                              duedate.isoformat() if duedate else None, bool(sub.needs_manual_grade))
            cells[sid] = row
    return order, maxima, cells, names


def export(fmt: str, *, results: pathlib.Path = pathlib.Path("results"), db_url: str | None = None,
           roster: pathlib.Path | Roster | None = None, out: pathlib.Path | None = None,
           due: list[str] | None = None, late_policy: str | None = None, stream=None) -> dict:
    """Write the upload file and its report; return {"out", "report", "students", "notebooks", "not_on_roster"}.

    Raises:
        UsageError: unknown format, missing gradebook or roster, bad --due or --late-policy.
    """
    stream = sys.stderr if stream is None else stream
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use one of {', '.join(FORMATS)}")
    policy = parse_late_policy(late_policy)
    due_dates = parse_due(due)
    results = pathlib.Path(results)
    if db_url is None:
        db_path = results / "gradebook.db"
        if not db_path.is_file():
            raise UsageError(f"no gradebook at {db_path}: run `python -m autograder grade SUBMISSIONS --out "
                             f"{results}` first, or give --results or --db")
        db_url = f"sqlite:///{db_path.resolve()}"
    elif db_url.startswith("sqlite:///") and not pathlib.Path(db_url[len("sqlite:///"):]).is_file():
        raise UsageError(f"--db {db_url}: no such gradebook file (nbgrader would create an empty one)")
    if roster is not None and not isinstance(roster, Roster):
        roster = load_roster(roster)
    order, maxima, cells, gb_names = read_gradebook(db_url, policy, due_dates)
    if not order:
        raise UsageError(f"the gradebook {db_url} holds no notebook: grade some submissions first")
    out = pathlib.Path(out) if out is not None else results / {"canvas": "canvas_grades.csv",
                                                                "moodle": "moodle_grades.csv",
                                                                "csv": "grades_export.csv"}[fmt]
    report_path = out.with_name(out.stem + "_report.csv")

    gb_key: dict[str, str] = {}  # student id of the export -> student id in the gradebook
    if roster is not None:
        students = [e.student_id for e in roster.entries]
        for e in roster.entries:
            # graded from an LMS zip without a roster, a student is in the gradebook under an LMS id
            found = [k for k in (e.student_id, *e.lms_ids) if k in cells]
            if found:
                gb_key[e.student_id] = found[0]
        claimed = set(gb_key.values())
        not_on_roster = sorted(s for s in cells if s not in claimed)
    else:
        students = sorted(cells)
        gb_key = {s: s for s in students}
        not_on_roster = []
    empty = {a: Cell(None, maxima[a]) for a in order}

    def info(sid: str) -> dict:
        e = roster.by_student.get(sid) if roster is not None else None
        name = (e.name if e and e.name else "") or gb_names.get(gb_key.get(sid, sid), "")
        lms = e.lms_ids[0] if e and e.lms_ids else (sid if sid.isdigit() else "")
        return {"name": name, "lms": lms, "email": e.email if e else "", "id_number": (e.id_number if e else "") or sid,
                "sis_user_id": e.sis_user_id if e else "", "sis_login_id": e.sis_login_id if e else "",
                "section": e.section if e else ""}

    total_max = sum(maxima.values())
    rows, report = [], []
    for sid in students:
        row_cells = cells.get(gb_key.get(sid, ""), empty)
        i = info(sid)
        exported = [row_cells[a].exported for a in order]
        if fmt == "canvas":
            rows.append([i["name"] or sid, i["lms"], i["sis_user_id"], i["sis_login_id"], i["section"],
                         *exported, sum(exported)])
        elif fmt == "moodle":
            rows.append([i["id_number"], i["email"], i["name"], *exported, sum(exported)])
        else:
            line = [sid, i["name"]]
            for a in order:
                cell = row_cells[a]
                line += [cell.raw, cell.seconds_late, cell.penalty, cell.exported, cell.max_score]
            line += [sum(row_cells[a].raw or 0.0 for a in order), sum(exported), total_max]
            rows.append(line)
        for a in order:
            cell = row_cells[a]
            notes = []
            if sid not in gb_key:
                notes.append("not in the gradebook: nothing graded for this student")
            elif gb_key[sid] != sid:
                notes.append(f"in the gradebook as {gb_key[sid]} (its LMS id on the roster)")
            elif cell.raw is None:
                notes.append("no submission in the gradebook")
            if cell.needs_manual:
                notes.append("still needs manual grading: ungraded answers count 0")
            if fmt == "canvas" and not i["lms"] and not i["sis_user_id"] and not i["sis_login_id"]:
                notes.append("no Canvas ID: Canvas will match this row by name only (add lms_id to the roster)")
            report.append([sid, i["name"], a, cell.raw, cell.max_score, "yes" if cell.raw is not None else "no",
                           cell.timestamp, cell.duedate, cell.seconds_late,
                           math.ceil(cell.seconds_late / DAY) if cell.seconds_late > 0 else 0,
                           cell.penalty, cell.exported, "; ".join(notes)])
    for sid in not_on_roster:
        stream.write(f"export: {sid} is in the gradebook but not on the roster: not in {out.name} "
                     f"(see {report_path.name})\n")
        for a in order:
            cell = cells[sid][a]
            report.append([sid, gb_names.get(sid, ""), a, cell.raw, cell.max_score,
                           "yes" if cell.raw is not None else "no", cell.timestamp, cell.duedate,
                           cell.seconds_late, math.ceil(cell.seconds_late / DAY) if cell.seconds_late > 0 else 0,
                           cell.penalty, cell.exported, "in the gradebook but not on the roster: not exported"])

    if fmt == "canvas":
        header = [*CANVAS_HEADER, *order, CANVAS_TOTAL]
        rows.insert(0, ["Points Possible", "", "", "", "", *(maxima[a] for a in order), total_max])
    elif fmt == "moodle":
        header = [*MOODLE_HEADER, *order, "Total"]
    else:
        header = ["student_id", "name"]
        for a in order:
            header += [f"{a} raw", f"{a} late seconds", f"{a} penalty", a, f"{a} max"]
        header += ["total raw", "total", "max total"]
    write_csv(out, header, rows)
    write_csv(report_path, REPORT_COLUMNS, report)
    return {"out": str(out), "report": str(report_path), "students": len(students), "notebooks": len(order),
            "not_on_roster": not_on_roster, "policy": policy}
