"""Run each notebook's test cells under many grade-time seeds, to find
tests that pass or fail by luck.

`make test` grades every imagined student once, with a seed drawn afresh: a
test that a correct answer fails for one seed in a hundred turns CI red now
and then, and one that a wrong answer passes by luck gives away points. This
runs the solution notebook once in this process (`NBGRADER_EXECUTION=autograde`)
with the reference answers or an imagined student's cells, then re-runs its
test cells with `AEKIT_GRADE_SEED` set to each of N seeds, and reports every
cell whose verdict differs from the one the student's file expects. A
student's sweep re-runs only the test cells that can reach its cells
(`selftest.tests_touching`); the others run only the reference's code, and the
reference's sweep covers them.

    python -m autograder.seedsweep 05_vae --seeds 200            # reference + correct-but-different students
    python -m autograder.seedsweep 03 --seeds 30 --all-cases     # and every plausible-wrong student too

It runs our own code (solutions and tests/submissions) in-process, never a
submission's; forging students are skipped. Not part of `make test` (minutes).
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import argparse
import contextlib
import io
import logging
import os
import sys
import time

from . import selftest
from .paths import UsageError, resolve_assignments

log = logging.getLogger(__name__)


def sweep(
    assignment: str,
    name: str,
    overrides: dict[str, str],
    expect_failed: set[str],
    seeds: list[int],
    all_cells: bool = False,
    only: set[str] | None = None,
    may_fail: set[str] = frozenset(),
    expect_message: dict[str, str] | None = None,
) -> dict[str, list[str]]:
    """Test cell -> what went unexpectedly, one entry per seed where its verdict was not the
    expected one, or where a failure's message lacks the words `expect_message` gives for that
    cell (cells in `may_fail` may go either way; `only`: just these test cells)."""
    ns: dict = {"__name__": "__main__"}
    tests = []
    # the others: the reference's
    touching = selftest.tests_touching(assignment, overrides) if overrides else None
    for gid, is_test, code in selftest.notebook_cells(assignment, overrides):
        if (
            is_test
            and (all_cells or "grade_seed" in code)
            and (only is None or gid in only)
            and gid not in may_fail
            and (touching is None or gid in touching)
        ):
            tests.append((gid, code))
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                exec(compile(code, f"<{gid or 'cell'}>", "exec"), ns)  # noqa: S102  (our own cells)
            except Exception as exc:  # noqa: BLE001  (a failing first run is judged below, seed by seed)
                log.debug(
                    "%s %s: cell %s failed on its first run: %s: %s",
                    assignment,
                    name,
                    gid or "(unnamed)",
                    type(exc).__name__,
                    exc,
                )
    _close_figures()
    surprises: dict[str, list[str]] = {}
    try:
        for seed in seeds:
            os.environ["AEKIT_GRADE_SEED"] = str(seed)
            for gid, code in tests:
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        exec(compile(code, f"<{gid}>", "exec"), ns)  # noqa: S102  (our own test cells)
                    if gid in expect_failed:
                        surprises.setdefault(gid, []).append(
                            f"seed {seed}: passed, expected to fail"
                        )
                except Exception as exc:  # noqa: BLE001
                    needle = (expect_message or {}).get(gid, "")
                    if gid not in expect_failed:
                        surprises.setdefault(gid, []).append(
                            f"seed {seed}: {type(exc).__name__}: {str(exc)[:300]}"
                        )
                    elif needle.lower() not in str(exc).lower():
                        surprises.setdefault(gid, []).append(
                            f"seed {seed}: failed, but its message lacks {needle!r}: "
                            f"{str(exc)[:300]}"
                        )
            _close_figures()
    finally:
        os.environ.pop("AEKIT_GRADE_SEED", None)
    return surprises


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m autograder.seedsweep", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "notebooks", help="comma-separated notebooks, by number or name (01,05 or 05_vae)"
    )
    parser.add_argument("--seeds", type=int, default=50, help="how many seeds (default 50)")
    parser.add_argument(
        "--all-cases", action="store_true", help="also every plausible-wrong student"
    )
    parser.add_argument(
        "--all-cells",
        action="store_true",
        help="also the test cells without a grade seed (their TensorFlow randomness varies)",
    )
    parser.add_argument(
        "--cells", help="comma-separated test cells: only these (after editing one test)"
    )
    parser.add_argument(
        "--cases", help="comma-separated imagined students: only these (and the reference)"
    )
    args = parser.parse_args(argv)
    try:
        chosen = resolve_assignments(args.notebooks)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.seeds < 1:
        print("--seeds must be at least 1", file=sys.stderr)
        return 2
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    seeds = [1000 + 7919 * i for i in range(args.seeds)]
    bad = 0
    for assignment in chosen:
        wanted = set(args.cases.split(",")) if args.cases else None
        students = [("reference", {}, set(), set(), {})] + [
            (c.name, c.overrides, set(c.expect_failed or []), set(c.may_fail), c.expect_message)
            for c in selftest.cases(assignment)
            if not c.name.startswith("forge")
            and c.expect_failed is not None
            and (c.name in wanted if wanted else args.all_cases or c.name.startswith("correct"))
        ]
        for name, overrides, expect_failed, may_fail, expect_message in students:
            start = time.monotonic()
            surprises = sweep(
                assignment,
                name,
                overrides,
                expect_failed,
                seeds,
                args.all_cells,
                set(args.cells.split(",")) if args.cells else None,
                may_fail,
                expect_message,
            )
            verdict = "ok  " if not surprises else "LUCK"
            print(
                f"{verdict} {assignment:30s} {name:40s} {len(seeds)} seeds  "
                f"{time.monotonic() - start:5.0f} s",
                flush=True,
            )
            for gid, notes in surprises.items():
                print(
                    f"       {gid}: {len(notes)} of {len(seeds)} seeds, e.g. {notes[0]}", flush=True
                )
            bad += bool(surprises)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
