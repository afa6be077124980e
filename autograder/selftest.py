"""Check that each notebook's tests grade the way they must.

For every assignment: the reference answers earn full marks, the untouched
release earns nothing, and each imagined student in
`tests/submissions/<assignment>/*.py` loses exactly the test cells it names
(see docs/authoring.md for the file format).
"""

from __future__ import annotations

import ast
import concurrent.futures
import dataclasses
import json
import logging
import os
import pathlib
import re
import sys
import tempfile

from . import cells
from .course import GradingCourse
from .paths import REPO, source_notebook
from .reference import build_submission, solution_sources  # noqa: F401  (selftest's students are built from it)
from .results import NotebookResult

log = logging.getLogger(__name__)

SUBMISSIONS = REPO / "tests" / "submissions"
_SECTION = re.compile(r"^# %% (\S+)\s*$", re.M)


@dataclasses.dataclass
class Case:
    assignment: str
    name: str
    description: str
    overrides: dict[str, str]
    expect_failed: list[str] | None  # None: every test cell fails
    expect_message: dict[str, str]
    # either verdict is right (the case says why)
    may_fail: list[str] = dataclasses.field(default_factory=list)


def load_case(path: pathlib.Path) -> Case:
    """Read one imagined student from `tests/submissions/<assignment>/<name>.py`."""
    text = path.read_text(encoding="utf-8")
    parts = _SECTION.split(text)
    header, sections = parts[0], parts[1:]
    module = ast.parse(header)
    values = {}
    for node in module.body:
        if (
            isinstance(node, ast.Assign)
            and len(node.targets) == 1
            and isinstance(node.targets[0], ast.Name)
        ):
            values[node.targets[0].id] = ast.literal_eval(node.value)
    overrides = {
        sections[i]: sections[i + 1].strip("\n") + "\n" for i in range(0, len(sections), 2)
    }
    return Case(
        assignment=path.parent.name,
        name=path.stem,
        description=(ast.get_docstring(module) or "").splitlines()[0]
        if ast.get_docstring(module)
        else "",
        overrides=overrides,
        expect_failed=list(values.get("EXPECT_FAILED", [])),
        expect_message=dict(values.get("EXPECT_MESSAGE", {})),
        may_fail=list(values.get("EXPECT_MAY_FAIL", [])),
    )


def cases(assignment: str) -> list[Case]:
    folder = SUBMISSIONS / assignment
    return [load_case(p) for p in sorted(folder.glob("*.py"))] if folder.is_dir() else []


def hidden_lines(assignment: str) -> set[str]:
    """Lines of the notebook's hidden tests that appear nowhere a student can see (answers, visible
    tests): what must never reach a student's process, feedback or autograded notebook."""
    source = cells.read_notebook(source_notebook(assignment))
    hidden, shown = set(), []
    for cell in source["cells"]:
        src = cells.source_text(cell)
        if cells.has_hidden_tests(src):
            before, rest = src.split(cells.HIDDEN_BEGIN, 1)
            body, after = rest.split(cells.HIDDEN_END, 1)
            hidden |= {ln.strip() for ln in body.splitlines() if len(ln.strip()) > 12}
            src = before + after
        shown.append(src)
    shown_text = "\n".join(shown)
    return {ln for ln in hidden if ln not in shown_text}


def check_case(result: NotebookResult, case: Case | None, *, blank: bool = False) -> list[str]:
    """What is wrong with a grading result against what the case expects (empty: all good)."""
    problems = []
    if result.status != "graded":
        return [f"status {result.status}: {result.detail}"]
    failed = set(result.failed())
    if blank:
        passed = sorted({t.test_id for t in result.tests} - failed)
        if passed:
            problems.append(f"the untouched release passes {', '.join(passed)}")
        return problems
    expected = set(case.expect_failed) if case else set()
    if case and case.may_fail:
        expected |= failed & set(case.may_fail)
    if failed != expected:
        if failed - expected:
            problems.append(
                "unexpectedly failed: "
                + "; ".join(
                    f"{t.test_id} ({t.message})"
                    for t in result.tests
                    if t.test_id in failed - expected
                )
            )
        if expected - failed:
            problems.append("unexpectedly passed: " + ", ".join(sorted(expected - failed)))
    points = {t.test_id: t.max_score for t in result.tests}
    want = result.max_score - sum(points.get(t, 0) for t in expected)
    if abs(result.score - want) > 1e-9:
        problems.append(f"score {result.score:g}, expected {want:g}")
    if case:
        messages = {t.test_id: t.message for t in result.tests}
        for test_id, needle in case.expect_message.items():
            if needle.lower() not in messages.get(test_id, "").lower():
                problems.append(f"{test_id} message {messages.get(test_id, '')!r} lacks {needle!r}")
    return problems


def notebook_cells(assignment: str, overrides: dict[str, str]) -> list[tuple[str, bool, str]]:
    """(grade_id, is a test cell, code) of the source's code cells, exercise cells replaced by
    `overrides` (shell and magic lines dropped: the cells run as plain Python)."""
    nb = cells.read_notebook(source_notebook(assignment))
    out = []
    for cell in nb["cells"]:
        if not cells.is_code(cell):
            continue
        code, gid = cells.source_text(cell), cells.grade_id(cell) or ""
        if cells.is_solution(cell) and gid in overrides:
            code = overrides[gid]
        code = "\n".join(
            line for line in code.split("\n") if not line.lstrip().startswith(("%", "!"))
        )
        out.append((gid, cells.is_grade(cell), code))
    return out


_PRELUDES: dict[str, dict] = {}
# assignment -> (test id -> TestResult, test id -> exercises it called)
_REFERENCE_RUNS: dict[str, tuple[dict, dict]] = {}


def grade_in_process(assignment: str, overrides: dict[str, str]) -> NotebookResult:
    """Score an imagined student's exercise cells with the notebook's tests, in this process.

    As in the grader's trusted process, the tests see the setup and locked cells (run once per
    notebook and process), the exercise functions and their own code. For our own students only
    (tests/submissions), never a submission: the student's code and the tests share one namespace
    here. Forging students need the real grader (`run`).

    A test that, with the reference answers, calls none of the exercises `overrides` replaces
    (directly or through another exercise) and names nothing their cells define runs no line of the
    student's: it gets the reference's verdict without being run again (the reference run records
    which exercises each test calls).
    """
    import time

    start = time.monotonic()
    tests = {
        t.test_id: t for t in cells.test_cells(cells.read_notebook(source_notebook(assignment)))
    }
    if assignment not in _REFERENCE_RUNS:
        calls: dict[str, set[str]] = {}
        reference = {r.test_id: r for r in _run_tests(assignment, {}, calls=calls)}
        _REFERENCE_RUNS[assignment] = (reference, calls)
    reference, calls = _REFERENCE_RUNS[assignment]
    if overrides:
        ran = {
            r.test_id: r
            for r in _run_tests(
                assignment, overrides, skip=set(tests) - tests_touching(assignment, overrides)
            )
        }
        results = [ran.get(gid) or reference[gid] for gid in tests]
    else:
        results = list(reference.values())
    return NotebookResult(
        assignment,
        "graded",
        sum(r.score for r in results),
        sum(t.points for t in tests.values()),
        results,
        seconds=time.monotonic() - start,
    )


def tests_touching(assignment: str, overrides: dict[str, str]) -> set[str]:
    """The test cells that may run a line of `overrides`: those that, with the
    reference answers, call one of the exercises it replaces (directly or
    through another exercise) or name something its cells define. Every other
    test runs only the reference's code, so its verdict is the reference's."""
    if assignment not in _REFERENCE_RUNS:
        grade_in_process(assignment, {})
    calls = _REFERENCE_RUNS[assignment][1]
    defined = _names_defined(overrides.values())
    if defined is None:
        return set(calls)
    code_of = {gid: code for gid, is_test, code in notebook_cells(assignment, {}) if is_test}
    return {
        gid
        for gid, called in calls.items()
        if not called.isdisjoint(overrides) or not _names_used(code_of[gid]).isdisjoint(defined)
    }


def _run_tests(
    assignment: str,
    overrides: dict[str, str],
    *,
    calls: dict | None = None,
    skip: set[str] = frozenset(),
) -> list:
    """Run the exercise cells (`overrides` in place of the reference's) and the test cells not in
    `skip`, in the notebook's order; with `calls`, record for each test the exercises it calls."""
    import contextlib
    import functools
    import io
    import types

    from .pipeline import run_test, trusted_prelude
    from .results import TestResult

    os.environ["NBGRADER_EXECUTION"] = "autograde"
    source = cells.read_notebook(source_notebook(assignment))
    if assignment not in _PRELUDES:
        base: dict = {"__name__": "__main__"}
        with contextlib.redirect_stdout(io.StringIO()):
            for code in trusted_prelude(source):
                exec(compile(code, "<setup>", "exec"), base)  # noqa: S102  (the course's own code)
        _PRELUDES[assignment] = base
    ns = dict(_PRELUDES[assignment])
    tests = {t.test_id: t for t in cells.test_cells(source)}
    solution = {cells.grade_id(cell) for cell in source["cells"] if cells.is_solution(cell)}
    called: set[str] = set()

    def recording(name, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            called.add(name)
            return fn(*args, **kwargs)

        return wrapper

    results = []
    for gid, is_test, code in notebook_cells(assignment, overrides):
        if not (is_test or gid in solution) or gid in skip:
            continue
        called.clear()
        # our own students and tests: the grading run's runner
        with contextlib.redirect_stdout(io.StringIO()):
            message = run_test(code, gid, ns)
        if is_test:
            t = tests[gid]
            results.append(
                TestResult(gid, 0.0 if message else t.points, t.points, message, t.hidden)
            )
            if calls is not None:
                calls[gid] = set(called)
        elif calls is not None and isinstance(ns.get(gid), types.FunctionType):
            ns[gid] = recording(gid, ns[gid])
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    return results


def _names_defined(sources) -> set[str] | None:
    """Every name the cells bind at their top level (None when one does not
    parse: then nothing is reused)."""
    names: set[str] = set()
    for code in sources:
        try:
            tree = ast.parse(code)
        except SyntaxError as exc:
            log.debug("a cell does not parse (%s): no name of the cells is reused", exc)
            return None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names.update((a.asname or a.name).split(".")[0] for a in node.names)
            else:
                names.update(
                    n.id
                    for n in ast.walk(node)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
                )
    return names


def _names_used(code: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


@dataclasses.dataclass
class Outcome:
    assignment: str
    name: str
    result: NotebookResult
    problems: list[str]


def run(
    assignments: list[str],
    workers: int | None = None,
    include_cases: bool = True,
    progress=print,
    timeout: float = 240,
) -> list[Outcome]:
    """Grade the reference, the blank release and (optionally) every case, in parallel."""
    workers = workers or os.cpu_count() or 2
    jobs = []
    for a in assignments:
        jobs.append((a, "reference", build_submission(a), None, False))
        jobs.append((a, "release (blank)", build_submission(a, blank=True), None, True))
        if include_cases:
            for case in cases(a):
                jobs.append((a, case.name, build_submission(a, case.overrides), case, False))
    with tempfile.TemporaryDirectory(prefix="aekit-selftest-") as tmp:
        tmp = pathlib.Path(tmp)
        course = GradingCourse(tmp / "course", assignments)
        course.prepare()

        def one(index_job):
            index, (a, name, nb, case, blank) = index_job
            path = tmp / "in" / str(index) / f"{a}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(json.dumps(nb), encoding="utf-8")
            result = course.grade(path, a, tmp / "jobs" / str(index), timeout=timeout)
            return Outcome(a, name, result, check_case(result, case, blank=blank))

        outcomes = []
        with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
            for outcome in pool.map(one, enumerate(jobs)):
                outcomes.append(outcome)
                mark = "ok  " if not outcome.problems else "FAIL"
                progress(
                    f"{mark} {outcome.assignment:<30} {outcome.name:<34} "
                    f"{outcome.result.score:>5g}/{outcome.result.max_score:<5g} "
                    f"{outcome.result.seconds:5.1f} s"
                    + ("" if not outcome.problems else "  " + " | ".join(outcome.problems))
                )
    return outcomes
