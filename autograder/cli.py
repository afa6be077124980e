"""Command line: each subcommand hands its arguments to one module's function."""

from __future__ import annotations

import argparse
import logging
import os
import pathlib
import sys

from .paths import UsageError, default_workers, resolve_assignments

log = logging.getLogger(__name__)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, then the usage hint, exit 2
        self.exit(2, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def _add_notebooks(parser: argparse.ArgumentParser, default: str) -> None:
    """`--notebooks LIST`, the notebooks a command works on (`paths.resolve_assignments`)."""
    parser.add_argument("--notebooks", metavar="LIST", help=f"e.g. 01,05 (default: {default})")


def _add_per_notebook(
    parser: argparse.ArgumentParser, flag: str, value: str, help_text: str
) -> None:
    """`flag NOTEBOOK=VALUE …`, given once or more: a list of "notebook=value" strings."""
    parser.add_argument(
        flag, nargs="+", action="extend", metavar=f"NOTEBOOK={value}", help=help_text
    )


def _add_db(parser: argparse.ArgumentParser, default: str) -> None:
    """`--db URL`, the gradebook a command reads or writes."""
    parser.add_argument(
        "--db", metavar="URL", help=f"the gradebook's SQLAlchemy URL (default: {default})"
    )


def _add_adopt(parser: argparse.ArgumentParser, verb: str) -> None:
    """`--adopt`: work in a results folder that belongs to another course."""
    parser.add_argument(
        "--adopt",
        action="store_true",
        help=f"{verb} into a folder whose nbgrader_config.py or gradebook belongs to another "
        "course",
    )


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m autograder", description="Release, validate and grade the course notebooks."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("release", help="regenerate notebooks/ from solutions/ with nbgrader")
    r.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 naming each notebook whose release is stale",
    )
    _add_notebooks(r, "all")

    v = sub.add_parser("validate", help="run a notebook's visible tests and print what passed")
    v.add_argument("path", type=pathlib.Path, metavar="PATH.ipynb")
    v.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")

    s = sub.add_parser(
        "selftest",
        help="check the reference passes, the release fails, "
        "and every tests/submissions case scores as expected",
    )
    _add_notebooks(s, "all")
    s.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 2)
    s.add_argument(
        "--no-cases", action="store_true", help="only the reference and the blank release"
    )

    g = sub.add_parser("grade", help="grade a class: folder of student folders, zip, or LMS zip")
    g.add_argument("submissions", type=pathlib.Path, metavar="SUBMISSIONS")
    g.add_argument("--out", type=pathlib.Path, required=True, help="results folder")
    g.add_argument(
        "--workers",
        type=_positive_int,
        default=default_workers(),
        help="notebooks graded at once (default: the machine's cores plus one, since a notebook "
        "spends part of its time waiting on its kernels)",
    )
    g.add_argument(
        "--timeout",
        type=_positive_float,
        default=300.0,
        help="seconds one notebook may run (default 300)",
    )
    _add_notebooks(g, "all six")
    g.add_argument("--force", action="store_true", help="regrade everything, changed or not")
    g.add_argument(
        "--memory",
        type=_positive_float,
        default=4.0,
        metavar="GB",
        help="resident memory one notebook may use (default 4)",
    )
    _add_db(g, "sqlite in OUT")
    g.add_argument(
        "--call-timeout",
        dest="call_seconds",
        type=_positive_float,
        metavar="SECONDS",
        help="seconds one test call or one of the student's cells may run before it is stopped "
        "(default: 30, or more for the notebooks that train in their "
        "tests; never more than a sixth of --timeout)",
    )
    g.add_argument(
        "--unsafe",
        action="store_true",
        help="grade even where the kernels cannot be isolated (not root, no namespaces): a "
        "submission could then read solutions/ and the results",
    )
    g.add_argument(
        "--roster",
        type=pathlib.Path,
        metavar="CSV",
        help="map LMS user ids to student ids (see docs/term.md)",
    )
    g.add_argument(
        "--lms-regex",
        metavar="REGEX",
        help="file-name pattern of an LMS zip (groups student_id and notebook)",
    )
    g.add_argument(
        "--final",
        action="store_true",
        help="record `missing` (0) for every known student without a "
        "result for a selected notebook (at the end of the term); without "
        "it a notebook not in the input is left as it was",
    )
    _add_adopt(g, "grade")
    g.add_argument(
        "--submission-times",
        type=pathlib.Path,
        metavar="CSV",
        help="the LMS's submission times: a Moodle grading worksheet, or lms_id|student_id, "
        "notebook, submitted_at (see docs/term.md)",
    )
    g.add_argument(
        "--lms-timezone",
        metavar="ZONE",
        help="time zone of --submission-times without an offset, e.g. Europe/Berlin",
    )
    g.add_argument(
        "--shard",
        metavar="K/N",
        help="grade only shard K of N (0 <= K < N): the students whose id "
        "hashes to K, into an --out of this shard's own; auto/N takes K from SLURM_ARRAY_TASK_ID "
        "or JOB_COMPLETION_INDEX; then `merge` the shards (docs/courses.md)",
    )
    g.add_argument(
        "--verbose",
        action="store_true",
        help="also print the grader's debug messages (what it skipped or could not read, and why)",
    )

    mg = sub.add_parser(
        "merge", help="merge the results folders of `grade --shard K/N` runs into one"
    )
    mg.add_argument("shards", type=pathlib.Path, nargs="+", metavar="SHARD_RESULTS")
    mg.add_argument("--into", type=pathlib.Path, required=True, help="the class's results folder")
    _add_db(mg, "sqlite in --into")
    _add_adopt(mg, "merge")

    rv = sub.add_parser(
        "review", help="open a results folder in JupyterLab's formgrader (prints the address)"
    )
    rv.add_argument(
        "results", type=pathlib.Path, metavar="RESULTS", help="the --out folder of `grade`"
    )
    rv.add_argument(
        "--port", type=_positive_int, default=8888, help="first port to try (default 8888)"
    )
    _add_db(rv, "the one RESULTS was graded or merged with, which its nbgrader_config.py names")

    gs = sub.add_parser("gradescope", help="build a Gradescope autograder bundle")
    gs.add_argument("--out", type=pathlib.Path, default=pathlib.Path("autograder.zip"))
    _add_notebooks(gs, "all six")

    sk = sub.add_parser(
        "student-kit",
        help="build the student release zip: notebooks, aekit with its data, "
        "environment files; no answers or hidden tests",
    )
    sk.add_argument("--out", type=pathlib.Path, default=pathlib.Path("course.zip"))

    gr = sub.add_parser("gradescope-run", help=argparse.SUPPRESS)
    gr.add_argument("--root", type=pathlib.Path, default=pathlib.Path("/autograder"))
    gr.add_argument("--timeout", type=_positive_float, default=600.0)

    sub.add_parser("demo", help="the project's main job on its defaults (what `make demo` runs)")

    ex = sub.add_parser(
        "export", help="write the gradebook as a Canvas or Moodle import file (or a full CSV)"
    )
    ex.add_argument("--format", required=True, choices=("canvas", "moodle", "csv"))
    ex.add_argument(
        "--roster",
        type=pathlib.Path,
        help="class list CSV (student_id, lms_id, name, ...; docs/term.md)",
    )
    ex.add_argument(
        "--results",
        type=pathlib.Path,
        default=pathlib.Path("results"),
        help="results folder holding gradebook.db (default results)",
    )
    _add_db(ex, "sqlite in --results")
    ex.add_argument("--out", type=pathlib.Path, help="file to write (default: in --results)")
    _add_per_notebook(
        ex,
        "--due",
        "ISO8601",
        "store a due date in the gradebook, e.g. 05=2026-03-01T23:59:00+00:00",
    )
    ex.add_argument(
        "--late-policy",
        default="none",
        metavar="none|per-day:PCT|zero-after",
        help="penalty for late submissions (default none)",
    )
    _add_notebooks(ex, "every notebook in the gradebook")
    _add_per_notebook(
        ex,
        "--lms-title",
        "TITLE",
        "the LMS assignment a notebook's column goes to, e.g. 01='Convolution as a matrix (1234)' "
        "(default: matched in a Canvas gradebook export given as --roster)",
    )
    return p


def _positive(convert, expected: str, unit: str = ""):
    """An argparse type: `convert(text)`, refused in one line unless it is
    more than 0 (at least 1 for whole numbers)."""

    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if convert is int and value < 1:
            raise argparse.ArgumentTypeError(f"expected at least 1, got {value}")
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected more than 0{unit}, got {text}")
        return value

    return parse


_positive_int = _positive(int, "a whole number")
_positive_float = _positive(float, "a number of seconds", " seconds")


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UsageError as exc:
        print(f"autograder: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("autograder: interrupted", file=sys.stderr)
        return 130
    # the machine failed (a full disk, no fork, a lost cgroup): a scheduler retries
    except Exception as exc:
        from . import exitcodes

        if exitcodes.for_exception(exc) is None:
            raise
        print(f"autograder: {exitcodes.describe(exc)}", file=sys.stderr)
        return exitcodes.INFRASTRUCTURE


def _show_debug(stream=None) -> logging.Handler:
    """Send the grader's debug messages (every `autograder.*` logger's) to
    stderr; return the handler."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    root = logging.getLogger("autograder")
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    return handler


def _dispatch(args) -> int:
    # grade, merge, export, review: a bad gradebook URL is one line, exit 2
    if getattr(args, "db", None):
        from . import gradebook

        args.db = gradebook.check_url(args.db)
    if args.command == "release":
        from . import release

        assignments = resolve_assignments(args.notebooks)
        if args.check:
            stale = release.check(assignments)
            for name in stale:
                print(f"stale release: {name} (run `python -m autograder release`)")
            if not stale:
                print(f"release is in sync with solutions/ ({len(assignments)} notebooks)")
            return 1 if stale else 0
        for path in release.release(assignments):
            print(f"released {path.relative_to(path.parents[2])}")
        return 0
    if args.command == "validate":
        from .validate import validate

        ok, lines = validate(args.path, timeout=args.timeout)
        print("\n".join(lines))
        print("all visible tests passed" if ok else "some tests failed")
        return 0 if ok else 1
    if args.command == "selftest":
        from . import selftest

        outcomes = selftest.run(
            resolve_assignments(args.notebooks),
            workers=args.workers,
            include_cases=not args.no_cases,
        )
        bad = [o for o in outcomes if o.problems]
        print(f"{len(outcomes) - len(bad)} passed, {len(bad)} failed")
        return 1 if bad else 0
    if args.command == "grade":
        from . import grade

        if args.verbose:
            _show_debug()
        if args.out.exists() and not args.out.is_dir():
            raise UsageError(f"--out {args.out} is a file: give a folder for the results")
        from . import exitcodes, shard

        shard_part = shard.parse(args.shard) if args.shard else None
        exitcodes.require_room(args.out)
        settings = grade.RunSettings(
            assignments=resolve_assignments(args.notebooks),
            workers=args.workers,
            timeout=args.timeout,
            force=args.force,
            db_url=args.db,
            lms_regex=args.lms_regex,
            memory_gb=args.memory,
            call_seconds=args.call_seconds,
            unsafe=args.unsafe,
            roster=args.roster,
            final=args.final,
            adopt=args.adopt,
            submission_times=args.submission_times,
            lms_timezone=args.lms_timezone,
            shard=shard_part,
        )
        summary = grade.grade(args.submissions, args.out, settings)
        print("\n".join(grade.summary_lines(summary)))
        if not summary["graded_any"]:
            print(
                "autograder: no notebook could be graded (every one crashed or timed out): check "
                "the environment with `make test`",
                file=sys.stderr,
            )
            return 1
        return 0
    if args.command == "merge":
        from . import exitcodes, merge

        exitcodes.require_room(args.into)
        done = merge.merge(args.shards, args.into, db_url=args.db, adopt=args.adopt)
        print("\n".join(done.lines()))
        return 0
    if args.command == "review":
        from . import review

        return review.review(args.results, port=args.port, db_url=args.db)
    if args.command == "gradescope":
        from . import gradescope

        path = gradescope.build_bundle(args.out, resolve_assignments(args.notebooks))
        print(f"wrote {path}: upload it as the assignment's autograder on Gradescope")
        return 0
    if args.command == "student-kit":
        from . import studentkit

        if args.out.is_dir():
            raise UsageError(f"--out {args.out} is a folder: give the path of a .zip to write")
        path = studentkit.build_kit(args.out)
        print(
            f"wrote {path}: give it to students or `pip install` its folder into a JupyterHub image"
        )
        return 0
    if args.command == "gradescope-run":
        from . import gradescope

        return gradescope.run(args.root, timeout=args.timeout)
    if args.command == "export":
        from . import export

        done = export.export(
            args.format,
            results=args.results,
            db_url=args.db,
            roster=args.roster,
            out=args.out,
            due=args.due,
            late_policy=args.late_policy,
            notebooks=resolve_assignments(args.notebooks) if args.notebooks else None,
            titles=args.lms_title,
        )
        print(
            f"wrote {done['out']} ({done['students']} students, {done['notebooks']} notebooks) "
            f"and {done['report']}" + "".join(f", {w}" for w in done["worksheets"])
        )
        return 0
    if args.command == "demo":
        from .demo import demo

        return demo()
    raise AssertionError(args.command)
