"""Fast checks of the disk watch (uid-only jobs on shared disks) and of the
grader's reserve on the results disk."""

import errno
import json
import os
import pathlib
import subprocess
import tempfile
import time

import pytest

from autograder import diskwatch, jobspace, reserve
from autograder.diskwatch import Usage

ROOT = pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root: files of other user ids, a small tmpfs"
)
ALICE, BOB, CAROL = 61991, 61992, 61993  # user ids no job of a grader has now (the tests' own)
MB = 1024**2


@pytest.fixture
def small_disk():
    """A small tmpfs (8 MB, 1,000 files) every user may write to, as /tmp is, in a folder every user
    can enter; `small_disk(size, inodes)` mounts another."""
    made = []

    def mount(size: str = "8m", inodes: int = 1000) -> pathlib.Path:
        top = pathlib.Path(tempfile.mkdtemp(prefix="aekit-open-"))
        os.chmod(top, 0o755)
        disk = top / "disk"
        disk.mkdir()
        made.append(top)
        if (
            subprocess.run(
                [
                    "mount",
                    "-t",
                    "tmpfs",
                    "-o",
                    f"size={size},nr_inodes={inodes},mode=1777",
                    "tmpfs",
                    str(disk),
                ]
            ).returncode
            != 0
        ):
            pytest.skip("needs to mount a small tmpfs (root with CAP_SYS_ADMIN)")
        return disk

    yield mount
    for top in made:
        subprocess.run(["umount", "-l", str(top / "disk")], stderr=subprocess.DEVNULL)
        subprocess.run(["rm", "-rf", "--one-file-system", str(top)])


def _file(path: pathlib.Path, size: int, uid: int) -> pathlib.Path:
    path.write_bytes(os.urandom(size))
    os.chown(path, uid, uid)
    return path


@ROOT
def test_what_each_job_holds_is_counted_iteratively_once_and_only_where_it_could_write(small_disk):
    """Are a job's files counted by their user id (a hard link once, a link
    not followed, 3,000 nested folders without recursion), and is a folder
    no job could write to (root's, 0755) not entered?"""
    disk = small_disk("64m", 20000)
    device = os.stat(disk).st_dev
    _file(disk / "a", MB, ALICE)
    os.link(disk / "a", disk / "a-again")
    _file(disk / "b", 256 * 1024, BOB)
    os.symlink("/usr", disk / "to-usr")
    os.lchown(disk / "to-usr", ALICE, ALICE)
    roots_own = disk / "roots"
    roots_own.mkdir(mode=0o755)
    # cannot be a job's: nothing of a job is looked for there
    _file(roots_own / "hidden", MB, ALICE)
    deep = disk / "deep"
    deep.mkdir()
    os.chown(deep, ALICE, ALICE)
    fd = os.open(deep, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(3000):
        os.mkdir("d", dir_fd=fd)
        os.chown("d", ALICE, ALICE, dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.close(fd)
    held = diskwatch.holdings([str(disk)], device, {ALICE, BOB})
    assert held[BOB] == Usage(256 * 1024, 1)
    # a, its link counted once, to-usr, deep and its 2,999 levels...
    assert held[ALICE].inodes == 1 + 1 + 1 + 3000
    assert MB <= held[ALICE].bytes < 2 * MB  # ... and the bytes of `a` once, not those of `hidden`
    assert diskwatch.holdings([str(disk)], device, {CAROL}) == {}


@ROOT
def test_a_job_over_its_budget_or_filling_a_disk_is_the_one_stopped(small_disk):
    """With fake kill and clean-up: is a job holding more than its budget on a shared disk stopped
    (and only it), with a reason in bytes and files; when the disk is nearly full with no job over
    budget, is the one holding the most stopped, and one holding little never; does `unwatch` say
    why, and `stops_between` see it?"""
    disk = small_disk("8m", 1000)
    killed, cleaned = [], []
    watch = diskwatch.DiskWatch(
        [str(disk)],
        Usage(2 * MB, 100),
        poll=3600,
        kill=lambda uid: killed.append(uid) or True,
        remove=lambda uid, places: cleaned.append((uid, places)),
    )
    try:
        before = time.monotonic()
        for uid in (ALICE, BOB):
            watch.watch(uid)
        assert watch.check() == []
        _file(disk / "bob", 100 * 1024, BOB)
        for n in range(5):
            _file(disk / f"alice-{n}", 600 * 1024, ALICE)  # 3 MB: over its 2 MB
        stops = watch.check()
        assert (
            [s.uid for s in stops] == [ALICE]
            and killed == [ALICE]
            and cleaned == [(ALICE, (str(disk),))]
        )
        assert (
            "wrote more than 2 MB or 100 files" in stops[0].reason and str(disk) in stops[0].reason
        )
        assert watch.unwatch(ALICE) == stops[0] and watch.unwatch(BOB) is None
        assert watch.stops_between(before, time.monotonic()) == stops
        assert watch.stops_between(before, time.monotonic(), besides=ALICE) == []
        for n in range(5):
            (disk / f"alice-{n}").unlink()

        # a budget larger than the disk (a small /dev/shm): filling it is what stops a job
        killed.clear()
        watch.budget = Usage(512 * MB, 16384)
        for uid in (BOB, CAROL):
            watch.watch(uid)
        _file(disk / "carol", 64 * 1024, CAROL)
        for n in range(40):
            try:
                _file(disk / f"bob-{n}", 200 * 1024, BOB)
            except OSError:
                break
        stops = watch.check()
        assert [s.uid for s in stops] == [BOB] and killed == [BOB], stops
        assert "filled the file system of" in stops[0].reason
        assert watch.unwatch(CAROL) is None

        # files: 1,000 inodes, a tenth of them in reserve
        killed.clear()
        watch.watch(CAROL)
        for n in range(40):
            (disk / f"bob-{n}").unlink(missing_ok=True)
        few = disk / "carol-files"
        few.mkdir()
        os.chown(few, CAROL, CAROL)
        try:
            for n in range(1000):
                _file(few / str(n), 0, CAROL)
        except OSError:
            pass
        assert [s.uid for s in watch.check()] == [CAROL] and killed == [CAROL]
    finally:
        watch.close()


def _spawn_as(uid: int, code: str) -> subprocess.Popen:
    """A Python process as `uid` (no groups), running `code`: a job's kernel."""
    return subprocess.Popen(
        [os.path.realpath("/usr/bin/python3"), "-c", code],
        user=uid,
        group=uid,
        extra_groups=[],
        cwd="/",
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@ROOT
@pytest.mark.skipif(
    not os.path.exists("/usr/bin/python3"), reason="needs the system's python3 for a job's process"
)
def test_a_job_filling_a_shared_disk_through_a_deleted_file_is_killed_and_its_files_removed(
    small_disk,
):
    """With its thread, the real kill and clean-up: a job that writes into a file it deleted (no
    scan of folders sees it) and keeps files in the shared folder and in its own socket folder is
    found by its open files, killed, its files removed (its root-owned job folder and `ipc/` stay);
    a job beside it with a small file runs on, its file kept?"""
    disk = small_disk("16m", 1000)
    (uid, lock), (other, other_lock) = (
        jobspace.claim_uid(diskwatch_uid_base(), 50, n) for n in (0, 1)
    )
    job_folder = disk / "aekit-job"
    jobspace.make_job_folder(job_folder, uid, size_bytes=0, inodes=0, mount=False)
    watch = diskwatch.DiskWatch([str(disk)], Usage(2 * MB, 100), poll=0.05)
    hog = honest = None
    try:
        watch.watch(uid, [str(job_folder)])
        watch.watch(other)
        honest = _spawn_as(
            other, f"import time\nopen({str(disk / 'mine')!r}, 'w').write('x')\ntime.sleep(60)\n"
        )
        # its file is there before the hog starts (a loaded machine starts it slowly)
        end = time.monotonic() + 30
        while not (disk / "mine").exists() and time.monotonic() < end:
            time.sleep(0.05)
        hog = _spawn_as(
            uid,
            f"""import os, time
open({str(disk / "kept")!r}, 'w').write('x')
open({str(job_folder / "ipc" / "also-kept")!r}, 'w').write('x')
f = open({str(disk / "hidden")!r}, 'wb')
os.unlink({str(disk / "hidden")!r})
block = os.urandom(1 << 20)
for _ in range(6):
    f.write(block)
    f.flush()
    time.sleep(0.1)
time.sleep(60)
""",
        )
        hog.wait(timeout=20)  # killed by the watch long before its minute
        end = time.monotonic() + 5
        while (disk / "kept").exists() and time.monotonic() < end:
            time.sleep(0.05)
        stop = watch.unwatch(uid)
        assert stop is not None and stop.uid == uid and stop.held.bytes > 2 * MB, stop
        assert not (disk / "kept").exists() and (disk / "mine").read_text() == "x"
        assert list((job_folder / "ipc").iterdir()) == [] and job_folder.stat().st_uid == 0
        assert honest.poll() is None and watch.unwatch(other) is None
    finally:
        watch.close()
        for proc in (hog, honest):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
        for u, fd in ((uid, lock), (other, other_lock)):
            jobspace.kill_uid(u)
            jobspace.release_uid(fd)


def diskwatch_uid_base() -> int:
    """User ids for these tests' jobs, claimed as a grader claims them
    (never one a grader holds now)."""
    from autograder import sandbox

    return sandbox.UID_BASE + sandbox.UID_SPAN - 100


# ---- the grader's reserve on the results disk
# --------------------------------------------------------------


@ROOT
def test_a_full_disk_gives_back_the_reserve_and_writes_again_or_names_what_it_lost(small_disk):
    """Does the reserve take its room; a write on the full disk succeed once the reserve is given
    back; a write that still finds no room come back named, not raised; another error still raise;
    and the reserve come back once there is room?"""
    disk = small_disk("4m", 200)
    room = reserve.Reserve(disk / "work" / "reserve", size=MB // 2, files=16)
    assert room.make() and (disk / "work" / "reserve" / "bytes").stat().st_blocks * 512 >= MB // 2
    filler = disk / "filler"
    try:
        with open(filler, "wb") as f:
            while True:
                f.write(b"\1" * 65536)
                f.flush()
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    target = disk / "record.json"
    assert room.write("alice's record", lambda: target.write_bytes(b"r" * 300_000)) == (
        True,
        300_000,
    )
    assert not room.held and room.failed == []
    assert room.write("bob's record", lambda: (disk / "bob.json").write_bytes(b"r" * 2 * MB)) == (
        False,
        None,
    )
    assert len(room.failed) == 1 and room.failed[0].startswith("bob's record (No space left")
    with pytest.raises(ValueError):
        room.write("a bug", lambda: int("x"))
    assert not room.refill()  # no room yet
    filler.unlink()
    assert room.refill() and room.held


def test_a_full_disk_is_told_from_other_errors():
    """Is SQLite's "database or disk is full" (wrapped by SQLAlchemy) a
    full disk, and a locked database not?"""
    try:
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError as inner:
            raise RuntimeError("the state could not be written") from inner
    except RuntimeError as exc:
        assert reserve.is_disk_full(exc)
    assert reserve.is_disk_full(Exception("(sqlite3.OperationalError) database or disk is full"))
    assert not reserve.is_disk_full(Exception("(sqlite3.OperationalError) database is locked"))
    assert not reserve.is_disk_full(OSError(errno.EIO, "Input/output error"))


@ROOT
def test_a_full_results_disk_loses_no_student_and_the_tables_are_written(small_disk, monkeypatch):
    """With the results folder on a small disk that a job fills while the class is graded (kernels
    faked: each notebook earns full marks at once): are the records that meet the full disk written
    once the reserve is given back; when the disk stays full for one student, is that student named
    (on the stream and in the one-line error, exit 75), every other student recorded, and are
    grades.csv and tests.csv written?"""
    import csv
    import io

    from autograder import exitcodes, grade, launcher, selftest
    from autograder.course import CHECKOUT
    from autograder.results import NotebookResult, TestResult
    from tests.graded_class import source_tests

    a = "04_gaussian_generative_models"
    disk = small_disk("48m", 4000)
    cls, out = disk.parent / "class", disk / "out"
    for sid in ("ada", "ben", "zoe"):
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{a}.ipynb").write_text(json.dumps(selftest.build_submission(a)))
    monkeypatch.setattr(reserve, "RESERVE_BYTES", 4 * MB)
    fillers = []

    def fill():  # what a job on this disk does: takes every byte left
        fillers.append(disk / f"filler-{len(fillers)}")
        try:
            with open(fillers[-1], "wb") as f:
                while True:
                    f.write(b"\1" * (1 << 20))
                    f.flush()
        except OSError:
            pass

    import threading

    prepared = threading.Event()
    real_verdict = grade._preflight_verdict

    def verdict(*args):  # called once the results folder is prepared (its gradebook registered)
        prepared.set()
        return real_verdict(*args)

    def graded(self, job):
        # the disk fills while ada, then zoe, are graded
        tests = job.tests
        if job.submission.parent.name in ("ada", "zoe"):
            assert prepared.wait(60)
            fill()
        return NotebookResult(
            job.assignment,
            "graded",
            sum(t.points for t in tests),
            sum(t.points for t in tests),
            [TestResult(t.test_id, t.points, t.points, "", t.hidden) for t in tests],
        )

    real_rebuild = grade.rebuild

    def rebuild(*args, **kwargs):  # the job that filled the disk is gone by then: its file goes
        fillers[-1].unlink()
        return real_rebuild(*args, **kwargs)

    monkeypatch.setattr(launcher.Launcher, "run", graded)
    monkeypatch.setattr(launcher.Launcher, "warm", lambda self: None)
    monkeypatch.setattr(grade, "rebuild", rebuild)
    monkeypatch.setattr(grade, "_preflight_verdict", verdict)
    stream = io.StringIO()
    with pytest.raises(exitcodes.InfrastructureError) as raised:
        # unsafe: no kernel runs here (they are faked), so no refusal for want of namespaces
        grade.grade(
            cls,
            out,
            assignments=[a],
            workers=1,
            timeout=60,
            preflight=False,
            unsafe=True,
            stream=stream,
        )
    assert exitcodes.for_exception(raised.value) == exitcodes.INFRASTRUCTURE
    assert "zoe" in str(raised.value) and "\n" not in str(raised.value)
    assert "not saved (disk full): the gradebook rows of zoe's" in stream.getvalue(), (
        stream.getvalue()
    )
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"ada", "ben"}  # zoe: named above, graded again by the next run
    for sid in ("ada", "ben"):
        assert rows[sid]["status"] == "graded" and float(rows[sid]["score"]) == CHECKOUT.max_score(
            a
        )
        assert (
            json.loads((out / ".state" / sid / f"{a}.json").read_text())["result"]["status"]
            == "graded"
        )
    assert len((out / "tests.csv").read_text().splitlines()) == 1 + 2 * len(source_tests(a))
    assert not (out / ".state" / "zoe").exists() or not list((out / ".state" / "zoe").iterdir())


@ROOT
def test_a_disk_filled_from_a_world_writable_folder_no_one_named_is_still_traced(small_disk):
    """A job that fills the disk through a world-writable folder the watch
    was not given (a `/var/crash` under a folder of root's): is that folder
    found once the disk runs low, and the job stopped?"""
    disk = small_disk("8m", 1000)
    shared, crash = disk / "tmp", disk / "var" / "crash"
    for folder in (shared, crash):
        folder.mkdir(parents=True)
        os.chmod(folder, 0o1777)
    killed = []
    watch = diskwatch.DiskWatch(
        [str(shared)],
        Usage(512 * MB, 16384),
        poll=3600,
        kill=lambda uid: killed.append(uid) or True,
        remove=lambda uid, places: None,
    )
    try:
        watch.watch(ALICE)
        for n in range(40):
            try:
                _file(crash / f"alice-{n}", 200 * 1024, ALICE)
            except OSError:
                break
        stops = watch.check()
        assert [s.uid for s in stops] == [ALICE] and killed == [ALICE], stops
        assert "filled the file system of" in stops[0].reason
    finally:
        watch.close()


def test_a_notebook_that_crashed_while_another_job_was_stopped_is_graded_once_more(monkeypatch):
    """Is a notebook that crashed, or met "No space left on device", while
    the watch stopped another job graded a second time, with a note; and not
    when no job was stopped meanwhile, nor when it was the one stopped?"""
    from autograder import launcher, sandbox
    from autograder.results import NotebookResult, TestResult

    runs = []

    # one grading run: "crashed", "full" (a verdict met ENOSPC) or "graded"; "+stop":
    def once(self, job):
        # another job is stopped meanwhile; "mine": this job is the one stopped
        outcome = outcomes[len(runs)]
        runs.append(outcome)
        if "+stop" in outcome or outcome == "mine":
            self.diskwatch.stops.append(
                diskwatch.DiskStop(ALICE, "/tmp", Usage(MB, 1), "filled /tmp", time.monotonic())
            )
        message = (
            "OSError: [Errno 28] No space left on device" if outcome.startswith("full") else ""
        )
        status = "graded" if outcome.startswith(("full", "graded")) else "crashed"
        score = 1 if outcome.startswith("graded") else 0
        return NotebookResult(
            "a", status, score, 1, [TestResult("t", score, 1, message, False)]
        ), outcome == "mine"

    monkeypatch.setattr(launcher.Launcher, "_run_once", once)
    run = launcher.Launcher(sandbox.Limits(), use_zygote=False)
    run.diskwatch = diskwatch.DiskWatch([], Usage(MB, 1))
    job = launcher.NotebookJob(
        assignment="a",
        source=None,
        submission=pathlib.Path("x"),
        job_dir=None,
        tests=[],
        timeout=1,
        call_seconds=1,
    )
    for first, again in (
        ("crashed+stop", True),
        ("full+stop", True),
        ("crashed", False),
        ("full", False),
        ("mine", False),
        ("graded+stop", False),
    ):
        runs.clear()
        outcomes = [first, "graded"]
        result = run.run(job)
        assert runs == ([first, "graded"] if again else [first]), first
        assert (
            "graded a second time: another job filled a disk" in " ".join(result.notes)
        ) == again, first
        assert (result.status == "graded" and result.score == 1) == (
            again or first == "graded+stop"
        ), first
