"""Every command the README shows in a shell code block is run by a test
(named here, and found in that test's file as it is run), or is listed here
as deliberately not run as typed, with the reason (issue 31).

A new command in the README fails `test_every_readme_command_is_accounted_for` until it is added
below; a command dropped from the README fails it too, so this list stays true.
"""

from __future__ import annotations

import pathlib
import re
import sys

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
TESTS = pathlib.Path(__file__).resolve().parent
SHELL_BLOCK = re.compile(r"```(?:bash|sh|shell|console)\n(.*?)```", re.S)

# README command (comments and continuation lines joined) -> (test file, what that file runs)
RUN_BY = {
    "make demo": ("test_demo.py", '["make", "demo"]'),
    "make test": ("test_environment.py", "test_ci_runs_the_readme_test_command"),
    "python -m autograder validate notebooks/01_conv_as_matrix/01_conv_as_matrix.ipynb": (
        "test_validate.py",
        '"-m", "autograder", "validate"',
    ),
}
# README command -> why no test runs it exactly as typed, and what runs the same code instead
NOT_RUN = {
    ".venv/bin/python -m autograder grade SUBMISSIONS --out results/ "
    "[--workers N] [--timeout SECONDS] "
    "[--call-timeout SECONDS] [--notebooks 01,05] [--roster roster.csv] [--db URL] [--memory GB] "
    "[--submission-times CSV --lms-timezone ZONE] [--final] [--adopt] [--verbose]": "a "
    "synopsis with placeholders; tests/test_grading.py runs `python -m autograder "
    "grade` on real classes with each option",
    ".venv/bin/python -m autograder release": "it rewrites notebooks/ in "
    "the checkout while other tests read it; tests/test_release.py runs "
    "`release --check`, the same generation compared with notebooks/",
    ".venv/bin/python -m autograder selftest --notebooks 03": "03's "
    "students train models (minutes); tests/test_students.py grades every "
    "imagined student of every notebook through the same selftest functions",
    ".venv/bin/python -m autograder.seedsweep 03 --seeds 50 --all-cases": (
        "50 seeds of every case take many minutes; "
        "tests/test_seedsweep.py runs the same sweep on 01 with few seeds"
    ),
}


def readme_commands() -> list[str]:
    """The commands of the README's shell blocks, comments dropped, continuation lines joined."""
    commands: list[str] = []
    for block in SHELL_BLOCK.findall(README.read_text(encoding="utf-8")):
        for line in block.splitlines():
            text = line.split("  #", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not text:
                continue
            if commands and (text.startswith("[") or commands[-1].endswith("\\")):
                commands[-1] = commands[-1].rstrip(" \\") + " " + text
            else:
                commands.append(text)
    return commands


def test_every_readme_command_is_accounted_for():
    """Is each shell command of the README either run by a named test or listed as not run with a
    reason, and does every listed command still appear in the README?"""
    shown = readme_commands()
    assert shown, "no shell block found in the README: the parser no longer matches it"
    listed = set(RUN_BY) | set(NOT_RUN)
    assert not set(RUN_BY) & set(NOT_RUN)
    unlisted = [c for c in shown if c not in listed]
    assert not unlisted, f"README commands no test runs and this file does not list: {unlisted}"
    stale = sorted(listed - set(shown))
    assert not stale, f"listed here but no longer in the README: {stale}"
    assert all(len(reason) > 40 for reason in NOT_RUN.values())


def test_each_run_command_is_run_by_its_test():
    """Does each named test file still run the command (its argv, or the named test)?"""
    for command, (test_file, run) in RUN_BY.items():
        text = (TESTS / test_file).read_text(encoding="utf-8")
        assert run in text, f"{test_file} no longer runs `{command}` ({run!r} not found)"


def test_the_parser_joins_continuations_and_drops_comments(tmp_path, monkeypatch):
    """A made-up README: are a comment line, a trailing comment and a
    continued synopsis read as two commands?"""
    fake = tmp_path / "README.md"
    fake.write_text(
        "text\n```bash\n# a comment\nmake demo   # why\n.venv/bin/python -m x a [--b]\n    "
        "[--c]\n```\n```text\nmake not-a-shell-block\n```\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(sys.modules[__name__], "README", fake)
    assert readme_commands() == ["make demo", ".venv/bin/python -m x a [--b] [--c]"]
