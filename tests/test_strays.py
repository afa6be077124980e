"""strays.py on this machine's real cgroups (v1): the processes a kernel leaves
running move into the job's `strays` cgroup, get the least CPU of the job, and
go with the job; the kernel itself never moves. tests/test_cgroup2_uml.py
grades the forking implant with the same code on a cgroup v2 kernel."""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import time

import pytest

from autograder import cgroups, strays

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or cgroups.version() != "v1" or "cpu" not in cgroups.available(),
    reason="needs root and this machine's v1 cpu, pids and freezer cgroups",
)

# a kernel stand-in: on "go" it forks CHILDREN busy children (each forks
# nothing), then is busy itself
KERNEL = """
import os, sys
n = int(sys.argv[1]); nested = sys.argv[2] == "nested"
sys.stdin.readline()
def busy():
    while True:
        pass
def child(grandchild):
    if grandchild and os.fork() == 0:
        busy()
    busy()
kids = []
for i in range(n):
    pid = os.fork()
    if pid == 0:
        child(nested and i == 0)
    kids.append(pid)
print(" ".join(map(str, kids)), flush=True)
busy()
"""


def _cpu_ticks(pid: int) -> int:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _cpu_cgroup(pid: int) -> str:
    for line in pathlib.Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            return path
    return ""


@pytest.fixture
def job():
    made = cgroups.JobCgroups.create(
        f"aekit-{os.getpid()}-demote", memory_bytes=2**30, processes=50, cpu_share=0.5
    )
    yield made
    made.empty()
    made.remove()
    assert not any(path.exists() for path in made.paths.values()), "the job's cgroups stayed"
    assert not (made.paths["cpu"] / cgroups.STRAYS).exists()


def _wait_for_processes(job: cgroups.JobCgroups, count: int, seconds: float = 30.0) -> None:
    """Until the job's pids cgroup holds `count` processes (a grandchild forks a moment after its
    parent reported; on a loaded machine much later than a fixed sleep would allow)."""
    deadline = time.monotonic() + seconds
    while len(cgroups._pids([job.paths["pids"]])) < count and time.monotonic() < deadline:
        time.sleep(0.02)


def _start(
    job: cgroups.JobCgroups, children: int, nested: bool = False
) -> tuple[subprocess.Popen, list[int]]:
    kernel = subprocess.Popen(
        [sys.executable, "-c", KERNEL, str(children), "nested" if nested else "flat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    for path in job.kernel.values():
        (path / "cgroup.procs").write_text(str(kernel.pid))
    kernel.stdin.write("go\n")
    kernel.stdin.flush()
    return kernel, [int(p) for p in kernel.stdout.readline().split()]


def test_what_a_kernel_leaves_running_moves_to_strays_and_the_kernel_stays(job):
    """A kernel with two busy children (one with a child of its own): do all three move into
    `strays` (v1: the cpu hierarchy, still counted in the job's pids, memory and freezer cgroups)
    while the kernel stays, and do the job's empty and remove take them all, `strays` included?"""
    assert job.strays_cgroup() == job.paths["cpu"] / cgroups.STRAYS
    assert (job.strays_cgroup() / "cpu.shares").read_text().strip() == str(cgroups.STRAY_CPU_SHARES)
    kernel, kids = _start(job, 2, nested=True)
    try:
        _wait_for_processes(job, 4)  # the grandchild forks
        assert len(job.kernel_pids()) == 4
        assert strays.demote(job, isolated=False) == 3
        name = job.paths["cpu"].name
        assert _cpu_cgroup(kernel.pid).endswith(f"/{name}"), _cpu_cgroup(kernel.pid)
        for pid in kids:
            assert _cpu_cgroup(pid).endswith(f"/{name}/{cgroups.STRAYS}"), _cpu_cgroup(pid)
        assert job.kernel_pids() == {kernel.pid}
        # still in the job's process-limited cgroup (and its freezer's): they end with the job
        assert len(cgroups._pids([job.paths["pids"]])) == 4
        assert strays.demote(job, isolated=False) == 0  # nothing left to move
    finally:
        assert job.empty()
        kernel.wait(timeout=10)


def test_in_its_own_pid_namespace_the_kernel_is_the_first_processs_first_child(job):
    """A job with its own PID namespace: the first process waits for the kernel, its oldest child.
    Do both stay, and does every other process (a younger sibling, a grandchild) move?"""
    kernel, kids = _start(job, 3, nested=True)
    try:
        _wait_for_processes(job, 5)  # the kernel, three children, kids[0]'s child
        assert strays.kernel_of(job.kernel_pids(), isolated=True) == {kernel.pid, kids[0]}
        assert strays.demote(job, isolated=True) == 3  # kids[1], kids[2] and kids[0]'s child
        assert not _cpu_cgroup(kids[0]).endswith(f"/{cgroups.STRAYS}"), _cpu_cgroup(kids[0])
    finally:
        assert job.empty()
        kernel.wait(timeout=10)


def test_a_process_the_kernel_left_gets_a_tenth_of_a_cpu_at_most(job):
    """The kernel and one busy process it left, in a job of half a CPU: once the watch has moved the
    process into `strays`, does it use at most a tenth of a CPU (the cap, whatever else the machine
    runs; on a busy machine it may get less), while the kernel keeps running?"""
    kernel, kids = _start(job, 1)
    hz = os.sysconf("SC_CLK_TCK")

    def rates(seconds: float) -> tuple[float, float]:
        """CPU-seconds per second of the kernel and of the process it left."""
        before = _cpu_ticks(kernel.pid), _cpu_ticks(kids[0])
        time.sleep(seconds)
        return (
            (_cpu_ticks(kernel.pid) - before[0]) / hz / seconds,
            (_cpu_ticks(kids[0]) - before[1]) / hz / seconds,
        )

    try:
        watch = strays.StrayWatch(seconds=0.05)
        watch.watch("job", job, isolated=False)
        time.sleep(0.5)
        kernel_rate, stray_rate = rates(4.0)
        assert watch.unwatch("job") == 1
        watch.close()
        assert _cpu_cgroup(kids[0]).endswith(f"/{cgroups.STRAYS}")
        quota = (job.strays_cgroup() / "cpu.cfs_quota_us").read_text().strip()
        assert quota == str(int(cgroups.CPU_PERIOD_US * cgroups.STRAY_CPU)), quota
        assert stray_rate <= cgroups.STRAY_CPU * 1.3, (
            f"the process left running used {stray_rate:.2f} CPU"
        )
        assert kernel_rate > 0, "the kernel did not run"
    finally:
        assert job.empty()
        kernel.wait(timeout=10)


def test_when_the_kernel_ends_its_killed_strays_may_exit_at_full_speed_then_the_cap_returns(job):
    """A kernel is stopped (a restart, the job's end) and its processes killed: they need CPU to
    exit and count against the process limit until they have. Is the cap lifted once the kernel seen
    last is gone, while its strays are still there, and put back once they are gone?"""
    quota = job.strays_cgroup() / "cpu.cfs_quota_us"
    capped = str(int(cgroups.CPU_PERIOD_US * cgroups.STRAY_CPU))
    kernel, kids = _start(job, 3)
    watched = strays._Watched(job, isolated=False)
    try:
        watched.look()
        assert watched.kernel == {kernel.pid} and watched.moved == 3
        assert quota.read_text().strip() == capped
        os.kill(kernel.pid, 9)
        kernel.wait(timeout=10)
        # frozen, the killed strays cannot exit before the watch looks again
        (job.paths["freezer"] / "freezer.state").write_text("FROZEN")
        for pid in kids:
            os.kill(pid, 9)
        watched.look()
        assert watched.kernel == set() and job.strays_pids() == set(kids)
        assert quota.read_text().strip() == "-1", (
            "the cap stayed while the killed strays wait to exit"
        )
        (job.paths["freezer"] / "freezer.state").write_text("THAWED")
        deadline = time.monotonic() + 10
        while job.strays_pids() and time.monotonic() < deadline:
            time.sleep(0.05)
        watched.look()
        assert quota.read_text().strip() == capped, (
            "the cap did not return once the strays were gone"
        )
    finally:
        (job.paths["freezer"] / "freezer.state").write_text("THAWED")
        assert job.empty()
        kernel.wait(timeout=10)


def test_a_restart_ends_every_process_of_the_students_and_none_of_the_grading_runs(job):
    """The grading run restarts a kernel: does emptying the job's `student` cgroups
    (`end_processes`, what `KernelProcess.stop` does) end the kernel, the processes moved into
    `strays` and those not yet moved, while a process of the grading run's own (in the job's memory
    and cpu cgroups, as `runner` says) keeps running? Without it, a fork bomb's processes would
    still hold the process limit the next kernel needs."""
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    kernel, kids = _start(job, 4, nested=True)
    try:
        for path in job.runner.values():
            (path / "cgroup.procs").write_text(str(runner.pid))
        _wait_for_processes(job, 6)  # the kernel, four children, one grandchild
        assert strays.demote(job, isolated=False) >= 1
        assert set(job.student) == {"pids", "freezer"}
        # the kernel, four children, one grandchild
        assert len(cgroups._pids([job.paths["pids"]])) == 6
        assert cgroups.end_processes(job.student, 10.0)
        assert kernel.wait(timeout=10) == -9
        assert cgroups._pids([job.paths["pids"]]) == set() and job.strays_pids() == set()
        assert runner.poll() is None, "a process of the grading run was killed"
    finally:
        runner.kill()
        runner.wait(timeout=10)
        assert job.empty()


def test_stopping_a_kernel_ends_what_it_left_running(job):
    """`KernelProcess.stop` (a restart, the notebook's end), given the job's `student` cgroups:
    after jupyter_client has stopped the kernel, is a process the kernel left running gone too (a
    uid-only job has no PID namespace whose end would take it along)?"""
    from autograder.kernelproc import KernelProcess

    class Stopped:  # jupyter_client's client and manager of a kernel that has just been stopped
        def stop_channels(self):
            pass

        def shutdown_kernel(self, now=False):
            pass

    kernel, kids = _start(job, 2)
    process = KernelProcess({}, "/", time.monotonic() + 60, job.student)
    process.km = process.kc = Stopped()
    try:
        process.stop()
        assert kernel.wait(timeout=10) == -9
        assert cgroups._pids([job.paths["pids"]]) == set(), "a process the kernel left stayed"
        assert process.km is None
    finally:
        assert job.empty()


def test_a_kernel_whose_stopped_code_left_processes_running_is_told_apart(job):
    """`KernelProcess.left_running`, on real cgroups: is a kernel with its waiting parent (two
    processes, as in a PID namespace) alone, and one whose code forked children not? After a
    stopped cell the grading run restarts the second: the children of a fork bomb hold the
    process limit, and a kernel that then cannot start a thread (TensorFlow's pools) aborts."""
    from autograder.kernelproc import KERNEL_PROCESSES, KernelProcess

    process = KernelProcess({}, "/", time.monotonic() + 60, job.student)
    kernel, kids = _start(job, 1)  # the kernel and one child: its own two processes at most
    try:
        _wait_for_processes(job, 2)
        assert len(cgroups._pids([job.paths["pids"]])) == KERNEL_PROCESSES
        assert not process.left_running()
    finally:
        assert job.empty()
        kernel.wait(timeout=10)
    kernel, kids = _start(job, 3)
    try:
        _wait_for_processes(job, 4)
        assert cgroups.process_count(job.student) == 4
        assert process.left_running()
    finally:
        assert job.empty()
        kernel.wait(timeout=10)
    assert not KernelProcess({}, "/", time.monotonic() + 60).left_running()  # no cgroups: unknown
