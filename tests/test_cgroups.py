"""The cgroup module on fake cgroup trees (tmp folders standing in for /sys/fs/cgroup): which
hierarchy a host offers (v1, v2, hybrid), where a v2 grader puts its jobs (the true root, its own
container namespace, a delegated systemd scope), the limits written for a job, and the one-line
refusals where a limit is missing.

A fake tree is only files: nothing moves a process or removes a file as the kernel
would, so these tests check what the grader writes and decides;
tests/test_cgroup2_uml.py checks the same code on a real cgroup v2 kernel.
"""

import os
import pathlib

import pytest

from autograder import cgroups, gradescope
from autograder import grade as grade_mod
from autograder.paths import UsageError

ALL = "cpuset cpu io memory hugetlb pids rdma misc"


def cgroup(
    path: pathlib.Path, controllers: str = ALL, *, procs: str = "", root: bool = False
) -> pathlib.Path:
    """A fake v2 cgroup folder with the files the grader reads."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "cgroup.controllers").write_text(controllers + "\n")
    (path / "cgroup.subtree_control").write_text("")
    (path / "cgroup.procs").write_text(procs)
    if not root:
        for name in ("cgroup.type", "cgroup.freeze", "cgroup.kill"):
            (path / name).write_text("domain\n" if name == "cgroup.type" else "0\n")
    return path


def v1_hierarchy(mount: pathlib.Path, controllers=cgroups.CONTROLLERS) -> None:
    for ctrl in controllers:
        (mount / ctrl).mkdir(parents=True)
        (mount / ctrl / "cgroup.procs").write_text("1\n")


@pytest.fixture
def fake(tmp_path, monkeypatch):
    """Point the module at a fake /sys/fs/cgroup, /proc/self/cgroup and
    /run/systemd/system (all absent yet)."""
    mount, proc = tmp_path / "sys-fs-cgroup", tmp_path / "proc-self-cgroup"
    mount.mkdir()
    monkeypatch.setattr(cgroups, "MOUNT", mount)
    monkeypatch.setattr(cgroups, "PROC_CGROUP", proc)
    monkeypatch.setattr(cgroups, "SYSTEMD", tmp_path / "run-systemd-system")
    monkeypatch.setattr(cgroups, "_RELEASE_REGISTERED", True)  # no atexit release of a fake tree

    def own(path: str) -> None:
        proc.write_text(f"0::{path}\n")

    own("/")
    return mount, own


def one_line_refusal(reason: str | None, *words: str) -> None:
    assert reason and "\n" not in reason and "--unsafe" in reason, reason
    for word in words:
        assert word in reason, (word, reason)


def test_v2_on_the_true_root_puts_jobs_under_it_and_limits_each(fake):
    """A grader in the root cgroup of a v2 host or VM: are jobs made right
    under the root (which may hold processes), with memory.max, swap off,
    cpu.max and the kernel's pids.max, and no refusal?"""
    mount, own = fake
    cgroup(mount, root=True)
    assert cgroups.version() == "v2"
    where = cgroups.place()
    assert where.base == mount and where.true_root and not where.vacate
    assert cgroups.available() == ["cpu", "freezer", "memory", "pids"]
    assert cgroups.missing_reason() is None
    assert set((mount / "cgroup.subtree_control").read_text().split()) == {
        "+memory",
        "+pids",
        "+cpu",
    }
    assert not (mount / cgroups.LEAF).exists()  # the root may hold processes: nothing moved
    job = cgroups.JobCgroups.create("aekit-7-1", memory_bytes=2**30, processes=99, cpu_share=1.5)
    folder = mount / "aekit-7-1"
    assert isinstance(job, cgroups.JobCgroupsV2)
    assert (folder / "memory.max").read_text() == str(2**30)
    assert (folder / "memory.swap.max").read_text() == "0"
    assert (folder / "cpu.max").read_text() == "150000 100000"
    assert (folder / "cgroup.subtree_control").read_text() == "+pids +cpu"
    # one process limit above the kernel's leaf and `strays` (strays.py):
    # moving a process does not free room
    student = folder / cgroups.STUDENT
    assert (student / "pids.max").read_text() == "99"
    assert (student / "cgroup.subtree_control").read_text() == "+pids +cpu"
    assert (
        not (student / "kernel" / "pids.max").exists()
        and not (student / cgroups.STRAYS / "pids.max").exists()
    )
    assert (student / cgroups.STRAYS / "cpu.weight").read_text() == str(cgroups.STRAY_CPU_WEIGHT)
    assert job.strays_cgroup() == student / cgroups.STRAYS
    assert job.kernel == {"unified": student / "kernel"} and job.runner == {
        "unified": folder / "runner"
    }
    # what the grading run empties when it restarts a kernel
    assert job.student == {"unified": student}


def test_v2_in_a_container_moves_its_processes_into_a_leaf_first(fake):
    """At the root of its own cgroup namespace (a container's cgroup, not the host's root: it has
    cgroup.type), does the grader move the processes there into its leaf before enabling the
    controllers, and jobs go beside the leaf; and does `release` undo both once no job is left?"""
    mount, own = fake
    cgroup(mount, procs="1\n4242\n")
    where = cgroups.place()
    assert where.base == mount and where.vacate and not where.true_root
    assert cgroups.missing_reason() is None
    # each pid written in turn: the last
    assert (mount / cgroups.LEAF / "cgroup.procs").read_text() == "4242"
    assert set((mount / "cgroup.subtree_control").read_text().split()) == {
        "+memory",
        "+pids",
        "+cpu",
    }
    job = cgroups.JobCgroups.create("aekit-7-1", memory_bytes=2**30, processes=99, cpu_share=0)
    # no quota asked: none set
    assert job.job == mount / "aekit-7-1" and not (job.job / "cpu.max").exists()
    # a second grader started from a shell that the first moved: its cgroup
    # is the leaf, its base the same
    own("/" + cgroups.LEAF)
    assert cgroups.place().base == mount
    cgroups.release()  # a job is still there: nothing is undone
    assert (mount / cgroups.LEAF).is_dir()
    for folder in sorted(job.job.rglob("*"), reverse=True):
        folder.unlink() if folder.is_file() else folder.rmdir()
    job.job.rmdir()
    (mount / "cgroup.subtree_control").write_text("cpu memory pids")  # what the kernel would show
    (mount / cgroups.LEAF / "cgroup.procs").unlink()
    cgroups.release()
    assert not (mount / cgroups.LEAF).exists()
    assert (mount / "cgroup.subtree_control").read_text() == "-cpu -memory -pids"


def test_v2_under_systemd_needs_a_delegated_scope(fake, tmp_path, monkeypatch):
    """In a systemd unit not delegated to it, does the grader refuse in one line naming `systemd-run
    --scope -p Delegate=yes`; and in a delegated one (systemd marks it with the trusted.delegate
    attribute) use its own cgroup as the base, moving itself into the leaf?"""
    mount, own = fake
    cgroup(mount, root=True)
    (mount / "cgroup.subtree_control").write_text("cpu memory pids")
    scope = cgroup(mount / "system.slice" / "run-r1.scope", "cpu memory pids", procs="4242\n")
    cgroups.SYSTEMD.mkdir()
    own("/system.slice/run-r1.scope")
    one_line_refusal(cgroups.missing_reason(), "systemd-run --scope -p Delegate=yes", str(scope))
    assert cgroups.available() == []
    monkeypatch.setattr(cgroups, "_delegated", lambda path: path == scope)
    where = cgroups.place()
    assert where.base == scope and where.vacate
    assert cgroups.missing_reason() is None
    assert (scope / cgroups.LEAF / "cgroup.procs").read_text() == "4242"


def test_systemds_delegation_mark_is_read(tmp_path):
    """Is a cgroup marked delegated (the extended attribute systemd sets
    with Delegate=yes) seen as such?"""
    try:
        os.setxattr(tmp_path, "user.delegate", b"1")
    except OSError as exc:
        pytest.skip(f"this file system keeps no user extended attributes ({exc.strerror})")
    assert cgroups._delegated(tmp_path) and not cgroups._delegated(tmp_path.parent)


def test_v2_without_the_memory_controller_refuses_naming_it(fake):
    """A cgroup whose parent did not give it the memory controller (no +memory in the parent's
    cgroup.subtree_control): does the grader refuse in one line naming
    memory and where to enable it?"""
    mount, own = fake
    cgroup(mount, root=True)
    cgroup(mount / "grader", "cpu pids", procs="4242\n")
    own("/grader")
    assert cgroups.available() == ["cpu", "freezer", "pids"]
    one_line_refusal(cgroups.missing_reason(), "memory", str(mount / "cgroup.subtree_control"))
    assert not (mount / "grader" / cgroups.LEAF).exists()  # a refusal changes nothing


def test_v2_without_kill_or_freeze_refuses_naming_the_freezer(fake):
    """A kernel older than 5.14 has no cgroup.kill, older than 5.2 no
    cgroup.freeze: refused, naming the freezer?"""
    mount, own = fake
    cgroup(mount, root=True)
    grader = cgroup(mount / "grader", "cpu memory pids")
    (grader / "cgroup.kill").unlink()
    (grader / "cgroup.freeze").unlink()
    own("/grader")
    one_line_refusal(cgroups.missing_reason(), "freezer")


def test_v2_read_only_in_a_container_names_the_flags(fake, monkeypatch):
    """A container whose cgroup file system is mounted read-only (Docker and Podman without a
    writable cgroup): refused in one line naming the container flags?"""
    mount, own = fake
    cgroup(mount, procs="1\n")
    real_access = os.access
    monkeypatch.setattr(
        cgroups.os,
        "access",
        lambda path, mode: (
            False
            if str(path).startswith(str(mount)) and mode == os.W_OK
            else real_access(path, mode)
        ),
    )
    one_line_refusal(cgroups.missing_reason(), "read-only", "--privileged --cgroupns=private")


def test_a_hybrid_host_uses_the_hierarchy_with_the_controllers(fake):
    """v1 controllers beside an empty unified hierarchy (systemd's hybrid layout): v1; the v1
    controllers gone and the unified one holding them: v2?"""
    mount, own = fake
    v1_hierarchy(mount)
    cgroup(mount / "unified", "", root=True)
    assert cgroups.version() == "v1" and cgroups.available() == ["cpu", "freezer", "memory", "pids"]
    assert cgroups.missing_reason() is None
    for ctrl in cgroups.CONTROLLERS:
        (mount / ctrl / "cgroup.procs").unlink()
        (mount / ctrl).rmdir()
    cgroup(mount / "unified", "cpu memory pids", root=True)
    assert cgroups.version() == "v2" and cgroups.available() == ["cpu", "freezer", "memory", "pids"]


def test_v1_without_the_process_controller_refuses_naming_it(fake):
    mount, own = fake
    v1_hierarchy(mount, ("memory", "cpu", "freezer"))
    one_line_refusal(cgroups.missing_reason(), "pids")


def test_a_v2_jobs_memory_report_reads_oom_kills_and_peak_and_survives_removal(fake, monkeypatch):
    """Does a job report the out-of-memory killer from memory.events and its peak from memory.peak,
    and keep that report once its cgroups are removed (the launcher reads it after the clean-up)?"""
    mount, own = fake
    job = cgroups.JobCgroupsV2(cgroup(mount / "aekit-7-1"))
    (job.job / "memory.max").write_text(str(2**30))
    (job.job / "memory.events").write_text(
        "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n"
    )
    (job.job / "memory.peak").write_text("5000\n")
    assert job.memory_report() == cgroups.MemoryReport(False, 5000)
    (job.job / "memory.events").write_text(
        "low 0\nhigh 0\nmax 31\noom 1\noom_kill 1\noom_group_kill 0\n"
    )
    (job.job / "memory.peak").write_text(f"{2**30}\n")
    monkeypatch.setattr(
        cgroups,
        "_remove_folders",
        lambda paths: [p for p in paths if not __import__("shutil").rmtree(p, True)],
    )
    job.remove()
    assert not job.job.exists()
    assert job.memory_report() == cgroups.MemoryReport(True, 2**30)


def test_grade_and_gradescope_refuse_where_a_limit_is_missing(fake, tmp_path, monkeypatch):
    """With the memory controller missing, does `grade` refuse in one line
    (a UsageError: exit 2) offering --unsafe, and the Gradescope run write
    a results.json that grades nothing and says why?"""
    mount, own = fake
    cgroup(mount, root=True)
    cgroup(mount / "grader", "cpu pids")
    own("/grader")
    monkeypatch.setattr(grade_mod.sandbox, "unsafe_reason", lambda *args, **kwargs: None)
    (tmp_path / "class" / "ada").mkdir(parents=True)
    with pytest.raises(UsageError) as refused:
        grade_mod.grade(tmp_path / "class", tmp_path / "out", assignments=[], workers=1, timeout=10)
    one_line_refusal(str(refused.value), "refusing to grade", "memory")
    assert not (tmp_path / "out").exists()
    root = tmp_path / "gradescope"
    (root / "submission").mkdir(parents=True)
    monkeypatch.delenv(gradescope.UNSAFE_ENV, raising=False)
    assert gradescope.run(root) == 0
    results = (root / "results" / "results.json").read_text()
    assert '"tests": []' in results and "memory" in results and gradescope.UNSAFE_ENV in results


@pytest.mark.skipif(
    "memory" not in cgroups.v1_roots(),
    reason="needs a writable v1 memory cgroup (root on a v1 host)",
)
def test_a_v1_job_killed_at_its_memory_limit_reports_it():
    """On this machine's v1 cgroups: a process that allocates past its job's
    memory limit is killed, and does the job's report say so
    (memory.oom_control's oom_kill), before and after its cgroups are removed?"""
    import subprocess
    import sys

    job = cgroups.JobCgroups.create(
        f"aekit-{os.getpid()}-oom", memory_bytes=128 * 2**20, processes=50, cpu_share=0
    )
    try:
        hog = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; sys.stdin.readline(); "
                "hog = [bytearray(32 * 2**20) for _ in range(20)]",
            ],
            stdin=subprocess.PIPE,
        )
        for path in job.kernel.values():
            (path / "cgroup.procs").write_text(str(hog.pid))
        assert not job.memory_report().out_of_memory
        hog.communicate(b"go\n", timeout=60)
        assert hog.returncode == -9
        assert job.memory_report().out_of_memory
    finally:
        job.empty()
        job.remove()
    assert not any(path.exists() for path in job.paths.values())
    assert job.memory_report().out_of_memory and job.memory_report().peak_bytes >= 120 * 2**20


def test_the_benchmark_obeys_the_same_refusal_and_says_so(tmp_path, monkeypatch, capsys):
    """Where `grade` would refuse for a missing cgroup limit (the kernels
    themselves isolated), does the benchmark grade with --unsafe and say
    why on stderr, and grade without it where nothing is missing?"""
    from autograder import bench

    calls = []
    monkeypatch.setattr(bench.subprocess, "run", lambda argv, **kw: calls.append(argv))
    monkeypatch.setattr(bench.sandbox, "unsafe_reason", lambda *a, **kw: None)
    monkeypatch.setattr(
        bench.cgroups, "missing_reason", lambda *a, **kw: "cgroup v2 limits missing (memory)"
    )
    bench._ours(tmp_path, ["s1"], ["01_conv_as_matrix"], {"01_conv_as_matrix": "{}"}, 1)
    assert "--unsafe" in calls[-1]
    assert "cgroup v2 limits missing (memory)" in capsys.readouterr().err
    monkeypatch.setattr(bench.cgroups, "missing_reason", lambda *a, **kw: None)
    bench._ours(tmp_path / "again", ["s1"], ["01_conv_as_matrix"], {"01_conv_as_matrix": "{}"}, 1)
    assert "--unsafe" not in calls[-1] and capsys.readouterr().err == ""


def test_a_job_without_the_cgroups_the_run_started_with_stops_the_run_as_the_machines_failure(
    tmp_path, monkeypatch
):
    """A job whose cgroups cannot be made (removed or read-only under a run
    that started with them): does the launcher clean the job up and refuse
    to run it, and does that map to exit 75 (a scheduler retries)?"""
    from autograder import exitcodes, launcher, sandbox

    assert cgroups.JobCgroups({}).lacking(["memory", "pids"]) == ["memory", "pids"]
    assert cgroups.JobCgroupsV2(None).lacking(["pids", "memory"]) == ["memory", "pids"]
    assert cgroups.JobCgroups({"memory": tmp_path}).lacking(["memory"]) == []
    assert exitcodes.for_exception(cgroups.JobCgroupsMissing("x")) == exitcodes.INFRASTRUCTURE

    cleaned = []

    class Box:
        def __init__(self, *args, **kwargs):
            self.cgroups = cgroups.JobCgroups({"pids": tmp_path})

        def cleanup(self):
            cleaned.append(True)
            return True

    monkeypatch.setattr(sandbox, "JobSandbox", Box)
    monkeypatch.setattr(
        sandbox,
        "capabilities",
        lambda: {"root": True, "namespaces": True, "cgroups": ["memory", "pids"]},
    )
    runs = launcher.Launcher(sandbox.Limits(), use_zygote=False)
    monkeypatch.setattr(
        runs, "_run_runner", lambda *a, **kw: pytest.fail("a job ran without its cgroups")
    )
    submission = tmp_path / "s.ipynb"
    submission.write_text("{}")
    with pytest.raises(cgroups.JobCgroupsMissing, match="memory"):
        runs.run(
            launcher.NotebookJob(
                assignment="01_conv_as_matrix",
                source=tmp_path / "src.ipynb",
                submission=submission,
                job_dir=tmp_path / "job",
                tests=[],
                timeout=60,
                call_seconds=10,
            )
        )
    assert cleaned == [True]
