"""`grade --shard K/N`: which students one shard of a class grades, and the
shard's mark on its results folder.

A student belongs to shard `sha256(student id) mod N`, computed from the exact id (its UTF-8 bytes),
never from the order of a listing or the size of the class: a late submission, a regrade or next
week's run of the same student lands in the shard that graded them first, so shards never share a
student and never share a writer. `--shard auto/N` takes K from the scheduler: `SLURM_ARRAY_TASK_ID`
(a Slurm job array) or `JOB_COMPLETION_INDEX` (a Kubernetes Indexed Job).

Each shard grades into a results folder of its own, marked by `.shard.json`
(`{"index": K, "count": N}`), which `python -m autograder merge` (merge.py) reads; a
folder graded as one shard refuses to be graded as another. Every collection-report
entry is kept by exactly one shard (its student's, or for a file with no student the
shard its name hashes to), so the merged report lists every file seen once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import pathlib

from .paths import UsageError

log = logging.getLogger(__name__)
MARK = ".shard.json"
# Slurm job array, Kubernetes Indexed Job
INDEX_VARIABLES = ("SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX")
MAX_SHARDS = 10_000


@dataclasses.dataclass(frozen=True)
class Shard:
    """Shard `index` of `count` (0 <= index < count)."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, student_id: str) -> bool:
        return shard_of(student_id, self.count) == self.index

    def to_json(self) -> dict:
        return {"index": self.index, "count": self.count}


def shard_of(student_id: str, count: int) -> int:
    """The shard (0 .. count-1) of the exact id `student_id`: the first 8
    bytes of its SHA-256, modulo `count`."""
    return (
        int.from_bytes(
            hashlib.sha256(student_id.encode("utf-8", "surrogatepass")).digest()[:8], "big"
        )
        % count
    )


def parse(text: str, environ: dict[str, str] | None = None) -> Shard:
    """`K/N` or `auto/N` (K from `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`) as a `Shard`.

    Raises:
        UsageError: not of that form, K or N out of range, or `auto` with
        no (or two different) indexes set.
    """
    environ = os.environ if environ is None else environ
    head, sep, tail = text.strip().partition("/")
    if not sep:
        raise UsageError(f"--shard {text!r}: expected K/N (e.g. 0/3) or auto/N")
    count = _whole(tail, f"--shard {text!r}: N")
    if not 1 <= count <= MAX_SHARDS:
        raise UsageError(f"--shard {text!r}: N must be 1 to {MAX_SHARDS}")
    if head.strip().lower() == "auto":
        found = {name: environ[name] for name in INDEX_VARIABLES if environ.get(name, "").strip()}
        if not found:
            raise UsageError(
                f"--shard {text!r}: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set: "
                "run it as a Slurm array task or a Kubernetes Indexed Job, or give K/N"
            )
        values = {name: _whole(value, name) for name, value in found.items()}
        if len(set(values.values())) > 1:
            raise UsageError(
                f"--shard {text!r}: "
                + " and ".join(f"{k}={v}" for k, v in values.items())
                + " disagree: give K/N"
            )
        name, index = next(iter(values.items()))
        where = f" ({name}={index})"
    else:
        index, where = _whole(head, f"--shard {text!r}: K"), ""
    if not 0 <= index < count:
        raise UsageError(
            f"--shard {text!r}{where}: K must be 0 to {count - 1} (an array of N tasks is "
            f"--array=0-{count - 1})"
        )
    return Shard(index, count)


def _whole(text: str, what: str) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit():
        raise UsageError(f"{what} must be a whole number, got {text!r}")
    return int(text)


def read_mark(folder: pathlib.Path) -> Shard | None:
    """The shard a results folder was graded as (None: not a shard's
    folder, or its mark is unreadable)."""
    try:
        data = json.loads((pathlib.Path(folder) / MARK).read_text(encoding="utf-8"))
        return Shard(int(data["index"]), int(data["count"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def mark(out: pathlib.Path, shard: Shard) -> None:
    """Mark `out` as `shard`'s results folder.

    Raises:
        UsageError: `out` was graded as another shard (or as a whole class) before.
    """
    out = pathlib.Path(out)
    old = read_mark(out)
    if old is not None and old != shard:
        raise UsageError(f"{out} holds shard {old}, not {shard}: give each shard its own --out")
    if (
        old is None
        and (out / ".state").is_dir()
        and any(p.is_dir() for p in (out / ".state").iterdir() if not p.name.startswith("."))
    ):
        raise UsageError(
            f"{out} holds a whole class's results, not shard {shard}'s: give each shard its own "
            "--out (merge them into the class's folder with `python -m autograder merge`)"
        )
    if old is None:
        tmp = out / f".{MARK}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(shard.to_json()), encoding="utf-8")
        os.replace(tmp, out / MARK)


def select(found, roster, shard: Shard | None, out: pathlib.Path, assignments: list[str]):
    """The part of the collection `found` (collect.Collection) and of the class list `roster`
    (collect.Roster or None: `--final` records `missing` for its students) that `shard` grades, with
    `out` marked as its folder; both as they are when `shard` is None.

    Raises:
        UsageError: the whole input holds no file of `assignments` (a wrong
        zip: every shard stops), or `out`
            belongs to another shard.
    """
    if shard is None:
        return found, roster
    if not any(a in assignments for _, a in found.files):
        raise UsageError(
            f"no file of {', '.join(a[:2] for a in assignments)} in this input: wrong zip or "
            "--notebooks? nothing was graded or changed"
        )
    mark(out, shard)
    # every entry whose student (or, with no student, whose file name) hashes to this shard: an
    # entry of a student with no gradable file is kept too, by the one shard that student belongs to
    report = [e for e in found.report if shard.holds(e.student_id or e.source)]
    fields = {}
    for f in dataclasses.fields(found):
        value = getattr(found, f.name)
        if f.name == "students":
            value = [sid for sid in value if shard.holds(sid)]
        elif f.name == "report":
            value = report
        # one line per rejected or unmatched entry (collect's own wording)
        elif f.name == "skipped":
            value = [
                f"{e.source}: {e.reason}" for e in report if e.decision in ("rejected", "unmatched")
            ]
        elif f.name == "not_on_roster":  # (LMS id, name): graded under the LMS id
            value = [item for item in value if shard.holds(item[0])]
        elif isinstance(value, dict):  # keyed by student id or by (student id, notebook)
            value = {
                k: v for k, v in value.items() if shard.holds(k[0] if isinstance(k, tuple) else k)
            }
        fields[f.name] = value
    log.info("shard %s: %d of %d students", shard, len(fields["students"]), len(found.students))
    return type(found)(**fields), roster_part(roster, shard)


def roster_part(roster, shard: Shard):
    """The students of `roster` (collect.Roster or None) in `shard`."""
    if roster is None:
        return None
    return dataclasses.replace(
        roster,
        entries=[e for e in roster.entries if shard.holds(e.student_id)],
        by_student={k: e for k, e in roster.by_student.items() if shard.holds(e.student_id)},
        by_lms={k: e for k, e in roster.by_lms.items() if shard.holds(e.student_id)},
    )
