"""`make demo`: release the notebooks, then grade a made-up class as a TA would."""
from __future__ import annotations

import csv
import pathlib
import shutil
import sys
import time

from . import grade, release, sampleclass
from .paths import REPO, default_workers, resolve_assignments

DEMO_OUT = REPO / "demo-out"


def demo() -> int:
    start = time.monotonic()
    assignments = resolve_assignments(None)
    print(f"1/3 regenerating notebooks/ from solutions/ ({len(assignments)} notebooks)")
    release.release(assignments)
    class_dir = DEMO_OUT / "class"
    if class_dir.exists():
        shutil.rmtree(class_dir)
    students = sampleclass.make(class_dir, assignments)
    print(f"2/3 made a sample class of {len(students)} students in {class_dir.relative_to(REPO)}:")
    for sid, what in students.items():
        print(f"      {sid:<12} {what}")
    print(f"3/3 grading it: python -m autograder grade {class_dir.relative_to(REPO)} "
          f"--out {(DEMO_OUT / 'results').relative_to(REPO)} --force")
    summary = grade.grade(class_dir, DEMO_OUT / "results", assignments=assignments,
                          workers=default_workers(), timeout=240, force=True, stream=sys.stdout,
                          unsafe=True)  # our own made-up class: safe to grade without isolation
    rows = list(csv.DictReader(open(DEMO_OUT / "results" / "grades.csv", encoding="utf-8")))
    print()
    short = [a.split("_", 1)[0] for a in assignments]
    print(f"{'student':<12} " + " ".join(f"{s:>9}" for s in short) + "      total")
    problems = []
    for sid in students:
        cells, total, top = [], 0.0, 0.0
        for a in assignments:
            r = next(r for r in rows if r["student_id"] == sid and r["notebook"] == a)
            total += float(r["score"])
            top += float(r["max_score"])
            cells.append(f"{r['score']:>4}/{r['max_score']:<4}" if r["status"] == "graded" else f"{r['status']:>9}")
            if sid == "ada_full" and (r["status"] != "graded" or r["score"] != r["max_score"]):
                problems.append(f"reference solution of {a} scored {r['score']}/{r['max_score']} ({r['status']})")
            if sid == "ben_blank" and (r["status"] != "graded" or float(r["score"]) != 0):
                problems.append(f"untouched release of {a} scored {r['score']} ({r['status']})")
        print(f"{sid:<12} " + " ".join(cells) + f"  {total:g}/{top:g}")
    print()
    print("\n".join(grade.summary_lines(summary)))
    print(f"feedback pages: {(DEMO_OUT / 'results' / 'feedback').relative_to(REPO)}/<student>/<notebook>/<notebook>.html")
    for p in problems:
        print(f"PROBLEM: {p}")
    verdict = "every reference solution earns full marks and every untouched release earns 0" \
        if not problems else f"{len(problems)} problems"
    print(f"{verdict} ({time.monotonic() - start:.0f} s)")
    return 1 if problems else 0
