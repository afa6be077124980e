"""Grade one notebook: a short pipeline of named steps, run in a trusted process.

This process (a child of the zygote, in the job's memory cgroup) never runs
student code and is the only one that ever holds a test's source:

1. `read_submission`: size and cell-count limits, checked before parsing;
2. `cells.plan`: the submission merged with its source (tests always from the source);
3. `start_kernel`: the student's sandboxed kernel;
4. `run_cells`: every non-test cell once, in the submitted order, each under its own time limit;
5. `run_tests`: each test cell's source here, exercise functions proxied into the kernel (`calls`);
6. `write_autograded`: the notebook in nbgrader's layout, each test cell showing its verdict.

`main(request.json)` (a `messages.GradingRequest`) writes `result.json` (a `results.NotebookResult`)
and the autograded notebook. A kernel that is gone says why (`kernelproc.Gone`): its reason, never
its text, makes the notebook `timeout` or `crashed` (`status_of`).

Time (`Budget`): the cells may use half of the notebook's time limit, and the tests always
get the rest, so cells that hang cannot take the tests' turn. One cell, or one call of a
test, gets at most a sixth of the limit. An exercise that ran past a limit once (in a test
call, or in a provided cell: the notebook's own code, meant to run quickly) gets
`calls.GRACE_SECONDS` on every later call, and so does every later cell that names it (once
the cells' half is spent, such cells are not run at all). When the time runs out, the
verdicts already earned stand (status `timeout`); a provisional `result.json` is written
after every test, so a run that dies (memory, a crash) keeps them too (status `crashed`).
"""

from __future__ import annotations

import ast
import dataclasses
import json
import logging
import os
import pathlib
import sys
import time
import traceback

from . import calls, cells
from .kernelproc import Gone, KernelGone
from .messages import GradingRequest, MessageError
from .results import MESSAGE_LIMIT, NotebookResult, TestResult, not_graded

log = logging.getLogger(__name__)

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_CELLS = 2000
# of the notebook's time limit, the most its cells may use: the tests always get the rest
CELLS_SHARE = 0.5
ONE_SHARE = 1 / 6  # of the notebook's time limit, the most one cell or one test call may use
# after the cells' share: the remaining cells still run, GRACE_SECONDS each, this much longer
OVERRUN_SHARE = 0.1


@dataclasses.dataclass(frozen=True)
class Budget:
    """How one notebook's time limit is shared between its cells and its
    tests (see the module docstring)."""

    start: float
    timeout: float
    call_seconds: float

    @property
    def cells_end(self) -> float:
        return self.start + CELLS_SHARE * self.timeout

    @property
    def end(self) -> float:
        return self.start + self.timeout

    @property
    def one(self) -> float:
        """The limit of one cell or one test call."""
        return max(calls.GRACE_SECONDS, min(self.call_seconds, ONE_SHARE * self.timeout))

    def cell_seconds(self, names_hung: bool) -> float | None:
        """The limit of the next cell (`names_hung`: it names an exercise that already
        timed out). None: not run, because the cells' time and its overrun are spent,
        or the cells' time is and the cell names such an exercise (so that any number
        of cells calling a hanging function cost at most the cells' share)."""
        now = time.monotonic()
        if now >= self.cells_end + OVERRUN_SHARE * self.timeout or (
            names_hung and now >= self.cells_end
        ):
            return None
        if names_hung or self.cells_end - now < calls.GRACE_SECONDS:
            return calls.GRACE_SECONDS
        return min(self.one, self.cells_end - now)


def read_submission(path: pathlib.Path) -> tuple[dict | None, str]:
    """The submitted notebook, or None and why it cannot be graded."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        return None, f"unreadable file: {exc.strerror}"
    if size == 0:
        return None, "empty file"
    if size > MAX_NOTEBOOK_BYTES:
        return (
            None,
            f"file is {size // 2**20} MB, more than the "
            f"{MAX_NOTEBOOK_BYTES // 2**20} MB a notebook may be",
        )
    raw = path.read_bytes()
    if raw.count(b'"cell_type"') > MAX_CELLS:
        return None, f"notebook has more than {MAX_CELLS} cells"
    try:
        nb = json.loads(raw.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as exc:
        return None, f"not a readable notebook (not JSON: {str(exc).splitlines()[0][:120]})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return None, "not a readable notebook (no list of cells)"
    if nb.get("nbformat") != 4 and nb.get("nbformat") is not None:
        return (
            None,
            f"notebook format {nb.get('nbformat')!r} is not 4: save it with a current Jupyter",
        )
    meta = nb.get("metadata") if isinstance(nb.get("metadata"), dict) else {}
    lang = (
        (meta.get("kernelspec") or {}).get("language")
        if isinstance(meta.get("kernelspec"), dict)
        else None
    )
    lang = lang or (
        (meta.get("language_info") or {}).get("name")
        if isinstance(meta.get("language_info"), dict)
        else None
    )
    if lang and str(lang).lower() != "python":
        return None, f"notebook is written in {lang}, not Python"
    return nb, ""


def start_kernel(request: GradingRequest, deadline: float) -> calls.Kernel:
    return calls.Kernel(
        request.kernel_env,
        request.cwd,
        deadline,
        request.call_seconds,
        {k: pathlib.Path(v) for k, v in request.student_cgroups.items()},
    )


def names_in(code: str) -> set[str]:
    """The names a cell's code mentions (empty when it does not parse)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)
    }


def provided_code(source_nb: dict) -> set[str]:
    """The code of the source's cells that are neither tests nor exercises
    (setup, explorers, demonstrations)."""
    return {
        cells.source_text(c).strip()
        for c in source_nb["cells"]
        if cells.is_code(c) and not cells.is_grade(c) and not cells.is_solution(c)
    }


def run_cells(
    kernel: calls.Kernel,
    plan: cells.Plan,
    budget: Budget | None = None,
    provided: set[str] = frozenset(),
) -> list[calls.CellProblem]:
    """Run the submission's cells in order; a failing or stopped cell does not stop the next. Their
    problems, each labelled with its cell.

    Each cell within `budget.cell_seconds`: a cell that names an exercise which already ran past its
    limit gets `calls.GRACE_SECONDS`; cells left when the cells' share of the time is spent are not
    run. Cells whose code is in `provided` (unchanged from the source) mark the exercise they are
    stopped in (`calls.Kernel.run_cell`)."""
    problems = []
    for count, (index, label, code) in enumerate(plan.run, 1):
        cell = plan.notebook["cells"][index]
        cell["outputs"], cell["execution_count"] = [], count
        seconds = (
            None if budget is None else budget.cell_seconds(bool(kernel.hung & names_in(code)))
        )
        if budget is not None and seconds is None:
            cell["outputs"].append(
                calls.error_output(
                    "CellTimeoutError",
                    "not run: the notebook's cells had used their share of the time limit",
                )
            )
            problems.append(
                calls.CellProblem(f"{label}: not run (the cells' time was used up)", stopped=True)
            )
            continue
        problem = kernel.run_cell(
            code, outputs=cell["outputs"], seconds=seconds, provided=code.strip() in provided
        )
        if problem:
            problems.append(problem.labelled(label))
    return problems


def trusted_prelude(source_nb: dict) -> list[str]:
    """The source's locked code cells that are neither tests nor exercises
    (setup, provided code), in order."""
    return [
        cells.source_text(c)
        for c in source_nb["cells"]
        if cells.is_code(c) and cells.is_read_only(c)
    ]


def stopped_detail(problems: list[calls.CellProblem]) -> str:
    """What the notebook's detail says of its cells: those stopped at their
    limit or not run ("" for none). Only the grader marks a cell stopped: a
    student's error text that says "was stopped" is no such cell."""
    return "; ".join(p.text for p in problems if p.stopped)[:MESSAGE_LIMIT]


# a test's verdict on an exercise left as released
NOT_DONE = "NotImplementedError: this exercise is not done yet"


def run_test(code: str, test_id: str, ns: dict) -> str:
    """Run one test cell's `code` in `ns`: its failure message ("" when it
    passed), at most MESSAGE_LIMIT characters. The one runner of a test's
    code (the grading run here, selftest's in-process students too); a kernel
    that is gone (`KernelGone`) is no verdict and goes up to the caller."""
    try:
        exec(compile(code, f"<{test_id}>", "exec"), ns)  # noqa: S102  (the course's own test)
    except NotImplementedError:
        return NOT_DONE
    except KernelGone:
        raise
    except Exception as exc:  # noqa: BLE001  (the test's own error is a failure to report)
        return f"{type(exc).__name__}: {exc}"[:MESSAGE_LIMIT]
    return ""


def status_of(gone: KernelGone, time_left: float) -> str:
    """The notebook's status when its kernel is gone: `timeout` when the
    notebook's time ran out, `crashed` when the kernel died (or could not
    start again) with time left. From the reason, never from a message."""
    return "timeout" if gone.reason is Gone.TIME_UP or time_left <= 0 else "crashed"


def run_tests(
    kernel: calls.Kernel, plan: cells.Plan, source_nb: dict, timeout: float, on_verdict=None
) -> tuple[list[TestResult], str]:
    """Each test cell's verdict, and the notebook's status ("graded", "timeout" or "crashed").

    `on_verdict(results)` is called after each test (the pipeline writes a provisional result)."""
    base: dict = {"__name__": "__main__"}
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    for code in trusted_prelude(source_nb):
        exec(compile(code, "<setup>", "exec"), base)  # noqa: S102  (the course's own code)
    session = calls.Session(kernel, plan.exercises)
    results, status = [], "graded"
    for test in plan.tests:
        if status != "graded":
            results.append(
                TestResult(test.test_id, 0.0, test.points, _not_run(status, timeout), test.hidden)
            )
            continue
        ns = dict(base)
        ns.update({n: calls.Proxy(session, n) for n in plan.exercises})
        session.ns = ns
        began = time.monotonic()
        try:
            message = run_test(test.code, test.test_id, ns)
        except KernelGone as exc:
            status = status_of(exc, kernel.left())
            message = _not_run(status, timeout)
        if kernel.left() <= 0 and status == "graded" and message:
            status, message = "timeout", _not_run("timeout", timeout)
        results.append(
            TestResult(
                test.test_id,
                0.0 if message else test.points,
                test.points,
                message[:MESSAGE_LIMIT],
                test.hidden,
                round(time.monotonic() - began, 2),
            )
        )
        if on_verdict is not None:
            on_verdict(results)
    return results, status


def provisional(
    assignment: str, tests: list, results: list[TestResult], seconds: float
) -> NotebookResult:
    """What stands if the run dies after `results`: those verdicts, the
    rest not run (status `crashed`)."""
    done = {r.test_id for r in results}
    left = [t for t in tests if t.test_id not in done]
    what = f"during {left[0].test_id}" if left else "after its tests"
    detail = f"the grading run stopped {what} (memory or a crash); the verdicts before it stand"
    rest = not_graded(assignment, "crashed", left, detail)
    return NotebookResult(
        assignment,
        "crashed",
        sum(r.score for r in results),
        sum(t.points for t in tests),
        list(results) + rest.tests,
        detail,
        seconds,
    )


def write_result(result: NotebookResult, path: pathlib.Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(result.to_json()), encoding="utf-8")
    os.replace(tmp, path)


def _not_run(status: str, timeout: float) -> str:
    if status == "crashed":
        return "did not run: the kernel died (see the notebook's last cell outputs)"
    return f"did not run: the notebook's time limit of {timeout:g} s ran out"


def write_autograded(plan: cells.Plan, results: list[TestResult], path: pathlib.Path) -> None:
    """The merged notebook with each test cell's verdict as its output
    (hidden tests' code left out)."""
    verdicts = {r.test_id: r for r in results}
    for cell in plan.notebook["cells"]:
        gid = cells.grade_id(cell)
        if gid in verdicts:
            r = verdicts[gid]
            cell["outputs"] = (
                [{"output_type": "stream", "name": "stdout", "text": "passed\n"}]
                if r.passed
                else [
                    calls.error_output(
                        *(r.message.split(": ", 1) if ": " in r.message else ("Failed", r.message))
                    )
                ]
            )
            cell["execution_count"] = None
    if plan.notes:
        plan.notebook.setdefault("metadata", {})["aekit"] = {"notes": plan.notes}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(plan.notebook, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def grade(request: GradingRequest) -> NotebookResult:
    """All the steps for one notebook (see the module docstring)."""
    start = time.monotonic()
    timeout = request.timeout
    budget = Budget(start, timeout, request.call_seconds)
    assignment = request.assignment
    source_nb = json.loads(pathlib.Path(request.source).read_text(encoding="utf-8"))
    submitted, problem = read_submission(pathlib.Path(request.submission))
    if submitted is None:
        return not_graded(
            assignment, "invalid", cells.test_cells(source_nb), problem, time.monotonic() - start
        )
    plan = cells.plan(source_nb, submitted)
    kernel = None
    try:
        try:
            kernel = start_kernel(request, budget.end)
            kernel.exercises = set(plan.exercises)
            kernel.call_cap = budget.one
            problems = run_cells(kernel, plan, budget, provided_code(source_nb))
            kernel.install_server()
        except KernelGone as exc:
            status = status_of(exc, budget.end - time.monotonic())
            detail = (
                f"the notebook did not finish within {timeout:g} s"
                if status == "timeout"
                # which `Gone`: died, not started again, ...
                else f"{exc} while running the notebook"
            )
            result = not_graded(assignment, status, plan.tests, detail, time.monotonic() - start)
            write_autograded(plan, result.tests, pathlib.Path(request.autograded))
            return result
        result_path = pathlib.Path(request.result)
        results, status = run_tests(
            kernel,
            plan,
            source_nb,
            timeout,
            on_verdict=lambda done: write_result(
                provisional(assignment, plan.tests, done, time.monotonic() - start), result_path
            ),
        )
    finally:
        if kernel is not None:
            kernel.close()
    not_run = [r.test_id for r in results if r.message.startswith("did not run")]
    detail = {
        "timeout": f"the notebook's time limit of {timeout:g} s ran out before every test ran",
        "crashed": f"the kernel died during {not_run[0] if not_run else 'the tests'}; the verdicts "
        f"before it stand",
    }.get(status, "")
    detail = detail or stopped_detail(problems)
    write_autograded(plan, results, pathlib.Path(request.autograded))
    return NotebookResult(
        assignment,
        status,
        sum(r.score for r in results),
        sum(t.points for t in plan.tests),
        results,
        detail,
        time.monotonic() - start,
        plan.notes,
    )


def main(argv: list[str]) -> int:
    """`python -m autograder.pipeline REQUEST.json`: grade, write `request.result` (also run forked
    from the zygote). Exit 1, with no result (the launcher says the run stopped before it could
    report), when the request cannot be read or grading raised."""
    try:
        request = GradingRequest.read(pathlib.Path(argv[0]))
    except (OSError, MessageError) as exc:
        sys.stderr.write(f"grading run: cannot read its request: {exc}\n")
        return 1
    for cgroup in request.cgroups.values():  # what this run builds counts against the job's limits
        try:
            (pathlib.Path(cgroup) / "cgroup.procs").write_text(str(os.getpid()))
        except OSError as exc:  # a controller this machine lacks: the others still hold
            log.debug("the grading run cannot join %s: %s", cgroup, exc)
    import warnings

    warnings.filterwarnings("ignore")
    try:
        result = grade(request)
    except Exception:  # noqa: BLE001  (any error of grading: printed, exit 1 (no result: the launcher says the run stopped))
        traceback.print_exc()
        return 1
    write_result(result, pathlib.Path(request.result))
    return 0


if __name__ == "__main__":  # started by the grader itself while its zygote is not ready yet
    from .lifeline import die_with_parent

    # a killed grader takes this run along
    die_with_parent(int(sys.argv[2]) if len(sys.argv) > 2 else None)
    code = main(sys.argv[1:2])
    sys.stdout.flush()
    os._exit(code)  # TensorFlow's threads can hold up an ordinary exit for seconds
