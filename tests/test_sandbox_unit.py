"""Fast checks of the sandbox's plumbing (no notebook runs)."""

import os
import pathlib
import subprocess
import sys
import time

import pytest

from autograder import lifeline, sandbox
from autograder.paths import REPO


def test_socket_folder_lets_kernel_users_through():
    """Is the socket folder passable by the kernels' own user ids, even
    after something made it 0700?"""
    base = sandbox.socket_base()
    if base.stat().st_uid != os.geteuid():
        pytest.skip("the socket folder belongs to another user: nothing this process may change")
    os.chmod(base, 0o700)  # what the zygote used to do to it, which killed every sandboxed kernel
    assert sandbox.socket_base().stat().st_mode & 0o777 == 0o755


def test_uid_only_grading_says_when_a_kernel_cannot_reach_python(monkeypatch):
    """Without namespaces, as root, does the grader refuse in one line naming a folder the kernels'
    own user ids cannot reach (a Python under /root), and accept the same machine once it is
    reachable (solutions private)?"""
    import shutil
    import tempfile

    # /tmp: searchable by everyone
    root = pathlib.Path(tempfile.mkdtemp(prefix="aekit-reach-", dir="/tmp"))
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
from autograder import lifeline
marker = sys.argv[1]
if os.fork() == 0:  # the parent-to-be-lost
    parent = os.getpid()
    if os.fork() == 0:  # the orphan: its parent ends before it watches
        while os.getppid() == parent:
            time.sleep(0.001)
        lifeline.die_with_parent(parent)
        open(marker, "w").write("an orphan ran on")
    os._exit(0)
os.wait()
"""


def test_a_child_whose_parent_ended_before_it_watched_exits_at_once(tmp_path):
    """A zygote child or kernel stand-in whose parent died before
    PR_SET_PDEATHSIG was set gets no signal: does `die_with_parent(parent)`
    see the parent gone and exit rather than run on as an orphan?"""
    marker = tmp_path / "ran-on"
    subprocess.run([sys.executable, "-c", ORPHAN, str(marker)], cwd=REPO, check=True, timeout=60)
    deadline = time.monotonic() + 1.5
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not marker.exists(), "an orphaned child ran on after its parent ended"


@pytest.mark.skipif(
    not sandbox.capabilities()["cgroups"], reason="needs cgroups the grader can write (root)"
)
def test_the_jobs_of_a_killed_grader_are_emptied_even_when_frozen():
    """A grader killed while emptying a job leaves it frozen: do
    `remove_cgroups_of` (its zygote's last act) thaw and kill that job's
    processes and remove its cgroups, and leave another grader's job alone?"""
    import psutil

    from autograder import cgroups

    roots = cgroups.v1_roots()
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
        cgroups.remove_cgroups_of(999990)
        assert jobs[999990][1].wait(timeout=10) is not None
        assert not any((root / jobs[999990][0]).exists() for root in roots.values())
        assert psutil.pid_exists(jobs[999991][1].pid) and jobs[999991][1].poll() is None
    finally:
        cgroups.remove_cgroups_of(999991)
        for _, proc in jobs.values():
            proc.kill()
            proc.wait()


# ---- what root does on paths a job can write to (tests/test_sandbox.py
# has the same attacks end to end) ----------

ROOT = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: the job's user ids and the folders root makes"
)
# a user id no job of these tests' graders has (the graders' ids depend on their process ids)
STUDENT = 61990


def _as_user(uid: int, act) -> int:
    """Run `act()` in a child that has dropped to `uid` (no groups), as a student's kernel would;
    its exit code (0: `act` returned)."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            act()
            code = 0
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def _tmpfs(path: pathlib.Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)]).returncode != 0:
        pytest.skip("needs to mount a tmpfs (root with CAP_SYS_ADMIN)")


def _planted_target(folder: pathlib.Path) -> pathlib.Path:
    """A root-owned file a student would like root to write or chown (the
    launcher's own code, say)."""
    target = folder / "target.py"
    target.write_text("SAFE = True\n")
    os.chmod(target, 0o644)
    return target


@ROOT
def test_a_restarted_kernel_gets_a_new_home_and_root_writes_nothing_through_a_planted_link(
    open_folder,
):
    """uid-only mode (issue 26, hole 1): a kernel replaces its connection file
    with a link (symbolic, then hard) to a root-owned file and is restarted.
    Does every start get a new home, is the file in it written as the kernel's
    user, and is the linked file left as it was (content and owner)?"""
    import json

    from autograder import confine, jobspace
    from autograder.messages import SandboxConfig

    box = open_folder / "aekit-1-1"
    jobspace.make_job_folder(box, STUDENT, size_bytes=1 << 20, inodes=64, mount=False)
    target = _planted_target(open_folder)
    connection = open_folder / "connection.json"
    connection.write_text(json.dumps({"key": "k"}))
    os.chmod(connection, 0o600)
    config = SandboxConfig(
        limits=sandbox.Limits(), uid=STUDENT, sock_dir=str(box), repo=str(REPO), isolated=False
    )
    homes = []
    for plant in ("symlink", "hardlink", None):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # a kernel start: confined as the launcher does it, then the student's code
            os.close(read)
            conn_path, _ = confine.enter(config, str(connection), {})
            os.write(write, os.getcwd().encode())
            if plant == "symlink":
                os.unlink(conn_path)
                os.symlink(target, conn_path)
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read) as f:
            homes.append(pathlib.Path(f.read()))
        if plant == "hardlink":  # as a student could where hard links to others' files are allowed
            (homes[-1] / ".kernel-connection.json").unlink()
            os.link(target, homes[-1] / ".kernel-connection.json")
    assert len(set(homes)) == 3 and all(h.parent == box for h in homes), homes
    for home in homes:
        assert home.stat().st_uid == STUDENT and home.stat().st_mode & 0o777 == 0o700
    written = homes[-1] / ".kernel-connection.json"
    assert written.stat().st_uid == STUDENT and json.loads(written.read_text()) == {"key": "k"}
    assert target.read_text() == "SAFE = True\n" and target.stat().st_uid == 0
    assert box.stat().st_uid == 0 and box.stat().st_mode & 0o777 == 0o711
    # no kernel can add to the job's folder
    assert _as_user(STUDENT, lambda: (box / "planted").mkdir()) != 0
    assert jobspace.remove_tree(box) and target.read_text() == "SAFE = True\n"


@ROOT
def test_the_kernel_writes_its_files_only_where_nothing_waits_for_it(open_folder):
    """Does `write_new` (the kernel's connection file) refuse a planted symbolic or hard link
    instead of writing through it?"""
    from autograder import jobspace

    target = _planted_target(open_folder)
    for make in (os.symlink, os.link):
        planted = open_folder / f"planted-{make.__name__}"
        make(target, planted)
        with pytest.raises(FileExistsError):
            jobspace.write_new(str(planted), "written")
    assert target.read_text() == "SAFE = True\n"


def _nest(root: pathlib.Path, depth: int) -> None:
    """`depth` nested folders under `root`, made without recursion (a
    student's loop of mkdir and chdir)."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = child
    os.close(fd)


def test_a_deep_tree_with_links_is_removed_without_following_them(tmp_path):
    """Issue 26, hole 3: is a job's folder holding 1,500 nested folders, a link to a folder outside
    and a hard link to a file outside removed, with what the links name left whole?"""
    from autograder import jobspace

    outside = tmp_path / "outside"
    outside.mkdir()
    kept = _planted_target(outside)
    job = tmp_path / "aekit-1-1"
    (job / "ipc").mkdir(parents=True)
    _nest(job / "ipc", 1500)
    (job / "ipc" / "to-outside").symlink_to(outside)
    os.link(kept, job / "ipc" / "hard")
    assert jobspace.remove_tree(job) and not job.exists()
    assert kept.read_text() == "SAFE = True\n" and sorted(p.name for p in outside.iterdir()) == [
        "target.py"
    ]


def test_remove_stale_survives_anything_a_killed_grader_left(tmp_path):
    """Issue 26, hole 3: does `remove_stale` remove whatever dead graders' jobs
    left in the socket base (a deep tree with links, a file, a link to a folder
    outside, a mounted tmpfs when root) without raising and without touching
    what a link names, a live grader's job or root's home folder there?"""
    import psutil

    dead = next(p for p in range(999_999, 900_000, -1) if not psutil.pid_exists(p))
    base = tmp_path / "base"
    outside = tmp_path / "outside"
    outside.mkdir()
    kept = _planted_target(outside)
    deep = base / f"aekit-{dead}-1"
    deep.mkdir(parents=True)
    _nest(deep, 1500)
    (deep / "link").symlink_to(outside)
    (base / f"aekit-{dead}-2").write_text("a file")
    (base / f"aekit-{dead}-3").symlink_to(outside)
    live = base / f"aekit-{os.getpid()}-1"
    live.mkdir()
    home = base / "home-0"
    home.mkdir()
    mounted = base / f"aekit-{dead}-4"
    if (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mounted)], capture_output=True
        ).returncode
        != 0
    ):
        mounted.mkdir()
    elif os.geteuid() != 0:
        mounted.mkdir()
    else:
        (mounted / "inside").write_text("x")
    sandbox.remove_stale(base)
    assert sorted(p.name for p in base.iterdir()) == sorted([live.name, home.name])
    assert kept.read_text() == "SAFE = True\n" and outside.is_dir()
    from autograder import jobspace

    assert jobspace.mounts_under(base) == []


@ROOT
def test_every_process_of_a_jobs_user_id_dies_with_the_job_even_without_cgroups():
    """Issue 26, hole 5: a process of the job's user id that called setsid
    and forked twice (parent 1, no cgroup holds it): does `kill_uid` find
    and kill it, and leave other users' processes alone?"""
    from autograder import jobspace

    other = subprocess.Popen(["sleep", "60"])
    read, write = os.pipe()

    def survive():
        os.setsid()
        if os.fork() == 0:
            if os.fork() == 0:
                os.write(write, f"{os.getpid()}\n".encode())
                while True:
                    time.sleep(0.05)
            os._exit(0)
        os._exit(0)

    try:
        assert _as_user(STUDENT, survive) == 0
        os.close(write)
        with os.fdopen(read) as f:
            survivor = int(f.readline())
        assert survivor in jobspace.processes_of(STUDENT)
        assert jobspace.kill_uid(STUDENT) and jobspace.processes_of(STUDENT) == []
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()
        jobspace.kill_uid(STUDENT)


@ROOT
def test_what_a_job_left_in_the_shared_folders_is_removed_as_its_own_user(tmp_path):
    """uid-only mode: a job's files in /tmp (a tree, a link to a folder outside) go with the job;
    another user's file and what the link names stay."""
    import tempfile

    from autograder import jobspace

    shared = pathlib.Path(tempfile.mkdtemp(prefix="aekit-shared-"))
    os.chmod(shared, 0o1777)
    outside = tmp_path / "outside"
    outside.mkdir()
    kept = _planted_target(outside)
    others = shared / "someone-elses"
    others.write_text("keep")

    def litter():
        (shared / "tree" / "a" / "b").mkdir(parents=True)
        (shared / "tree" / "a" / "b" / "f").write_text("x")
        (shared / "link").symlink_to(outside)

    try:
        assert _as_user(STUDENT, litter) == 0
        assert jobspace.remove_files_of(STUDENT, (str(shared),)) == []
        assert sorted(p.name for p in shared.iterdir()) == ["someone-elses"]
        assert kept.read_text() == "SAFE = True\n"
    finally:
        subprocess.run(["rm", "-rf", str(shared)])


def test_a_submission_is_graded_from_a_private_copy(tmp_path):
    """uid-only mode (hole 5): is a submission copied into the job's folder
    (0600, root's), a link refused rather than followed, and a file over
    the size limit left uncopied (it is refused by its size)?"""
    from autograder import jobspace

    job = tmp_path / "job"
    job.mkdir(mode=0o700)
    nb = tmp_path / "class" / "alice.ipynb"
    nb.parent.mkdir()
    nb.write_text('{"cells": []}')
    os.chmod(nb, 0o644)
    copy = jobspace.private_copy(nb, job, 1000)
    assert (
        copy.parent == job
        and copy.read_text() == '{"cells": []}'
        and copy.stat().st_mode & 0o777 == 0o600
    )
    link = tmp_path / "class" / "link.ipynb"
    link.symlink_to(nb)
    other = tmp_path / "job2"
    other.mkdir()
    assert jobspace.private_copy(link, other, 1000) == link and list(other.iterdir()) == []
    assert jobspace.private_copy(nb, other, 5) == nb and list(other.iterdir()) == []


def test_uid_only_grading_refuses_a_class_or_results_folder_others_can_read(
    monkeypatch, open_folder
):
    """Without namespaces, as root: does the grader refuse in one line
    while the class's submissions or the results are readable by other
    users, naming the chmod that fixes it, and accept once they are not?"""
    from autograder import paths

    repo = open_folder / "course"
    (repo / "solutions").mkdir(parents=True, mode=0o700)
    monkeypatch.setattr(paths, "REPO", repo)
    monkeypatch.setattr(sandbox, "_CAPS", {"root": True, "namespaces": False, "cgroups": []})
    monkeypatch.setattr(sandbox, "kernel_needs", lambda: [])
    cls, out = open_folder / "class", open_folder / "out"
    (cls / "alice").mkdir(parents=True)
    (cls / "alice" / "01.ipynb").write_text("{}")
    out.mkdir()
    (out / "grades.csv").write_text("x")
    os.chmod(cls / "alice" / "01.ipynb", 0o644)
    os.chmod(out / "grades.csv", 0o644)
    reason = sandbox.unsafe_reason(private=(cls, out))
    assert (
        reason and "alice" in reason and f"chmod -R go-rwx {cls}" in reason and "\n" not in reason
    )
    subprocess.run(["chmod", "-R", "go-rwx", str(cls)], check=True)
    reason = sandbox.unsafe_reason(private=(cls, out))
    assert reason and f"chmod -R go-rwx {out}" in reason
    os.chmod(out, 0o700)
    assert sandbox.unsafe_reason(private=(cls, out)) is None


def test_root_launchers_import_nothing_a_job_could_have_written(tmp_path, monkeypatch):
    """Hole 1: is a folder on the import path that others may write to (or that
    another user owns) named, a sticky /tmp above a root-owned folder not; and
    does the kernel launcher's command (`lifeline.PYTHON_FLAGS`) import neither a package
    planted in its working folder nor a user site-packages in its HOME?"""
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    safe = shared / "safe"
    safe.mkdir(mode=0o755)
    assert sandbox.writable_import_path([str(safe)]) is None
    os.chmod(safe, 0o777)
    assert sandbox.writable_import_path([str(safe)]) == safe
    os.chmod(safe, 0o755)
    # not sticky: anyone could rename `safe` away and put their own in its place
    os.chmod(shared, 0o777)
    assert sandbox.writable_import_path([str(safe)]) == shared
    assert sandbox.writable_import_path() is None  # this Python's own import path
    marker = tmp_path / "imported"
    planted = tmp_path / "cwd" / "autograder"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text(f"open({str(marker)!r}, 'a').write('cwd ')\n")
    (planted / "confine.py").write_text(f"open({str(marker)!r}, 'a').write('cwd ')\n")
    site = (
        tmp_path
        / "home"
        / ".local"
        / "lib"
        / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        / "site-packages"
    )
    site.mkdir(parents=True)
    (site / "usercustomize.py").write_text(f"open({str(marker)!r}, 'a').write('site ')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONNOUSERSITE", "PYTHONPATH")}
    env["HOME"] = str(tmp_path / "home")
    subprocess.run(
        lifeline.python_module_argv("autograder.confine"),
        cwd=tmp_path / "cwd",
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert not marker.exists(), marker.read_text()


@ROOT
def test_a_full_disk_costs_the_notebook_never_the_run(tmp_path, monkeypatch):
    """Hole 4: with the socket base and the job's folder on a file system with no room left (bytes
    and inodes), is the notebook given a `crashed` result that says why, rather than an error that
    stops the class's run, and is no job folder or cgroup left?"""
    from autograder import cgroups, launcher

    full = tmp_path / "full"
    _tmpfs(full, "size=256k,nr_inodes=64,mode=0755")
    try:
        monkeypatch.setenv("AEKIT_SOCKET_BASE", str(full / "aekit"))
        (full / "aekit").mkdir(mode=0o755)
        (full / "aekit" / f"home-{os.geteuid()}").mkdir(mode=0o700)
        n = 0
        try:
            while True:
                (full / f"f{n}").write_bytes(b"x" * 8192)
                n += 1
        except OSError:
            pass
        submission = tmp_path / "alice.ipynb"
        submission.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
        run = launcher.Launcher(sandbox.Limits(), use_zygote=False)
        # no room for the job's copy; then none for its folder
        for job_dir in (full / "job", tmp_path / "job"):
            if job_dir.parent == tmp_path:
                for f in full.glob("f*"):
                    f.unlink()
                while True:  # now every inode taken instead
                    try:
                        (full / "aekit" / f"i{n}").touch()
                    except OSError:
                        break
                    n += 1
            result = run.run(
                launcher.NotebookJob(
                    assignment="01_conv_as_matrix",
                    source=submission,
                    submission=submission,
                    job_dir=job_dir,
                    tests=[],
                    timeout=30,
                    call_seconds=5,
                )
            )
            assert result.status == "crashed" and "could not prepare" in result.detail, result
            assert [p.name for p in (full / "aekit").iterdir() if p.name.startswith("aekit-")] == []
            assert not [p for p in cgroups.MOUNT.glob(f"*/aekit-{os.getpid()}-*")]
        monkeypatch.delenv("AEKIT_SOCKET_BASE")

        def no_room(*args, **kwargs):
            raise OSError(28, "No space left on device")

        from autograder import jobspace

        # its cgroups and user id are taken by then
        monkeypatch.setattr(jobspace, "make_job_folder", no_room)
        result = run.run(
            launcher.NotebookJob(
                assignment="01_conv_as_matrix",
                source=submission,
                submission=submission,
                job_dir=tmp_path / "job3",
                tests=[],
                timeout=30,
                call_seconds=5,
            )
        )
        assert result.status == "crashed" and "No space left" in result.detail, result
        assert not [p for p in cgroups.MOUNT.glob(f"*/aekit-{os.getpid()}-*")]
        # the failed job's: its user id is free again
        start = os.getpid() * 64 + sandbox.JobSandbox._counter
        uid, lock = jobspace.claim_uid(sandbox.UID_BASE, sandbox.UID_SPAN, start)
        jobspace.release_uid(lock)
        assert uid == sandbox.UID_BASE + start % sandbox.UID_SPAN
    finally:
        subprocess.run(["umount", "-l", str(full)])


@ROOT
def test_no_two_jobs_share_a_user_id_and_a_claimed_id_starts_empty():
    """Hole 5 (each job's user id is its own, so killing every process of it at the job's end hits
    that job alone): do two jobs that would get the same id (two graders whose process ids collide)
    get two, is an id free again once released, and is a process a killed grader's job left under an
    id killed when the id is claimed?"""
    from autograder import jobspace

    first, span = 61980, 8
    uid_a, lock_a = jobspace.claim_uid(first, span, 3)
    uid_b, lock_b = jobspace.claim_uid(first, span, 3)
    try:
        assert uid_a == first + 3 and uid_b == first + 4
        jobspace.release_uid(lock_a)
        lock_a = None
        # a leftover of a job
        assert _as_user(uid_a, lambda: os.fork() or (os.setsid(), time.sleep(60))) == 0
        assert jobspace.processes_of(uid_a)
        again, lock_a = jobspace.claim_uid(first, span, 3)
        assert again == uid_a and jobspace.processes_of(uid_a) == []
    finally:
        jobspace.release_uid(lock_a)
        jobspace.release_uid(lock_b)
        jobspace.kill_uid(uid_a)


@ROOT
def test_what_a_killed_graders_jobs_left_outside_every_cgroup_is_killed_by_user_id():
    """A grader killed -9 in uid-only mode without cgroups leaves a job's
    setsid, double-forked process running: does `kill_unclaimed` (the zygote's
    last act, and `remove_stale`'s) kill it, and spare a live job's?"""
    from autograder import jobspace

    first, span = 61970, 4
    live, lock = jobspace.claim_uid(first, span, 0)
    dead = first + 1

    def linger():
        if os.fork() == 0:
            os.setsid()
            time.sleep(60)

    try:
        for uid in (live, dead):
            assert _as_user(uid, linger) == 0
        assert jobspace.processes_of(dead) and jobspace.processes_of(live)
        assert jobspace.kill_unclaimed(first, span) == [dead]
        assert jobspace.processes_of(dead) == [] and jobspace.processes_of(live)
    finally:
        jobspace.release_uid(lock)
        jobspace.kill_uid(live)
        jobspace.kill_uid(dead)


def test_a_socket_base_that_is_a_link_or_anothers_is_refused(tmp_path, monkeypatch):
    """Root makes every job's folder and its own home under the socket base: is a base (or home)
    that is a link, or another user's folder, refused with what to do, instead of followed?"""
    from autograder import jobspace

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "base").symlink_to(elsewhere)
    monkeypatch.setenv(jobspace.BASE_ENV, str(tmp_path / "base"))
    with pytest.raises(jobspace.UnsafeBase, match="rm -rf"):
        jobspace.base()
    monkeypatch.setenv(jobspace.BASE_ENV, str(tmp_path / "real"))
    assert (
        jobspace.base() == tmp_path / "real" and (tmp_path / "real").stat().st_mode & 0o777 == 0o755
    )
    (tmp_path / "real" / f"home-{os.geteuid()}").symlink_to(elsewhere)
    with pytest.raises(jobspace.UnsafeBase):
        jobspace.private_home()
    if os.geteuid() == 0:
        os.chown(elsewhere, STUDENT, STUDENT)
        monkeypatch.setenv(jobspace.BASE_ENV, str(elsewhere))
        with pytest.raises(jobspace.UnsafeBase):
            jobspace.base()
    assert list(elsewhere.iterdir()) == []


def test_the_grading_runs_socket_clean_up_removes_planted_links_not_what_they_name(tmp_path):
    """The grading run (root) removes its kernel's sockets at each shut-down, in the folder the
    kernel writes to: with a symbolic and a hard link planted in their place, does it remove the
    links and leave what they name?"""
    from jupyter_client import KernelManager

    ipc = tmp_path / "ipc"
    ipc.mkdir()
    target = _planted_target(tmp_path)
    (ipc / "k-1").symlink_to(target)
    os.link(target, ipc / "k-2")
    km = KernelManager(kernel_name="python3")
    km.transport, km.ip = "ipc", str(ipc / "k")
    km.shell_port, km.iopub_port, km.stdin_port, km.hb_port, km.control_port = 1, 2, 3, 4, 5
    km.cleanup_ipc_files()
    assert (
        list(ipc.iterdir()) == []
        and target.read_text() == "SAFE = True\n"
        and target.stat().st_nlink == 1
    )


def test_roots_processes_keep_their_home_and_temporary_files_out_of_reach():
    """Hole 1: do the zygote, the grading runs and the kernel launchers (`zygote.safe_env`) get a
    HOME and a TMPDIR of this user's own (0700, not a link, not /tmp, where a kernel without
    namespaces can write: a planted matplotlibrc or keras.json, or the kernels' connection files and
    keys), and no user site-packages?"""
    import tempfile

    from autograder import zygote

    env = zygote.safe_env()
    for name in ("HOME", "TMPDIR"):
        path = pathlib.Path(env[name])
        st = os.lstat(path)
        assert (
            st.st_uid == os.geteuid() and st.st_mode & 0o777 == 0o700 and not path.is_symlink()
        ), (name, path)
        assert pathlib.Path(tempfile.gettempdir()) not in path.parents, (name, path)
    assert env["PYTHONNOUSERSITE"] == "1"
    # where jupyter_client writes a connection file
    code = "import tempfile; print(tempfile.mkstemp('.json')[1])"
    made = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert pathlib.Path(made.stdout.strip()).parent == pathlib.Path(env["TMPDIR"])
    os.unlink(made.stdout.strip())


def _deep_chain(top: pathlib.Path, depth: int) -> list[int]:
    """Folders `d/d/.../d` `depth` deep under `top` (paths far beyond PATH_MAX: made through folder
    descriptors); the descriptor of each level, top first (the caller closes them)."""
    fds = [os.open(top, os.O_RDONLY | os.O_DIRECTORY)]
    for _ in range(depth):
        os.mkdir("d", 0o755, dir_fd=fds[-1])
        fds.append(os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fds[-1]))
        if len(fds) > 2:  # keep the descriptors few: the top and the current level
            os.close(fds.pop(-2))
    return fds


@pytest.fixture
def memory_folder():
    """A fresh folder every user can enter, in /dev/shm when there is one (a tmpfs: 5,000 nested
    folders go in a moment there, where this machine's disk takes seconds), removed afterwards."""
    import tempfile

    from autograder import jobspace

    path = pathlib.Path(
        tempfile.mkdtemp(
            prefix="aekit-open-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None
        )
    )
    os.chmod(path, 0o755)
    yield path
    assert jobspace.remove_tree(path)


def test_a_folder_5000_deep_is_searched_for_readable_files_without_recursion_or_following_links(
    memory_folder,
):
    """Issue 26: in a TA's folder 5,000 levels deep (paths beyond PATH_MAX), is a world-readable
    file at the bottom found (no RecursionError), is a link to a readable file outside never
    followed, and does a level without o+x on the way stop the search as it stops another user?"""
    top = memory_folder / "class"
    top.mkdir(mode=0o755)
    os.chmod(top, 0o755)
    outside = memory_folder / "outside.txt"
    outside.write_text("readable")
    os.chmod(outside, 0o644)
    fds = _deep_chain(top, 5000)
    bottom = fds[-1]
    try:
        # a link to a file others can read: not followed
        os.symlink(str(outside), "link", dir_fd=bottom)
        os.close(os.open("secret", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=bottom))
        os.chmod("secret", 0o600, dir_fd=bottom)
        assert sandbox.readable_by_others(top) is None
        os.chmod("secret", 0o644, dir_fd=bottom)
        found = sandbox.readable_by_others(top)
        assert found is not None and found.name == "secret" and len(found.parts) > 5000, str(found)[
            :200
        ]
        # the first level closed to others: the file is out of their reach
        os.chmod("d", 0o750, dir_fd=fds[0])
        assert sandbox.readable_by_others(top) is None
        os.chmod("d", 0o755, dir_fd=fds[0])
        os.chmod(top, 0o700)  # the folder itself closed
        assert sandbox.readable_by_others(top) is None
    finally:
        for fd in fds:
            os.close(fd)
