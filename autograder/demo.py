"""`make demo`: release the notebooks, then show the reference passing and the release failing."""
from __future__ import annotations

import os
import time

from . import release, selftest
from .paths import resolve_assignments


def demo() -> int:
    start = time.monotonic()
    assignments = resolve_assignments(None)
    print(f"1/2 regenerating notebooks/ from solutions/ ({len(assignments)} notebooks)")
    release.release(assignments)
    print("2/2 grading each reference solution and each untouched release with nbgrader")
    outcomes = selftest.run(assignments, include_cases=False, progress=lambda line: None)
    print()
    print(f"{'notebook':<30} {'reference':>11} {'release':>11}  verdict")
    bad = 0
    for a in assignments:
        ref = next(o for o in outcomes if o.assignment == a and o.name == "reference")
        blank = next(o for o in outcomes if o.assignment == a and o.name != "reference")
        ok = not ref.problems and not blank.problems
        bad += not ok
        print(f"{a:<30} {ref.result.score:>5g}/{ref.result.max_score:<5g} "
              f"{blank.result.score:>5g}/{blank.result.max_score:<5g}  "
              + ("ok" if ok else "PROBLEM: " + " | ".join(ref.problems + blank.problems)))
    print(f"\n{len(assignments) - bad} of {len(assignments)} notebooks grade as they must "
          f"({time.monotonic() - start:.0f} s, {os.cpu_count()} workers)")
    return 1 if bad else 0
