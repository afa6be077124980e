"""Speed as students and instructors feel it (issue: browser tests and speed).

    .venv/bin/python bench/user_speed.py [--moves 20] [--repeats 3]

Prints a Markdown table of:
- slider-to-redraw latency of the VAE latent explorer (05) and the
  convolution-matrix explorer (01), measured in Chromium from the key press on
  the slider to the end of the redraw (median and 95th percentile);
- time from opening each solution notebook in JupyterLab to all cells done;
- each student notebook's graded run as `python -m autograder grade` does it
  (one run of the reference answers, NBGRADER_EXECUTION=autograde, tests in the trusted process,
  forked from the grader's zygote), median of
  `--repeats` runs.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import statistics
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from autograder.course import GradingCourse
from autograder.paths import available_assignments
from autograder.selftest import build_submission
from tests.browser.lab import LabPage, browser, running_lab, slider_latencies

LATENCY_NOTEBOOKS = {
    "05_vae": "VAE latent explorer",
    "01_conv_as_matrix": "convolution-matrix explorer",
}


def _pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def browser_figures(assignments, moves):
    open_to_done, latency = {}, {}
    with tempfile.TemporaryDirectory(prefix="aekit-bench-lab-") as tmp:
        root = pathlib.Path(tmp)
        for a in assignments:
            shutil.copytree(REPO / "solutions" / a, root / a)
        with running_lab(root) as (base, token), browser() as b:
            for a in assignments:
                start = time.monotonic()
                page = LabPage(b, base, token, f"{a}/{a}.ipynb")
                page.run_all(timeout=300)
                open_to_done[a] = time.monotonic() - start
                if a in LATENCY_NOTEBOOKS and page.explorers().count():
                    values = [
                        v for v in slider_latencies(page, page.explorers().first, moves) if v >= 0
                    ]
                    latency[a] = values
                page.close()
    return open_to_done, latency


def graded_figures(assignments, repeats):
    out = {}
    with tempfile.TemporaryDirectory(prefix="aekit-bench-grade-") as tmp:
        tmp = pathlib.Path(tmp)
        course = GradingCourse(tmp / "course", assignments)
        course.prepare()
        for a in assignments:
            path = tmp / f"{a}.ipynb"
            path.write_text(json.dumps(build_submission(a)))
            times = []
            for i in range(repeats):
                r = course.grade(path, a, tmp / "jobs" / f"{a}-{i}", timeout=300)
                # a benchmark of a failing grader means nothing
                if r.status != "graded" or r.score != r.max_score:
                    raise RuntimeError(
                        f"{a}: the reference scored {r.status} {r.score}/{r.max_score}: {r.detail}"
                    )
                times.append(r.seconds)
            out[a] = times
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--moves", type=int, default=20)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args(argv)
    assignments = available_assignments()
    graded = graded_figures(assignments, args.repeats)
    open_to_done, latency = browser_figures(assignments, args.moves)
    print("| explorer | moves | median (ms) | p95 (ms) | target |")
    print("| --- | --- | --- | --- | --- |")
    for a, name in LATENCY_NOTEBOOKS.items():
        if a in latency and latency[a]:
            v = latency[a]
            print(
                f"| {name} ({a}) | {len(v)} | {statistics.median(v):.0f} "
                f"| {_pct(v, 0.95):.0f} | median < 150 |"
            )
    print()
    print(
        "| notebook | open to all cells done, solution, browser (s) | "
        "graded run, student notebook (s, median) | targets |"
    )
    print("| --- | --- | --- | --- |")
    for a in assignments:
        print(
            f"| {a} | {open_to_done.get(a, float('nan')):.1f} | {statistics.median(graded[a]):.1f} "
            f"(runs: {', '.join(f'{t:.1f}' for t in graded[a])}) | < 60 / < 45 |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
