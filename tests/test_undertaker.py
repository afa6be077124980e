"""The clean-up after a grader killed with SIGKILL
(autograder/undertaker.py): what it removes, what it leaves."""

from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import pytest

from autograder import undertaker
from autograder.paths import REPO


def test_aftermath_removes_the_killed_graders_folders_and_socket_only(tmp_path):
    """Does the aftermath of a killed grader remove that grader's job folders
    (deep trees and links a job left included) and its zygote's socket, and
    leave another grader's folders and what a link points to alone?"""
    base = tmp_path / "aekit"
    job = base / "aekit-123-1"
    deep = job / "home"
    for _ in range(200):
        deep = deep / "d"
    deep.mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "keep").write_text("kept")
    (job / "link-to-outside").symlink_to(tmp_path / "outside")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(base / "aekit-123-zygote-99.sock"))
    (base / "aekit-1234-1").mkdir()
    (base / "aekit-grader").mkdir()
    undertaker.aftermath(123, base)
    assert sorted(os.listdir(base)) == ["aekit-1234-1", "aekit-grader"]
    assert (tmp_path / "outside" / "keep").read_text() == "kept"


GRADER = """
import pathlib, sys, time
from autograder.undertaker import Undertaker
import os
base = pathlib.Path(sys.argv[1])
u = Undertaker(base)
assert u.start()
(base / f"aekit-{os.getpid()}-1" / "home").mkdir(parents=True)
print(u.proc.pid, flush=True)
if sys.argv[2] == "ends":
    u.stop()
    sys.exit(0)
time.sleep(600)
"""


def _grader(base: pathlib.Path, how: str) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [sys.executable, "-c", GRADER, str(base), how], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    return proc, int(proc.stdout.readline())


@pytest.mark.skipif(
    os.geteuid() != 0, reason="the grader starts its undertaker only as root (jobs as root)"
)
def test_a_grader_killed_with_sigkill_has_its_folders_removed_and_its_undertaker_ends(tmp_path):
    """A grader killed with `kill -9` while its job's folder exists: is the
    folder removed within seconds, and is its undertaker gone after; and at
    a grader's ordinary end, does the undertaker leave everything alone?"""
    base = tmp_path / "aekit"
    base.mkdir()
    proc, helper = _grader(base, "killed")
    job = base / f"aekit-{proc.pid}-1"
    assert job.is_dir()
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while (job.exists() or _alive(helper)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not job.exists(), "the killed grader's job folder stayed"
    assert not _alive(helper), "the undertaker outlived its work"

    proc, helper = _grader(base, "ends")
    assert proc.wait(timeout=30) == 0
    time.sleep(1.5)
    assert (base / f"aekit-{proc.pid}-1").is_dir(), (
        "an ordinary end must leave the grader's own clean-up to it"
    )
    assert not _alive(helper)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[1][0] != "Z"
    except OSError:
        return False
