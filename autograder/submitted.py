"""When each notebook was handed in, and how we know: the time a late policy judges.

In this order (the first that knows wins):

1. the LMS's own word on lateness: Canvas's `LATE` marker in a submissions zip
   (`Collection.late`), Moodle's "... late" in a grading worksheet's `Status`: it says
   *whether* a file was late; a file the LMS calls on time is never penalised;
2. the LMS's own submission time, from a file the TA gives (`--submission-times`):
   Moodle's per-assignment grading worksheet (`Identifier` "Participant 1234567",
   `Last modified (submission)` such as "Monday, 2 March 2026, 11:59 PM", in the time
   zone Moodle showed it in, `--lms-timezone`), or any CSV with `lms_id` or `student_id`,
   optional `notebook`, and `submitted_at` in ISO 8601 (Canvas's API `submitted_at`);
3. Gradescope's `submission_metadata.json` `created_at`, when a student's folder holds one
   (a Gradescope export);
4. the first time the grader saw this exact file (its SHA-256) for this student and notebook,
   kept in `.state/first_seen.json`: an unchanged file keeps its first time however often the
   zip is downloaded again. A zip entry's own date is never used: Canvas sets it to the time
   of the download.

Every time is stored in UTC with the name of its source and the zone it was given in.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import json
import logging
import os
import pathlib
import re
import zoneinfo

from . import csvsafe
from .paths import ASSIGNMENTS, UsageError

log = logging.getLogger(__name__)
FIRST_SEEN = "first_seen.json"
FIRST_SEEN_SOURCE = "first seen by the grader"
MOODLE_FORMATS = (
    "%A, %d %B %Y, %I:%M %p",
    "%A, %B %d, %Y, %I:%M %p",
    "%d %B %Y, %I:%M %p",
    "%A, %d %B %Y, %H:%M",
)
MAX_METADATA_BYTES = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class SubmissionTime:
    """When one notebook was handed in: `at` in ISO 8601 UTC (or None),
    where that came from, in which zone the source gave it, and the LMS's
    own late marker (True late, False on time, None: it did not say)."""

    at: str | None
    source: str
    zone: str = "UTC"
    late_marker: bool | None = None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass
class LmsTimes:
    """Submission times and late markers read from an LMS export, by (id, notebook or None)."""

    times: dict[tuple[str, str | None], datetime.datetime] = dataclasses.field(default_factory=dict)
    late: dict[tuple[str, str | None], bool] = dataclasses.field(default_factory=dict)
    source: str = ""
    zone: str = "UTC"

    def lookup(self, ids: tuple[str, ...], notebook: str):
        for key in [(i, notebook) for i in ids] + [(i, None) for i in ids]:
            if key in self.times or key in self.late:
                return self.times.get(key), self.late.get(key)
        return None, None


def _zone(name: str | None) -> datetime.tzinfo | None:
    if name is None:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--lms-timezone {name!r} is not a time zone: give an IANA name such as Europe/Berlin "
            "or UTC"
        ) from None


def load_lms_times(path: pathlib.Path, zone_name: str | None = None) -> LmsTimes:
    """Read a Moodle grading worksheet or an `lms_id|student_id, [notebook], submitted_at` CSV.

    Raises:
        UsageError: unreadable file, unknown columns, a time that cannot be
        read, or times without a zone and
            no `--lms-timezone`.
    """
    path = pathlib.Path(path)
    zone = _zone(zone_name)
    rows = csvsafe.read_person_csv(path, "--submission-times", reader=csv.DictReader)
    header = set(rows[0]) if rows else set()
    out = LmsTimes(zone=zone_name or "UTC")
    if {"Identifier", "Last modified (submission)"} <= header:
        if zone is None:
            raise UsageError(
                f"{path} is a Moodle grading worksheet, whose times have no time zone: give "
                "--lms-timezone (the zone Moodle showed them in, e.g. Europe/Berlin)"
            )
        out.source = f"Moodle grading worksheet {path.name}"
        for line, row in enumerate(rows, start=2):
            m = re.search(r"(\d+)\s*$", row["Identifier"] or "")
            if not m:
                continue
            key = (m.group(1), None)
            status = (row.get("Status") or "").lower()
            if "no submission" in status:
                continue
            out.late[key] = bool(re.search(r"\blate\b", status))
            text = (row["Last modified (submission)"] or "").strip()
            if text and text != "-":
                out.times[key] = _moodle_time(text, zone, path, line)
        return out
    ids = [c for c in ("lms_id", "student_id") if c in header]
    if not ids or "submitted_at" not in header:
        raise UsageError(
            f"--submission-times {path}: expected a Moodle grading worksheet (Identifier, Last "
            "modified (submission)) or the columns lms_id or student_id, notebook, submitted_at"
        )
    out.source = f"LMS submission times {path.name}"
    for line, row in enumerate(rows, start=2):
        who = (row.get(ids[0]) or "").strip()
        text = (row.get("submitted_at") or "").strip()
        if not who or not text:
            continue
        nb = _notebook((row.get("notebook") or "").strip(), path, line)
        try:
            when = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise UsageError(
                f"{path}, line {line}: {text!r} is not an ISO 8601 time such as "
                "2026-03-01T23:59:00+01:00"
            ) from None
        if when.tzinfo is None:
            if zone is None:
                raise UsageError(
                    f"{path}, line {line}: {text!r} has no time zone: add one (+01:00, Z) or give "
                    "--lms-timezone"
                )
            when = when.replace(tzinfo=zone)
        else:
            out.zone = "as written in the file"
        out.times[(who, nb)] = when.astimezone(datetime.timezone.utc)
    return out


def _notebook(text: str, path: pathlib.Path, line: int) -> str | None:
    if not text:
        return None
    for a in ASSIGNMENTS:
        if text == a or a.split("_", 1)[0] == text.zfill(2):
            return a
    raise UsageError(
        f"{path}, line {line}: unknown notebook {text!r}: use 01 ... 06 or a notebook's name"
    )


def _moodle_time(
    text: str, zone: datetime.tzinfo, path: pathlib.Path, line: int
) -> datetime.datetime:
    cleaned = re.sub(r"\s+", " ", text.strip())
    for fmt in MOODLE_FORMATS:
        try:
            return (
                datetime.datetime.strptime(cleaned, fmt)
                .replace(tzinfo=zone)
                .astimezone(datetime.timezone.utc)
            )
        except ValueError:
            continue
    raise UsageError(
        f"{path}, line {line}: cannot read the time {text!r} (expected Moodle's \"Monday, 2 March "
        "2026, 11:59 PM\"): download the worksheet with the site's English language pack"
    )


def gradescope_time(folder: pathlib.Path) -> datetime.datetime | None:
    """`created_at` of a Gradescope `submission_metadata.json` in a
    student's folder (None when absent or bad)."""
    path = folder / "submission_metadata.json"
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_METADATA_BYTES:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        when = datetime.datetime.fromisoformat(str(data["created_at"]).replace("Z", "+00:00"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if when.tzinfo is None:
        return None
    return when.astimezone(datetime.timezone.utc)


def file_digest(path: pathlib.Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


class FirstSeen:
    """The first time each (student, notebook, file content) was seen, kept
    in the results folder."""

    def __init__(self, state: pathlib.Path):
        self.path = state / FIRST_SEEN
        try:
            self.seen: dict[str, str] = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.seen = {}
        self.now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)

    def remember(self, student_id: str, notebook: str, digest: str, when: str | None) -> None:
        """Keep `when` as the first time of this file unless an earlier one
        is known (from an earlier record)."""
        key = f"{student_id}/{notebook}/{digest}"
        if when and key not in self.seen:
            stamp = datetime.datetime.fromisoformat(when)
            if stamp.tzinfo is None:  # an older record's time, as the zip held it: read as UTC
                stamp = stamp.replace(tzinfo=datetime.timezone.utc)
            self.seen[key] = stamp.astimezone(datetime.timezone.utc).isoformat()

    def time(self, student_id: str, notebook: str, digest: str) -> datetime.datetime:
        key = f"{student_id}/{notebook}/{digest}"
        if key not in self.seen:
            self.seen[key] = self.now.isoformat()
        return datetime.datetime.fromisoformat(self.seen[key])

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(self.seen, indent=0, sort_keys=True), encoding="utf-8")
        os.replace(tmp, self.path)


def decide(
    student_id: str,
    notebook: str,
    digest: str,
    *,
    lms_ids: tuple[str, ...],
    late_marker: bool | None,
    lms: LmsTimes | None,
    gradescope: datetime.datetime | None,
    first_seen: FirstSeen,
) -> SubmissionTime:
    """The submission time of one file, by the order in the module docstring."""
    # recorded whatever wins: a later run may need it
    first = first_seen.time(student_id, notebook, digest)
    marker = late_marker
    if lms is not None:
        when, lms_late = lms.lookup(tuple(dict.fromkeys((*lms_ids, student_id))), notebook)
        if lms_late is not None and marker is None:
            marker = lms_late
        if when is not None:
            return SubmissionTime(when.isoformat(), lms.source, lms.zone, marker)
    if gradescope is not None:
        return SubmissionTime(
            gradescope.isoformat(), "Gradescope submission_metadata.json created_at", "UTC", marker
        )
    return SubmissionTime(first.isoformat(), FIRST_SEEN_SOURCE, "UTC", marker)
