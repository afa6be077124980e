"""`make demo`: release the notebooks, then grade a made-up class as a TA would."""

from __future__ import annotations

import csv
import dataclasses
import logging
import pathlib
import shutil
import sys
import time

from . import grade, release, sampleclass
from .paths import REPO, default_workers, resolve_assignments

log = logging.getLogger(__name__)

DEMO_OUT = REPO / "demo-out"


@dataclasses.dataclass
class DemoRow:
    """One student's notebook in the demo's table: automatic points apart from written answers."""

    status: str
    auto_score: float
    auto_max: float
    manual_max: float

    def full_auto_marks(self) -> bool:
        return self.status == "graded" and self.auto_max > 0 and self.auto_score == self.auto_max

    def cell(self) -> str:
        if self.status != "graded":
            return self.status
        waiting = f" +{self.manual_max:g}" if self.manual_max else ""
        return f"{self.auto_score:g}/{self.auto_max:g}{waiting}"


def read_table(results: pathlib.Path) -> dict[tuple[str, str], DemoRow]:
    """grades.csv and tests.csv of a results folder, as (student, notebook)
    -> DemoRow: the automatic points are the test cells' (tests.csv), the
    rest of grades.csv's maximum is written answers that a TA grades."""
    with open(results / "tests.csv", encoding="utf-8", newline="") as f:
        tests = list(csv.DictReader(f))
    with open(results / "grades.csv", encoding="utf-8", newline="") as f:
        grades = list(csv.DictReader(f))
    table = {}
    for g in grades:
        mine = [
            t
            for t in tests
            if t["student_id"] == g["student_id"] and t["notebook"] == g["notebook"]
        ]
        auto_max = sum(float(t["max_score"]) for t in mine)
        table[(g["student_id"], g["notebook"])] = DemoRow(
            status=g["status"],
            auto_score=sum(float(t["score"]) for t in mine),
            auto_max=auto_max,
            manual_max=max(0.0, float(g["max_score"]) - auto_max),
        )
    return table


def demo() -> int:
    start = time.monotonic()
    assignments = resolve_assignments(None)
    print(f"1/3 regenerating notebooks/ from solutions/ ({len(assignments)} notebooks)")
    release.release(assignments)
    class_dir, results = DEMO_OUT / "class", DEMO_OUT / "results"
    # the demo's own folders, made afresh: an earlier demo's gradebook holds the cells the sources
    # had then, and graded cells cannot be added or removed in a gradebook that has submissions
    for folder in (class_dir, results):
        if folder.exists():
            shutil.rmtree(folder)
    students = sampleclass.make(class_dir, assignments)
    print(f"2/3 made a sample class of {len(students)} students in {class_dir.relative_to(REPO)}:")
    for sid, what in students.items():
        print(f"      {sid:<12} {what}")
    print(
        f"3/3 grading it: python -m autograder grade {class_dir.relative_to(REPO)} "
        f"--out {results.relative_to(REPO)} --final"
    )
    settings = grade.RunSettings(
        assignments=assignments,
        workers=default_workers(),
        timeout=240,
        final=True,
        # our own made-up class: safe to grade without isolation
        unsafe=True,
    )
    summary = grade.grade(class_dir, results, settings, stream=sys.stdout)
    table = read_table(results)
    print()
    short = [a.split("_", 1)[0] for a in assignments]
    print(f"{'student':<12} " + " ".join(f"{s:>11}" for s in short) + "   auto total")
    problems = []
    for sid in students:
        cells, total, top = [], 0.0, 0.0
        for a in assignments:
            row = table.get((sid, a))
            if row is None:
                if sid in ("ada_full", "ben_blank"):
                    problems.append(f"{sid}'s {a} has no row in grades.csv")
                cells.append(f"{'-':>11}")
                continue
            total += row.auto_score
            top += row.auto_max
            cells.append(f"{row.cell():>11}")
            if sid == "ada_full" and not row.full_auto_marks():
                problems.append(
                    f"reference solution of {a} scored {row.auto_score:g}/{row.auto_max:g} of the "
                    f"automatic points ({row.status})"
                )
            if sid == "ben_blank" and (row.status != "graded" or row.auto_score != 0):
                problems.append(
                    f"untouched release of {a} scored {row.auto_score:g} ({row.status})"
                )
        print(f"{sid:<12} " + " ".join(cells) + f"   {total:g}/{top:g}")
    print(
        "(auto points earned/possible; '+N' are written-answer points "
        "waiting for a TA in formgrader)"
    )
    print()
    print("\n".join(grade.summary_lines(summary)))
    print(
        "feedback pages: "
        f"{(results / 'feedback').relative_to(REPO)}/<student>/<notebook>/<notebook>.html"
    )
    for p in problems:
        print(f"PROBLEM: {p}")
    verdict = (
        (
            "every reference solution earns full automatic marks (its written answers wait for a "
            "TA) and every untouched release earns 0"
        )
        if not problems
        else f"{len(problems)} problems"
    )
    print(f"{verdict} ({time.monotonic() - start:.0f} s)")
    return 1 if problems else 0
