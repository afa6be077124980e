"""`python -m autograder merge SHARD_RESULTS... --into results/`: the
shards of a class in one results folder.

Each shard (`grade --shard K/N`, shard.py) graded its students into a results folder of
its own. The merge brings each shard's records (`.state/<student>/<notebook>.json`),
their scores (into the gradebook of `--into`, through nbgrader's API as a grading run
records them, so formgrader works on the merged folder), their autograded notebooks,
their first-seen submission times and their collection reports into one results folder,
then rebuilds `grades.csv`, `tests.csv` and the feedback pages there (grade.rebuild).

- Idempotent: `.state/.merged.json` in `--into` keeps a digest of every record merged; a record
  merged before is not written again, so merging the same shards twice changes nothing, a rerun
  shard replaces only the notebooks it regraded, and a notebook graded directly into `--into` later
  is not overwritten by an old shard record.
- A TA's scores and comments in `--into` stay, unless the student handed in a different file (then
  they are cleared and said, as a grading run does: gradebook.record).
- A student whose notebook two shards graded from different files is an error naming both shards; a
  shard whose run was killed (its lock still names a run that is gone) or is still running is
  refused: nothing half-graded is merged.
- Every shard's collection report is kept (`collection/<run>-shard<K>of<N>.csv`) and its rows added
  to `collection_report.csv`, so a file that no shard graded is still listed.

The shards' folders are held (their run locks) while the merge reads them,
and `--into` while it is written.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime
import fcntl
import filecmp
import hashlib
import json
import logging
import os
import pathlib
import shutil
import sys

from . import grade, gradebook, resultsdir, runlock, submitted
from .course import Course
from .csvsafe import unsafe_cell, write_csv
from .paths import UsageError
from .results import NotebookResult
from .shard import Shard, read_mark

log = logging.getLogger(__name__)
LEDGER = ".merged.json"  # in .state/: "student/notebook" -> digest of the record last merged


@dataclasses.dataclass
class ShardFolder:
    """One results folder given to the merge: where it is, which shard it holds, and its records."""

    path: pathlib.Path
    shard: Shard | None  # None: a whole class's results folder (merged as it is)
    db_url: str
    records: dict[tuple[str, str], dict]

    @property
    def label(self) -> str:
        return f"shard {self.shard} ({self.path})" if self.shard else str(self.path)


@dataclasses.dataclass
class MergeSummary:
    shards: list[str]
    added: int
    replaced: int
    unchanged: int
    students: int
    reports: int
    cleared: list[tuple[str, str, list[str]]]
    missing_shards: dict[int, list[int]]  # N -> the indexes of N not given
    out: str

    def lines(self) -> list[str]:
        out = [
            f"merged {len(self.shards)} results folders ({', '.join(self.shards)}) into "
            f"{self.out}: {self.added} notebooks added, {self.replaced} replaced, {self.unchanged} "
            f"unchanged, {self.students} students; {self.reports} collection reports added"
        ]
        for count, missing in sorted(self.missing_shards.items()):
            out.append(
                f"not given: shard{'s' * (len(missing) > 1)} "
                f"{', '.join(f'{k}/{count}' for k in missing)}: "
                f"{'their' if len(missing) > 1 else 'its'} students' "
                f"results in {self.out} are as they were"
            )
        for sid, a, what in self.cleared:
            out.append(
                f"reviewed work changed: {sid} resubmitted {a}; the TA's scores on it were cleared "
                f"({', '.join(what)}): review it again in formgrader"
            )
        out.append(f"review: python -m autograder review {self.out}")
        return out


def record_digest(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def load_records(folder: pathlib.Path) -> dict[tuple[str, str], dict]:
    """Every notebook record in `folder/.state`, by (student id, notebook)."""
    records = {}
    for path in sorted((folder / ".state").glob("*/*.json")):
        try:
            rec = json.loads(path.read_text(encoding="utf-8"))
            key = (rec["student_id"], rec["result"]["assignment"])
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("unreadable record %s skipped", path)
            continue
        if key != (path.parent.name, path.stem):
            raise UsageError(
                f"{path} holds {key[0]}'s {key[1]}, not {path.parent.name}'s {path.stem}: that "
                "folder was changed by hand; grade that shard again into a new folder"
            )
        records[key] = rec
    return records


def gradebook_url(folder: pathlib.Path) -> str:
    """The gradebook a results folder's `nbgrader_config.py` names (its own
    sqlite file by default)."""
    return resultsdir.configured_db_url(folder) or f"sqlite:///{folder / 'gradebook.db'}"


def _names(folder: ShardFolder) -> dict[str, str]:
    """The display names the shard's gradebook holds (from a roster), by
    student id; nothing is created."""
    if (
        folder.db_url.startswith("sqlite:///")
        and not pathlib.Path(folder.db_url[len("sqlite:///") :]).is_file()
    ):
        return {}
    with gradebook.opened(folder.db_url) as gb:
        return {s.id: s.last_name for s in gb.students if s.last_name}


def _refuse_unfinished(folder: pathlib.Path) -> None:
    """Refuse a shard folder whose grading run is still going or was killed
    (its lock file still names it)."""
    path = folder / runlock.LOCK_NAME
    if not path.is_file():
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"{folder} is being graded right now: merge once that run has finished"
            ) from None
        text = path.read_text(encoding="utf-8").strip()
    finally:
        os.close(fd)
    if text:
        try:
            who = json.loads(text)
            who = f" (process {who['pid']}, started {who['started_at']})"
        except (ValueError, KeyError, TypeError) as exc:
            log.debug("%s: the lock's owner is unreadable (%s): %r", folder, exc, text[:200])
            who = ""
        raise UsageError(
            f"{folder}: its grading run{who} was killed before it finished: run that shard again "
            "(it regrades only what it had not finished), then merge"
        )


def _open_shards(paths: list[pathlib.Path], into: pathlib.Path) -> list[ShardFolder]:
    folders, seen = [], {}
    for given in paths:
        path = pathlib.Path(given).resolve()
        if not path.is_dir():
            raise UsageError(
                f"{given} is not a folder: give the --out folder of each `grade --shard K/N` run"
            )
        if path == into:
            raise UsageError(
                f"{given} is the --into folder itself: give the shards' folders, and another --into"
            )
        if path in seen:
            raise UsageError(f"{given} is given twice")
        if not (path / ".state").is_dir():
            raise UsageError(
                f"{given} holds no graded notebooks (no .state/): is it a shard's --out folder?"
            )
        _refuse_unfinished(path)
        shard = read_mark(path)
        if shard is not None and shard in seen.values():
            other = next(p for p, s in seen.items() if s == shard)
            raise UsageError(f"{other} and {given} both hold shard {shard}: give one of them")
        seen[path] = shard
        folders.append(ShardFolder(path, shard, gradebook_url(path), load_records(path)))
    return folders


def _choose(folders: list[ShardFolder]) -> dict[tuple[str, str], tuple[dict, ShardFolder]]:
    """Each notebook's record and the folder it comes from.

    Raises:
        UsageError: two folders graded one student's notebook from different files (naming both).
    """
    chosen: dict[tuple[str, str], tuple[dict, ShardFolder]] = {}
    conflicts = []
    for folder in folders:
        for key, rec in folder.records.items():
            if key not in chosen:
                chosen[key] = (rec, folder)
                continue
            other, where = chosen[key]
            if other.get("file_sha256") != rec.get("file_sha256"):
                conflicts.append(
                    f"student {key[0]!r} {key[1]}: {where.label} graded one file "
                    f"({str(other.get('file_sha256'))[:12]}), {folder.label} another "
                    f"({str(rec.get('file_sha256'))[:12]})"
                )
            elif other["result"]["status"] not in ("graded", "invalid", "missing") and rec[
                "result"
            ]["status"] in ("graded", "invalid", "missing"):
                chosen[key] = (rec, folder)  # the same file: the shard that finished it wins
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise UsageError(
            f"{conflicts[0]}{more}: shards of one class must grade the same input with the same N; "
            "remove the stale folder or grade its shard again, then merge"
        )
    return chosen


class _ShardSources(Course):
    """A shard's copy of the sources (`<shard>/source/<notebook>`), registered as they are: the
    merged folder holds exactly the sources its notebooks were graded against."""

    def prepare(self) -> None:
        pass


def _registered(into: pathlib.Path, db: str) -> set[str]:
    """The notebooks `into` already holds as a course folder: in its
    gradebook and in `source/`, with an `nbgrader_config.py` that names
    this gradebook (their sources then need no new registration)."""
    if gradebook_url(into) != db or not (into / "nbgrader_config.py").is_file():
        return set()
    if db.startswith("sqlite:///") and not pathlib.Path(db[len("sqlite:///") :]).is_file():
        return set()
    import sqlalchemy

    engine = sqlalchemy.create_engine(db)
    try:
        with engine.connect() as conn:
            if not sqlalchemy.inspect(conn).has_table("assignment"):
                return set()
            names = {row[0] for row in conn.execute(sqlalchemy.text("SELECT name FROM assignment"))}
    except sqlalchemy.exc.SQLAlchemyError as exc:
        log.debug("gradebook %s unreadable, taken as registering no assignment: %s", db, exc)
        return set()
    finally:
        engine.dispose()
    return {a for a in names if (into / "source" / a / f"{a}.ipynb").is_file()}


def _sources(folders: list[ShardFolder]) -> dict[str, ShardFolder]:
    """The folder whose sources each notebook is registered from.

    Raises:
        UsageError: two folders hold different sources of one notebook.
    """
    found: dict[str, ShardFolder] = {}
    for folder in folders:
        for nb in sorted((folder.path / "source").glob("*/*.ipynb")):
            a = nb.parent.name
            if nb.stem != a:
                continue
            if a not in found:
                found[a] = folder
            elif not filecmp.cmp(found[a].path / "source" / a / f"{a}.ipynb", nb, shallow=False):
                raise UsageError(
                    f"{found[a].label} and {folder.label} were graded against different sources of "
                    f"{a}: grade every shard with the same checkout, then merge"
                )
    return found


def _merge_first_seen(folders: list[ShardFolder], into: pathlib.Path) -> None:
    """`.state/first_seen.json`: every shard's first sightings, the earliest time of each kept."""
    path = into / ".state" / submitted.FIRST_SEEN
    merged: dict[str, str] = {}
    for source in [path, *(f.path / ".state" / submitted.FIRST_SEEN for f in folders)]:
        try:
            seen = json.loads(source.read_text(encoding="utf-8"))
        except FileNotFoundError:
            log.debug("%s: no first sightings", source)
            continue
        except (OSError, ValueError) as exc:
            log.warning("%s is unreadable (%s): its first sightings are not merged", source, exc)
            continue
        for key, when in seen.items():
            if key not in merged or datetime.datetime.fromisoformat(
                when
            ) < datetime.datetime.fromisoformat(merged[key]):
                merged[key] = when
    if merged:
        grade._write_atomic(path, json.dumps(merged, indent=0, sort_keys=True))


def _merge_reports(folders: list[ShardFolder], into: pathlib.Path) -> int:
    """Copy each folder's run reports into `into/collection/` (named after
    their shard) and add their rows to `collection_report.csv`; a report
    copied before is skipped. Return how many were added."""
    from .collect import REPORT_COLUMNS

    added: list[tuple[str, pathlib.Path]] = []
    for folder in folders:
        for report in sorted((folder.path / resultsdir.RUN_REPORTS).glob("*.csv")):
            suffix = f"-shard{folder.shard.index}of{folder.shard.count}" if folder.shard else ""
            name = f"{report.stem}{suffix}"
            target = into / resultsdir.RUN_REPORTS / f"{name}.csv"
            if target.is_file():
                if filecmp.cmp(report, target, shallow=False):
                    continue
                name = f"{name}-{hashlib.sha256(report.read_bytes()).hexdigest()[:8]}"
                target = target.with_name(f"{name}.csv")
                if target.is_file():
                    continue
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(report, target)
            added.append((name, target))
    if not added:
        return 0
    cumulative = into / resultsdir.CUMULATIVE_REPORT
    rows: list[list[str]] = []
    if cumulative.is_file():
        with open(cumulative, encoding="utf-8", newline="") as f:
            rows = [
                [unsafe_cell(row.get(c) or "") for c in ("run", *REPORT_COLUMNS)]
                for row in csv.DictReader(f)
            ]
    for name, target in added:
        with open(target, encoding="utf-8", newline="") as f:
            rows += [
                [name, *(unsafe_cell(row.get(c) or "") for c in REPORT_COLUMNS)]
                for row in csv.DictReader(f)
            ]
    write_csv(cumulative, ("run", *REPORT_COLUMNS), rows)
    return len(added)


def merge(
    shard_dirs: list[pathlib.Path],
    into: pathlib.Path,
    *,
    db_url: str | None = None,
    adopt: bool = False,
    stream=sys.stderr,
) -> MergeSummary:
    """Merge the results folders `shard_dirs` into `into` (see the module
    docstring); return what was done.

    Raises:
        UsageError: a person's mistake: no folder, a folder given twice or
        that is not a results folder, a shard
            killed or still running, two shards with different files or
            sources for one notebook, `into` another course's folder
            (unless `adopt`) or being graded or merged by another run.
    """
    if not shard_dirs:
        raise UsageError("give the results folders of the shards to merge")
    into = pathlib.Path(into).resolve()
    db = db_url or f"sqlite:///{into / 'gradebook.db'}"
    with contextlib.ExitStack() as held:
        folders = _open_shards(list(shard_dirs), into)
        for folder in folders:  # no shard run may write while its records are read
            held.enter_context(runlock.hold(folder.path))
        folders = [dataclasses.replace(f, records=load_records(f.path)) for f in folders]  # as held
        chosen = _choose(folders)
        sources = _sources(folders)
        missing_sources = sorted({a for _, a in chosen} - set(sources))
        if missing_sources:
            raise UsageError(
                f"no shard holds the sources of {', '.join(missing_sources)} (source/): "
                "was a shard's folder copied in part?"
            )
        resultsdir.claim(into, db, adopt, stream)
        held.enter_context(runlock.hold(into, stream))
        by_folder: dict[int, list[str]] = {}
        registered = _registered(into, db)
        for a, folder in sorted(sources.items()):
            if a not in registered or not filecmp.cmp(
                folder.path / "source" / a / f"{a}.ipynb",
                into / "source" / a / f"{a}.ipynb",
                shallow=False,
            ):
                by_folder.setdefault(id(folder), []).append(a)
        for folder in folders:
            if id(folder) in by_folder:
                course = _ShardSources(folder.path, by_folder[id(folder)])
                course.publish(into, db)  # its sources, the config and their registration
        ledger_path = into / ".state" / LEDGER
        try:
            ledger: dict[str, str] = json.loads(ledger_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.debug("%s: no ledger yet (%s)", ledger_path, exc)
            ledger = {}
        names: dict[str, str] = {}
        for folder in folders:
            names.update(_names(folder))
        added = replaced = unchanged = 0
        cleared: list[tuple[str, str, list[str]]] = []
        writer = gradebook.Writer(db)
        try:
            for (sid, a), (rec, folder) in sorted(chosen.items()):
                digest = record_digest(rec)
                state = into / ".state" / sid / f"{a}.json"
                old = grade._load_record(state)
                if ledger.get(f"{sid}/{a}") == digest or old == rec:
                    unchanged += 1
                    ledger[f"{sid}/{a}"] = digest
                    continue
                resubmitted = bool(old and old.get("file_sha256")) and old.get(
                    "file_sha256"
                ) != rec.get("file_sha256")
                # the gradebook first, the record last: a merge killed in
                # between writes this notebook again
                what = writer.record(
                    sid,
                    NotebookResult.from_json(rec["result"]),
                    timestamp=rec.get("submitted_at"),
                    name=names.get(sid),
                    resubmitted=resubmitted,
                )
                if what:
                    cleared.append((sid, a, what))
                made = folder.path / "autograded" / sid / a / f"{a}.ipynb"
                autograded = into / "autograded" / sid / a / f"{a}.ipynb"
                if made.is_file():
                    autograded.parent.mkdir(parents=True, exist_ok=True)
                    tmp = autograded.with_name(f".{autograded.name}.{os.getpid()}.tmp")
                    shutil.copyfile(made, tmp)
                    os.replace(tmp, autograded)
                else:
                    autograded.unlink(missing_ok=True)
                grade._write_atomic(state, json.dumps(rec, indent=1))
                ledger[f"{sid}/{a}"] = digest
                added, replaced = (added + 1, replaced) if old is None else (added, replaced + 1)
        finally:
            writer.close()
            if ledger:
                grade._write_atomic(ledger_path, json.dumps(ledger, indent=0, sort_keys=True))
        _merge_first_seen(folders, into)
        reports = _merge_reports(folders, into)
        records = grade.rebuild(into, db)
    missing: dict[int, list[int]] = {}
    for count in sorted({f.shard.count for f in folders if f.shard}):
        given = {f.shard.index for f in folders if f.shard and f.shard.count == count}
        if len(given) < count:
            missing[count] = sorted(set(range(count)) - given)
    return MergeSummary(
        [str(f.shard) if f.shard else str(f.path) for f in folders],
        added,
        replaced,
        unchanged,
        len({sid for sid, _ in records}),
        reports,
        cleared,
        missing,
        str(into),
    )
