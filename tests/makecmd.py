"""The commands a make target runs, read from make itself (tests check
those, not the Makefile's text)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from autograder.paths import REPO


def dry_run(target: str) -> list[str]:
    """The commands `make TARGET` would run from scratch (`make -n -B`:
    nothing runs but the recursive makes, which print theirs too), one
    shell command per entry, continuation lines joined."""
    proc = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", target],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "MAKEFLAGS"},
    )
    assert proc.returncode == 0, proc.stderr
    return [c for c in proc.stdout.replace("\\\n", " ").splitlines() if c.strip()]


def pytest_selections(commands: list[str]) -> list[str]:
    """The `-m` expression of each pytest command among `commands`, in order."""
    found = [re.search(r'-m pytest .*?-m (?:"([^"]+)"|(\S+))', c) for c in commands]
    return [m.group(1) or m.group(2) for m in found if m]


def environment_and_argv(command: str) -> tuple[dict[str, str], list[str]]:
    """A simple command's leading NAME=value assignments and its arguments."""
    words = shlex.split(command)
    env = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words
