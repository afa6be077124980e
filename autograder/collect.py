"""Find the submissions to grade: a folder, a zip of a folder, or an LMS download.

Submissions are data: nobody is merged with somebody else, nobody is lost, and
every file or folder that is seen ends up in `Collection.report` with what was
decided about it (`used`, `superseded`, `rejected` or `unmatched`) and why;
`write_report` writes that list as `collection_report.csv`.

Forms accepted
--------------
1. A folder with one sub-folder per student, `SUBMISSIONS/<student_id>/05_vae.ipynb`
   (nbgrader's `<student_id>/<assignment>/<notebook>.ipynb` works too). The folder
   name IS the student id, kept exactly (`-victor` and `victor` are two students).
   A name that cannot be a student id (empty, `.`/`..`, starting with `.`, a control
   or format character, a slash, longer than `MAX_ID_CHARS`) is reported by name.
2. A `.zip` of such a folder (with or without one top-level folder).
3. A Canvas "Download Submissions" zip. Canvas names each file (canvas-lms
   `lib/content_zipper.rb`, `get_filename` and `add_upload_submission`)::

       <sortable name, lower case, non-word characters removed>[_LATE]_<user id>_<file id>_<original file name>

   e.g. `smithbob_12345_678901_05_vae.ipynb`, `smithbob_LATE_12345_678902_05_vae-1.ipynb`
   (the marker is read in any case, `_late_` too). With anonymous grading the name part is
   `anon_<anonymous id>`. The third number is the id of the uploaded file (not of the
   submission); it grows with each upload and breaks ties between equal attempts.
   The Canvas user id is the student id, unless `--roster` maps it to another id.
4. A Moodle "Download all submissions" zip. Moodle (mod/assign `download_submissions`)
   puts each participant's files in a folder::

       <Full Name>_<participant id>_assignsubmission_file_/05_vae.ipynb

   (older Moodle, or "download as folders" off: the same prefix on flat file names,
   `<Full Name>_<participant id>_assignsubmission_file_05_vae.ipynb`). The participant id
   is Moodle's per-assignment "unique id for user" (`get_uniqueid_for_user`): it is the
   student id unless the roster maps it; when each notebook is its own Moodle assignment,
   give the roster every participant id of a student (`lms_id` = `123;456`).
5. Any other flat zip with `lms_regex`: a regular expression with the named groups
   `student_id` and `notebook` (as nbgrader's `FileNameCollectorPlugin.named_regexp`
   has `student_id` and `file_id`), and optionally `attempt` and `late`.

Renamed and resubmitted notebooks
---------------------------------
A file counts for a notebook when its name is the notebook's name followed by any
number of resubmission suffixes: `05_vae.ipynb`, `05_vae-1.ipynb` (Canvas's own
renaming, `Attachment.make_unique_filename`), `05_vae (1).ipynb` (browsers),
`05_vae_final.ipynb`, `05_vae-v2.ipynb`, `05_VAE - Copy.ipynb`, and `Copy of 05_vae.ipynb` (Google
Drive's and Colab's copy, any number of times). The latest one wins:

* attempt number: the largest number in the suffix; a suffix with words only
  (`_final`, `_new`, ...) or a `Copy of ` prefix is attempt 1; the exact name is attempt 0;
* then, for Canvas, the larger file id (a later upload);
* then the later modification time (the zip entry's date_time for a zip);
* then the name, so that the choice never depends on the order of the listing.

The choice is reported (`used` for the winner, `superseded` for the others).

Links are never followed
------------------------
Every path component is checked with `lstat` (`os.walk(followlinks=False)`); a
symbolic link anywhere (a student folder, a notebook folder such as
`<student>/01_conv_as_matrix -> .../solutions/01_conv_as_matrix`, a notebook file,
a link member inside a zip) is `rejected` with the reason `link`. When a link's
name is a notebook's name, that notebook is taken as not submitted for that
student (no other candidate is used). Zips are unpacked safely: entries with
absolute or `..` paths, links, or beyond the size limits are rejected and reported.
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import dataclasses
import datetime
import logging
import os
import pathlib
import re
import shutil
import stat
import time
import unicodedata
import zipfile

from . import csvsafe
from .paths import ASSIGNMENTS, UsageError

log = logging.getLogger(__name__)

MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_MEMBERS = 100_000
MAX_ID_CHARS = 128
REPORT_COLUMNS = ("source", "student_id", "notebook", "decision", "reason", "late", "submitted_at")
ROSTER_COLUMNS = (
    "student_id",
    "lms_id",
    "name",
    "email",
    "id_number",
    "sis_user_id",
    "sis_login_id",
    "section",
)

_SUFFIX_WORD = (
    r"(?:\(\d+\)|v?\d+|final|latest|new|updated|fixed|corrected|revised|resubmit(?:ted)?"
    r"|resubmission|submission|submit(?:ted)?|copy|done)"
)
_NOTEBOOK_FILE = re.compile(
    r"^(?P<copy>(?:copy of )*)(?P<nb>" + "|".join(map(re.escape, ASSIGNMENTS)) + r")"
    r"(?P<suffix>(?:[ _.\-]*" + _SUFFIX_WORD + r")*)\.ipynb$",
    re.IGNORECASE,
)
_CANVAS_IDS = re.compile(r"_(?P<user_id>\d+)_(?P<file_id>\d+)_")
_CANVAS_ANON = re.compile(
    r"^(?:(?P<late>late)_)?(?P<anon>anon_[A-Za-z0-9]+)_(?P<file_id>\d+)_(?P<original>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_MOODLE = re.compile(
    r"^(?P<name>[^_/]*)_(?P<uid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<rest>.*)$", re.DOTALL
)
_NOT_ID_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn"}


@dataclasses.dataclass
class ReportEntry:
    """One file or folder seen, and what was decided about it."""

    source: str
    student_id: str | None
    notebook: str | None
    decision: str  # used / superseded / rejected / unmatched
    reason: str
    late: bool | None = None
    submitted_at: str | None = None

    def __post_init__(self):
        self.source = printable(self.source)
        self.reason = printable(self.reason)


def printable(name: str) -> str:
    """`name` with control and invisible characters shown as escapes (safe
    to print on a terminal)."""
    return "".join(
        ch
        if unicodedata.category(ch) not in _NOT_ID_CATEGORIES
        else (f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}")
        for ch in name
    )


@dataclasses.dataclass
class Collection:
    """What was found: `files[(student_id, notebook)] = path`, plus everything seen and why.

    `students`, `files` and `skipped` (one human-readable line per rejected or unmatched
    entry) are what grade.py has always used; `report` has one `ReportEntry` per file or
    folder seen; `late` and `submitted_at` (ISO 8601 as in the zip, no time zone, or None)
    are keyed like `files`; `names` holds a display name when one is known.
    """

    students: list[str]
    files: dict[tuple[str, str], pathlib.Path]
    skipped: list[str]
    report: list[ReportEntry] = dataclasses.field(default_factory=list)
    late: dict[tuple[str, str], bool] = dataclasses.field(default_factory=dict)
    submitted_at: dict[tuple[str, str], str | None] = dataclasses.field(default_factory=dict)
    names: dict[str, str] = dataclasses.field(default_factory=dict)
    # the LMS id a file came under
    lms_ids: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    # the LMS's word
    late_marker: dict[tuple[str, str], bool | None] = dataclasses.field(default_factory=dict)
    # by student id
    gradescope_times: dict[str, datetime.datetime] = dataclasses.field(default_factory=dict)
    # (LMS id, name in the LMS)
    not_on_roster: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class RosterEntry:
    student_id: str
    lms_ids: tuple[str, ...] = ()
    name: str = ""
    email: str = ""
    id_number: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""


@dataclasses.dataclass
class Roster:
    """A class list: `entries` in file order, looked up by student id or by LMS id."""

    entries: list[RosterEntry]
    by_student: dict[str, RosterEntry]
    by_lms: dict[str, RosterEntry]
    # a Canvas export's assignment columns
    lms_columns: list[str] = dataclasses.field(default_factory=list)
    lms_points: dict[str, str] = dataclasses.field(default_factory=dict)  # their `Points Possible`


CANVAS_IDENTITY = (
    "Student",
    "ID",
    "SIS User ID",
    "SIS Login ID",
    "Integration ID",
    "Root Account",
    "Section",
)
_CANVAS_READ_ONLY = re.compile(
    r"(?:^|\s)(?:(?:Unposted )?(?:Current|Final) (?:Score|Points|Grade)|Override (?:Score|Grade))"
    r"$",
    re.IGNORECASE,
)


def _canvas_gradebook(path: pathlib.Path, rows: list[list[str]]) -> Roster:
    """Canvas's own gradebook export (Grades > Export) as a roster: `Student` is the name, `ID` the
    Canvas user id (the student id, as in a Canvas zip graded without a roster), then SIS ids and
    `Section`; every other column but Canvas's read-only totals is an assignment (`Title (id)`),
    kept in `lms_columns` for export."""
    header = [_unquote(h).strip() for h in rows[0]]
    col = {h: i for i, h in enumerate(header)}
    assignments = [
        h for h in header if h and h not in CANVAS_IDENTITY and not _CANVAS_READ_ONLY.search(h)
    ]
    entries, by_student, by_lms, points = [], {}, {}, {}

    def cell(row, name):
        i = col.get(name)
        return _unquote(row[i]).strip() if i is not None and i < len(row) else ""

    for row in rows[1:]:
        name, cid = cell(row, "Student"), cell(row, "ID")
        if name == "Points Possible":
            points = {h: cell(row, h) for h in assignments}
            continue
        if not cid.isdigit():
            continue  # Canvas's other header rows ("Manual Posting", "Read Only"), blank lines
        # Canvas's test student; a repeated row (two sections)
        if name == "Student, Test" or cid in by_student:
            continue
        entry = RosterEntry(
            cid,
            (cid,),
            name,
            "",
            "",
            cell(row, "SIS User ID"),
            cell(row, "SIS Login ID"),
            cell(row, "Section"),
        )
        entries.append(entry)
        by_student[cid] = by_lms[cid] = entry
    if not entries:
        raise UsageError(
            f"roster {path} looks like a Canvas gradebook export but lists no student with an ID"
        )
    return Roster(entries, by_student, by_lms, assignments, points)


def load_roster(path: pathlib.Path | str) -> Roster:
    """Read a roster CSV (UTF-8, a BOM is fine): one row per student, columns by header name; or
    Canvas's own gradebook export (first columns `Student`, `ID`: see `_canvas_gradebook`).

    `student_id` is required (the id the kit grades under); optional: `lms_id` (the Canvas
    user id, or Moodle participant ids separated by `;`), `name`, `email`, `id_number`,
    `sis_user_id`, `sis_login_id`, `section`. Header names ignore case, spaces and dashes.

    Raises:
        UsageError: the file is missing or unreadable, lacks `student_id`, has an unknown
            column, an empty or repeated student id, or an LMS id given to two students.
    """
    path = pathlib.Path(path)
    rows = csvsafe.read_person_csv(path, "roster", ": give a CSV with a student_id column")
    if not rows:
        raise UsageError(f"roster {path} is empty: give a header row with student_id, lms_id, name")
    if [_unquote(h).strip() for h in rows[0][:2]] == ["Student", "ID"]:
        return _canvas_gradebook(path, rows)
    header = [re.sub(r"[\s\-]+", "_", _unquote(h).strip().lower()) for h in rows[0]]
    unknown = [h for h in header if h not in ROSTER_COLUMNS]
    if unknown:
        raise UsageError(
            f"roster {path}: unknown column {unknown[0]!r}; the columns are "
            + ", ".join(ROSTER_COLUMNS)
        )
    if "student_id" not in header:
        raise UsageError(
            f"roster {path} has no student_id column: add one (the id the kit grades under)"
        )
    entries, by_student, by_lms = [], {}, {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        cells = {h: _unquote(row[i]).strip() if i < len(row) else "" for i, h in enumerate(header)}
        sid = cells["student_id"]
        if not sid:
            raise UsageError(f"roster {path}, line {line}: empty student_id")
        if (why := student_id_problem(sid)) is not None:
            raise UsageError(f"roster {path}, line {line}: {sid!r} cannot be a student id ({why})")
        if sid in by_student:
            raise UsageError(f"roster {path}, line {line}: student_id {sid!r} appears twice")
        lms_ids = tuple(p for p in re.split(r"[;\s]+", cells.get("lms_id", "")) if p)
        entry = RosterEntry(
            sid,
            lms_ids,
            cells.get("name", ""),
            cells.get("email", ""),
            cells.get("id_number", ""),
            cells.get("sis_user_id", ""),
            cells.get("sis_login_id", ""),
            cells.get("section", ""),
        )
        for lms in lms_ids:
            if lms in by_lms:
                raise UsageError(
                    f"roster {path}, line {line}: LMS id {lms} is also given to "
                    f"{by_lms[lms].student_id!r}; one LMS id belongs to one student"
                )
            by_lms[lms] = entry
        by_student[sid] = entry
        entries.append(entry)
    return Roster(entries, by_student, by_lms)


def _unquote(text: str) -> str:
    from .csvsafe import unsafe_cell

    return unsafe_cell(text)


def student_id_problem(name: str) -> str | None:
    """Why `name` cannot be a student id, or None when it can (then it is used exactly as it is)."""
    if name == "":
        return "empty"
    if name in (".", ".."):
        return "'.' and '..' are not names"
    if name.startswith("."):
        return "starts with '.' (a hidden entry)"
    if "/" in name or "\\" in name:
        return "contains a slash"
    if len(name) > MAX_ID_CHARS:
        return f"longer than {MAX_ID_CHARS} characters"
    for ch in name:
        if unicodedata.category(ch) in _NOT_ID_CATEGORIES:
            return f"contains the control or invisible character U+{ord(ch):04X}"
    return None


def match_notebook(filename: str) -> tuple[str, int] | None:
    """`(notebook, attempt)` when `filename` is a course notebook, possibly
    renamed (see the module docstring)."""
    m = _NOTEBOOK_FILE.match(filename)
    if not m:
        return None
    nb = next(a for a in ASSIGNMENTS if a.lower() == m.group("nb").lower())
    suffix = m.group("suffix")
    numbers = [int(n) for n in re.findall(r"\d+", suffix)]
    return nb, (max(numbers) if numbers else (1 if suffix or m.group("copy") else 0))


def _notebook_named(name: str) -> str | None:
    """The notebook a file or folder name stands for (a folder `05_vae`, a
    file `05_vae (1).ipynb`)."""
    for a in ASSIGNMENTS:
        if name.lower() == a.lower():
            return a
    m = match_notebook(name)
    return m[0] if m else None


@dataclasses.dataclass
class _Candidate:
    source: str
    path: pathlib.Path
    sid: str
    notebook: str
    attempt: int
    file_id: int = -1
    mtime: float = 0.0
    late: bool = False
    submitted_at: str | None = None
    note: str = ""
    lms_id: str = ""
    # the LMS's late marker (Canvas's LATE, the --lms-regex group `late`), if it has one
    marker: bool | None = None

    def key(self):
        return (self.attempt, self.file_id, self.mtime, self.source)


class _Collector:
    def __init__(self, roster: Roster | None):
        self.roster = roster
        self.report: list[ReportEntry] = []
        self.skipped: list[str] = []
        self.owners: dict[str, tuple[object, str]] = {}
        self.students: list[str] = []
        self.names: dict[str, str] = {}
        self.candidates: dict[tuple[str, str], list[_Candidate]] = {}
        self.poisoned: dict[tuple[str, str], str] = {}
        self.gradescope_times: dict[str, datetime.datetime] = {}
        self.not_on_roster: dict[str, str] = {}

    def note(self, source, sid, nb, decision, reason):
        self.report.append(ReportEntry(source, sid, nb, decision, reason))
        if decision in ("rejected", "unmatched"):
            self.skipped.append(f"{printable(source)}: {printable(reason)}")

    def claim(self, sid: str, identity, source: str) -> None:
        """Register student `sid` coming from `identity`; two identities never share an id."""
        key = unicodedata.normalize("NFC", sid)
        if key in self.owners:
            other_identity, other_source = self.owners[key]
            if other_identity != identity:
                raise UsageError(
                    f"{other_source} and {source} would both be student {sid!r}: "
                    "rename one (or fix the roster) so that each student has one id"
                )
            return
        self.owners[key] = (identity, source)
        self.students.append(sid)

    def lms_student(self, lms_id: str, source: str, display: str | None) -> tuple[str, str]:
        """The student id for an LMS id (through the roster when given) and
        a note for the report."""
        note = ""
        if self.roster is not None and lms_id in self.roster.by_lms:
            entry = self.roster.by_lms[lms_id]
            sid = entry.student_id
            identity = ("roster", sid)  # the roster says which LMS ids are this one person
            if entry.name:
                self.names.setdefault(sid, entry.name)
        else:
            sid = lms_id
            identity = ("lms", lms_id)
            if self.roster is not None:
                note = f"LMS id {lms_id} is not on the roster: kept under its LMS id"
                self.not_on_roster.setdefault(lms_id, display or "")
        if display:
            self.names.setdefault(sid, display)
        self.claim(sid, identity, source)
        return sid, note

    def add(self, cand: _Candidate) -> None:
        self.candidates.setdefault((cand.sid, cand.notebook), []).append(cand)

    def poison(self, sid: str, nb: str, source: str) -> None:
        self.poisoned.setdefault((sid, nb), source)

    def finish(self) -> Collection:
        files, late, submitted_at, lms_ids, markers = {}, {}, {}, {}, {}
        for key in sorted(set(self.candidates) | set(self.poisoned)):
            cands = sorted(self.candidates.get(key, []), key=_Candidate.key, reverse=True)
            if key in self.poisoned:
                for c in cands:
                    self.note(
                        c.source,
                        c.sid,
                        c.notebook,
                        "rejected",
                        f"link: {self.poisoned[key]} is a link, so "
                        f"{c.notebook} is taken as not submitted",
                    )
                continue
            best = cands[0]
            files[key] = best.path
            late[key] = best.late
            submitted_at[key] = best.submitted_at
            lms_ids[key] = best.lms_id
            markers[key] = best.marker
            file_id = f", file id {best.file_id}" if best.file_id >= 0 else ""
            why = (
                "the only file for this notebook"
                if len(cands) == 1
                else (
                    f"latest of {len(cands)} (attempt {best.attempt}{file_id}); over "
                    + ", ".join(c.source for c in cands[1:])
                )
            )
            self.report.append(
                ReportEntry(
                    best.source,
                    best.sid,
                    best.notebook,
                    "used",
                    "; ".join(p for p in (why, best.note) if p),
                    best.late,
                    best.submitted_at,
                )
            )
            for c in cands[1:]:
                self.report.append(
                    ReportEntry(
                        c.source,
                        c.sid,
                        c.notebook,
                        "superseded",
                        f"an earlier attempt: {best.source} is used",
                        c.late,
                        c.submitted_at,
                    )
                )
        if self.roster is not None:
            for sid in self.students:
                entry = self.roster.by_student.get(sid)
                if entry is not None and entry.name:
                    self.names[sid] = entry.name
        return Collection(
            sorted(self.students),
            files,
            self.skipped,
            self.report,
            late,
            submitted_at,
            self.names,
            lms_ids,
            markers,
            self.gradescope_times,
            sorted(self.not_on_roster.items()),
        )


def collect(
    source: pathlib.Path,
    unpack_dir: pathlib.Path,
    lms_regex: str | None = None,
    roster: Roster | pathlib.Path | str | None = None,
) -> Collection:
    """Find every student's notebooks in a folder or zip (see the module docstring).

    Raises:
        UsageError: `source` does not exist or is an unreadable zip; `lms_regex` is invalid;
            the roster is bad; two sources would give the same student id; nothing at all
            was found.
    """
    source = pathlib.Path(source)
    if roster is not None and not isinstance(roster, Roster):
        roster = load_roster(roster)
    regex = None
    if lms_regex is not None:
        try:
            regex = re.compile(lms_regex)
        except re.error as exc:
            raise UsageError(f"--lms-regex is not a valid regular expression: {exc}") from None
        if not {"student_id", "notebook"} <= set(regex.groupindex):
            raise UsageError(
                "--lms-regex needs the named groups (?P<student_id>...) and (?P<notebook>...)"
            )
    if not os.path.lexists(source):
        raise UsageError(f"{source} does not exist: give a folder of student folders or a .zip")
    c = _Collector(roster)
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise UsageError(f"{source} is neither a folder nor a zip file")
        unpack_dir = pathlib.Path(unpack_dir).resolve()
        if unpack_dir.exists():
            shutil.rmtree(unpack_dir)
        unpack_dir.mkdir(parents=True)
        times, refused = _safe_extract(source, unpack_dir, c)
        _collect_unpacked(unpack_dir, times, refused, c, regex)
    else:
        _collect_folder(source, c, times=None)
    found = c.finish()
    if not found.students:
        seen = (
            f" ({len(found.report)} entries seen, e.g. {found.skipped[0]})" if found.skipped else ""
        )
        raise UsageError(
            f"no student found in {source}{seen}: expect <student_id>/05_vae.ipynb, a Canvas or "
            "Moodle download, or set --lms-regex"
        )
    return found


def write_report(collection: Collection, path: pathlib.Path | str) -> pathlib.Path:
    """Write `collection.report` as a CSV (columns `REPORT_COLUMNS`), every
    cell CSV-injection safe."""
    from .csvsafe import write_csv

    rows = [
        (
            e.source,
            e.student_id,
            e.notebook,
            e.decision,
            e.reason,
            "" if e.late is None else ("yes" if e.late else "no"),
            e.submitted_at,
        )
        for e in collection.report
    ]
    return write_csv(path, REPORT_COLUMNS, rows)


# ---------------------------------------------------------------- folders


def _collect_folder(
    root: pathlib.Path, c: _Collector, times: dict[str, str] | None, prefix: str = ""
) -> None:
    """One sub-folder per student under `root` (`prefix` is how the report names `root`)."""
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        src = prefix + entry.name
        if entry.name == "__MACOSX" or entry.name == ".DS_Store":
            c.note(src, None, None, "unmatched", "macOS metadata, not a submission")
            continue
        problem = student_id_problem(entry.name)
        if entry.is_symlink():
            sid = entry.name if problem is None else None
            if sid is not None:
                c.claim(sid, ("folder", entry.name), src)
            c.note(
                src,
                sid,
                None,
                "rejected",
                "link: a student folder that is a symbolic link is not followed",
            )
            continue
        if not entry.is_dir(follow_symlinks=False):
            c.note(
                src,
                None,
                None,
                "unmatched",
                "a file at the top level: expected one folder per student",
            )
            continue
        if problem is not None:
            c.note(src, None, None, "rejected", f"cannot be a student id: {problem}")
            continue
        c.claim(entry.name, ("folder", entry.name), src)
        seen = len(c.report) + sum(map(len, c.candidates.values()))
        _walk_student(pathlib.Path(entry.path), src, entry.name, c, times)
        if len(c.report) + sum(map(len, c.candidates.values())) == seen:
            c.note(
                src,
                entry.name,
                None,
                "unmatched",
                "an empty student folder: every notebook counts as missing",
            )


def _walk_student(
    folder: pathlib.Path,
    src: str,
    sid: str,
    c: _Collector,
    times: dict[str, str] | None,
    file_id: int = -1,
    lms_id: str = "",
) -> None:
    """Every file and folder under one student's folder, links rejected and never followed."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = pathlib.Path(dirpath)
        rel_dir = here.relative_to(folder)
        for name in sorted(dirnames):
            full = here / name
            if stat.S_ISLNK(os.lstat(full).st_mode):
                dirnames.remove(name)
                _reject_link(c, f"{src}/{(rel_dir / name).as_posix()}", sid, name)
        dirnames.sort()
        for name in sorted(filenames):
            full = here / name
            rel = (rel_dir / name).as_posix()
            source = f"{src}/{rel}"
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                _reject_link(c, source, sid, name)
                continue
            if not stat.S_ISREG(st.st_mode):
                c.note(source, sid, None, "rejected", "not a regular file")
                continue
            m = match_notebook(name)
            if m is None and name == "submission_metadata.json" and not parts_of(rel_dir):
                from .submitted import gradescope_time

                when = gradescope_time(here)
                if when is not None:
                    c.gradescope_times[sid] = when
                    c.report.append(
                        ReportEntry(
                            source,
                            sid,
                            None,
                            "used",
                            f"Gradescope's submission time (created_at {when.isoformat()})",
                        )
                    )
                    continue
            if m is None:
                why = (
                    "a notebook whose name is none of the course notebooks ("
                    + ", ".join(ASSIGNMENTS)
                    + ")"
                    if name.lower().endswith(".ipynb")
                    else "not a notebook"
                )
                c.note(source, sid, None, "unmatched", why)
                continue
            nb, attempt = m
            parents = rel_dir.parts
            if not (
                len(parents) == 0
                or (
                    len(parents) == 1
                    and _notebook_named(parents[0]) == nb
                    and parents[0].lower() == nb.lower()
                )
            ):
                c.note(
                    source,
                    sid,
                    nb,
                    "unmatched",
                    f"{nb} inside {rel_dir.as_posix()}/: the kit reads "
                    f"<student>/{nb}.ipynb or <student>/{nb}/{nb}.ipynb only",
                )
                continue
            stamp = times.get(full.as_posix()) if times is not None else None
            c.add(
                _Candidate(
                    source,
                    full,
                    sid,
                    nb,
                    attempt,
                    file_id=file_id,
                    mtime=st.st_mtime,
                    submitted_at=stamp,
                    lms_id=lms_id,
                )
            )


def parts_of(rel_dir: pathlib.Path) -> tuple[str, ...]:
    """The folders of a path relative to a student's folder (none for the folder itself)."""
    return tuple(p for p in rel_dir.parts if p != ".")


def _reject_link(c: _Collector, source: str, sid: str, name: str) -> None:
    nb = _notebook_named(name)
    c.note(
        source,
        sid,
        nb,
        "rejected",
        "link: symbolic links are never followed"
        + (f"; {nb} is taken as not submitted" if nb else ""),
    )
    if nb is not None:
        c.poison(sid, nb, source)


# ---------------------------------------------------------------- zips


def _collect_unpacked(
    root: pathlib.Path,
    times: dict[str, str],
    refused: list[str],
    c: _Collector,
    regex: re.Pattern | None,
) -> None:
    """Decide the zip's layout (class folder, Moodle, Canvas, --lms-regex) and collect it."""
    prefix = ""
    visible = [p for p in sorted(root.iterdir()) if p.name not in ("__MACOSX", ".DS_Store")]
    if (
        len(visible) == 1
        and visible[0].is_dir()
        and not _MOODLE.match(visible[0].name)
        and not _has_notebook_at_top(visible[0])
        and regex is None
    ):
        for p in sorted(root.iterdir()):
            if p != visible[0]:
                c.note(p.name, None, None, "unmatched", "macOS metadata, not a submission")
        root = visible[0]
        prefix = root.name + "/"
        visible = [p for p in sorted(root.iterdir())]
    refused_here = [r[len(prefix) :] for r in refused if r.startswith(prefix)]
    tops = [p for p in visible if p.name not in ("__MACOSX", ".DS_Store")]
    if regex is not None:
        _collect_regex(root, prefix, times, c, regex)
    elif any(_MOODLE.match(p.name) for p in tops):
        _collect_moodle(root, prefix, times, c)
    elif tops and all(p.is_file() for p in tops):
        _collect_canvas(root, prefix, times, c)
    else:
        _collect_folder(root, c, times, prefix)
    _apply_refused_links(refused_here, prefix, c)


def _has_notebook_at_top(folder: pathlib.Path) -> bool:
    return any(p.is_file() and match_notebook(p.name) for p in folder.iterdir())


def _apply_refused_links(refused: list[str], prefix: str, c: _Collector) -> None:
    """A link member of the zip (never extracted) makes its notebook not
    submitted for its student."""
    for rel in refused:
        parts = rel.split("/")
        if len(parts) < 2:
            parsed = _parse_canvas(parts[0]) if parts and parts[0] else None
            if parsed is not None and parsed[5] is not None:
                lms = parsed[2]
                sid = (
                    c.roster.by_lms[lms].student_id if c.roster and lms in c.roster.by_lms else lms
                )
                if sid in c.students:
                    c.poison(sid, parsed[5][0], prefix + rel)
            continue
        top = parts[0]
        m = _MOODLE.match(top)
        if m and m.group("rest") == "":
            lms = m.group("uid")
            sid = c.roster.by_lms[lms].student_id if c.roster and lms in c.roster.by_lms else lms
        elif student_id_problem(top) is None:
            sid = top
        else:
            continue
        for part in parts[1:]:
            nb = _notebook_named(part)
            if nb is not None and sid in c.students:
                c.poison(sid, nb, prefix + rel)
                break


def _collect_canvas(root: pathlib.Path, prefix: str, times: dict[str, str], c: _Collector) -> None:
    for path in sorted(root.iterdir()):
        src = prefix + path.name
        parsed = _parse_canvas(path.name)
        if parsed is None:
            m = _MOODLE.match(path.name)
            c.note(
                src,
                None,
                None,
                "unmatched",
                "not a Canvas submission file name (<name>[_LATE]_<user id>_<file id>_<file name>)"
                if not m
                else "a Moodle name among Canvas files",
            )
            continue
        slug, late, lms_id, file_id, original, nbm = parsed
        sid, note = c.lms_student(lms_id, src, slug or None)
        if nbm is None:
            c.note(
                src,
                sid,
                None,
                "unmatched",
                f"the submitted file {original!r} is not a course notebook",
            )
            continue
        st = os.lstat(path)
        c.add(
            _Candidate(
                src,
                path,
                sid,
                *nbm,
                file_id=file_id,
                mtime=st.st_mtime,
                late=late,
                submitted_at=times.get(path.as_posix()),
                note=note,
                lms_id=lms_id,
                marker=late,
            )
        )


def _parse_canvas(name: str):
    """(slug, late, user id, file id, original name, (notebook, attempt) or
    None), or None if not Canvas."""
    m = _CANVAS_ANON.match(name)
    if m:
        return (
            "",
            bool(m.group("late")),
            m.group("anon"),
            int(m.group("file_id")),
            m.group("original"),
            match_notebook(m.group("original")),
        )
    splits = []
    pos = 0
    while (m := _CANVAS_IDS.search(name, pos)) is not None:
        splits.append(m)
        pos = m.start() + 1
    if not splits:
        return None
    fallback = None
    for m in splits:
        slug, original = name[: m.start()], name[m.end() :]
        late = False
        if slug.lower() == "late" or slug.lower().endswith("_late"):
            late, slug = True, slug[:-4].rstrip("_")
        nbm = match_notebook(original)
        parsed = (slug, late, m.group("user_id"), int(m.group("file_id")), original, nbm)
        if nbm is not None:
            return parsed
        fallback = fallback or parsed
    return fallback


def _collect_moodle(root: pathlib.Path, prefix: str, times: dict[str, str], c: _Collector) -> None:
    for path in sorted(root.iterdir()):
        src = prefix + path.name
        m = _MOODLE.match(path.name)
        if m is None:
            c.note(
                src,
                None,
                None,
                "unmatched",
                "not a Moodle participant folder "
                "(<Full Name>_<participant id>_assignsubmission_file_)",
            )
            continue
        display, lms_id, plugin, rest = (
            m.group("name"),
            m.group("uid"),
            m.group("plugin"),
            m.group("rest"),
        )
        if path.is_symlink():
            c.note(src, None, None, "rejected", "link: symbolic links are never followed")
            continue
        sid, note = c.lms_student(lms_id, src, display or None)
        if plugin != "file":
            c.note(src, sid, None, "unmatched", f"Moodle '{plugin}' submission, not a file upload")
            continue
        if path.is_dir():
            c.report.append(
                ReportEntry(
                    src,
                    sid,
                    None,
                    "used",
                    f"Moodle participant {lms_id} ({display})" + (f"; {note}" if note else ""),
                )
            )
            _walk_student(path, src, sid, c, times, lms_id=lms_id)
            continue
        nbm = match_notebook(rest)
        if nbm is None:
            c.note(
                src, sid, None, "unmatched", f"the submitted file {rest!r} is not a course notebook"
            )
            continue
        c.add(
            _Candidate(
                src,
                path,
                sid,
                *nbm,
                mtime=os.lstat(path).st_mtime,
                submitted_at=times.get(path.as_posix()),
                note=note,
                lms_id=lms_id,
            )
        )


def _collect_regex(
    root: pathlib.Path, prefix: str, times: dict[str, str], c: _Collector, regex: re.Pattern
) -> None:
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        src = prefix + rel
        m = regex.match(path.name)
        nbm = None
        if m:
            nb = m.group("notebook")
            nbm = match_notebook(nb if nb.lower().endswith(".ipynb") else nb + ".ipynb")
        if not m or nbm is None:
            c.note(
                src,
                None,
                None,
                "unmatched",
                "name does not match --lms-regex with a course notebook",
            )
            continue
        raw = m.group("student_id")
        if (why := student_id_problem(raw)) is not None:
            c.note(src, None, nbm[0], "rejected", f"{raw!r} cannot be a student id: {why}")
            continue
        groups = m.groupdict()
        attempt = (
            int(groups["attempt"])
            if groups.get("attempt") and groups["attempt"].isdigit()
            else nbm[1]
        )
        sid, note = c.lms_student(raw, src, None)
        marker = bool(groups.get("late")) if "late" in regex.groupindex else None
        c.add(
            _Candidate(
                src,
                path,
                sid,
                nbm[0],
                attempt,
                mtime=os.lstat(path).st_mtime,
                late=bool(groups.get("late")),
                submitted_at=times.get(path.as_posix()),
                note=note,
                lms_id=raw,
                marker=marker,
            )
        )


def _safe_extract(
    archive: pathlib.Path, dest: pathlib.Path, c: _Collector
) -> tuple[dict[str, str], list[str]]:
    """Extract regular files only, inside `dest`, within the size limits.

    Returns the ISO date_time of each extracted file (by its path) and the names of the
    link members refused; every refused member is reported.
    """
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{archive} is not a readable zip: {exc}") from None
    times: dict[str, str] = {}
    links: list[str] = []
    total = 0
    dest = dest.resolve()
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_MEMBERS:
            raise UsageError(
                f"{archive} has {len(infos)} entries (more than "
                f"{MAX_MEMBERS}): is it a submissions zip?"
            )
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            norm = name.replace("\\", "/")
            parts = pathlib.PurePosixPath(norm).parts
            if stat.S_ISLNK(mode):
                c.note(
                    name,
                    None,
                    _notebook_named(parts[-1]) if parts else None,
                    "rejected",
                    "link: a link inside the zip is never extracted",
                )
                links.append(norm)
                continue
            if (
                name.startswith(("/", "\\"))
                or ".." in parts
                or (parts and ":" in parts[0])
                or not parts
            ):
                c.note(name, None, None, "rejected", "path leaves the folder")
                continue
            if any("\x00" in p for p in parts):
                c.note(name, None, None, "rejected", "a name with a NUL character")
                continue
            if info.file_size > MAX_ENTRY_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                c.note(name, None, None, "rejected", f"larger than {MAX_ENTRY_BYTES // 2**20} MB")
                continue
            target = (dest / pathlib.Path(*parts)).resolve()
            if dest not in target.parents:
                c.note(name, None, None, "rejected", "path leaves the folder")
                continue
            if target.exists():
                c.note(name, None, None, "rejected", "a second entry with the same path in the zip")
                continue
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                c.note(name, None, None, "rejected", "its folder is also a file in the zip")
                continue
            written = 0
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_ENTRY_BYTES:
                        break
                    out.write(chunk)
            if written > MAX_ENTRY_BYTES:
                target.unlink()
                c.note(
                    name,
                    None,
                    None,
                    "rejected",
                    f"larger than {MAX_ENTRY_BYTES // 2**20} MB once unpacked",
                )
                continue
            total += written
            try:
                stamp = datetime.datetime(*info.date_time)
                times[target.as_posix()] = stamp.isoformat()
                os.utime(target, (time.mktime(stamp.timetuple()),) * 2)
            # the zip's own time is only a fallback
            except (ValueError, OverflowError, OSError) as exc:
                log.debug(
                    "%s: the zip's time %r of %s not kept: %s", archive, info.date_time, name, exc
                )
    return times, links
