"""Fast checks of the sandbox's plumbing (no notebook runs)."""
import os
import pathlib
import subprocess
import sys
import time

import pytest

from autograder import sandbox
from autograder.paths import REPO


def test_socket_folder_lets_kernel_users_through():
    """Is the socket folder passable by the kernels' own user ids, even after something made it 0700?"""
    base = sandbox.socket_base()
    if base.stat().st_uid != os.geteuid():
        pytest.skip("the socket folder belongs to another user: nothing this process may change")
    os.chmod(base, 0o700)  # what the zygote used to do to it, which killed every sandboxed kernel
    assert sandbox.socket_base().stat().st_mode & 0o777 == 0o755



def test_uid_only_grading_says_when_a_kernel_cannot_reach_python(monkeypatch):
    """Without namespaces, as root, does the grader refuse in one line naming a folder the kernels' own user ids
    cannot reach (a Python under /root), and accept the same machine once it is reachable (solutions private)?"""
    import shutil
    import tempfile

    root = pathlib.Path(tempfile.mkdtemp(prefix="aekit-reach-", dir="/tmp"))  # /tmp: searchable by everyone
    try:
        os.chmod(root, 0o755)
        home, python = root / "home", root / "home" / "python"
        python.mkdir(parents=True)
        os.chmod(home, 0o700)
        monkeypatch.setattr(sandbox, "_CAPS", {"root": True, "namespaces": False, "cgroups": []})
        monkeypatch.setattr(sandbox, "kernel_needs", lambda: [python])
        monkeypatch.setattr(sandbox, "readable_by_others", lambda path: None)  # solutions/ private
        reason = sandbox.unsafe_reason()
        assert reason and str(python) in reason and "chmod o+x" in reason and "\n" not in reason
        os.chmod(home, 0o755)
        assert sandbox.unsafe_reason() is None
    finally:
        shutil.rmtree(root)


ORPHAN = """
import os, sys, time
from autograder import confine
marker = sys.argv[1]
if os.fork() == 0:  # the parent-to-be-lost
    parent = os.getpid()
    if os.fork() == 0:  # the orphan: its parent ends before it watches
        while os.getppid() == parent:
            time.sleep(0.001)
        confine.die_with_parent(parent)
        open(marker, "w").write("an orphan ran on")
    os._exit(0)
os.wait()
"""


def test_a_child_whose_parent_ended_before_it_watched_exits_at_once(tmp_path):
    """A zygote child or kernel stand-in whose parent died before PR_SET_PDEATHSIG was set gets no signal:
    does `die_with_parent(parent)` see the parent gone and exit rather than run on as an orphan?"""
    marker = tmp_path / "ran-on"
    subprocess.run([sys.executable, "-c", ORPHAN, str(marker)], cwd=REPO, check=True, timeout=60)
    deadline = time.monotonic() + 1.5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not marker.exists(), "an orphaned child ran on after its parent ended"


@pytest.mark.skipif(not sandbox.capabilities()["cgroups"], reason="needs cgroups the grader can write (root)")
def test_the_jobs_of_a_killed_grader_are_emptied_even_when_frozen():
    """A grader killed while emptying a job leaves it frozen: do `remove_cgroups_of` (its zygote's last act)
    thaw and kill that job's processes and remove its cgroups, and leave another grader's job alone?"""
    import psutil

    roots = sandbox._cgroup_roots()
    jobs = {}
    for grader in (999990, 999991):  # process ids no grader has here
        name = f"aekit-{grader}-0"
        for root in roots.values():
            (root / name).mkdir()
        proc = subprocess.Popen(["sleep", "600"])
        for root in roots.values():
            (root / name / "cgroup.procs").write_text(str(proc.pid))
        jobs[grader] = (name, proc)
    try:
        if "freezer" in roots:
            (roots["freezer"] / jobs[999990][0] / "freezer.state").write_text("FROZEN")
        sandbox.remove_cgroups_of(999990)
        assert jobs[999990][1].wait(timeout=10) is not None
        assert not any((root / jobs[999990][0]).exists() for root in roots.values())
        assert psutil.pid_exists(jobs[999991][1].pid) and jobs[999991][1].poll() is None
    finally:
        sandbox.remove_cgroups_of(999991)
        for _, proc in jobs.values():
            proc.kill()
            proc.wait()
