"""Fast checks of `grade --shard K/N` (which students a shard grades) and
of the exit codes a scheduler acts on."""

import errno
import hashlib
import json
import os
import pathlib

import pytest

from autograder import cli, collect, exitcodes, shard
from autograder.paths import UsageError

A = "01_conv_as_matrix"
B = "04_gaussian_generative_models"
IDS = [f"student-{n:03d}" for n in range(60)] + ["-victor", "victor", "Émile", "émile", "x" * 128]


def test_a_student_s_shard_is_a_stable_hash_of_the_exact_id():
    """Is the shard the same whatever the class around the student, different for ids that differ
    only in case or accents, pinned to sha256 (so a new version of the grader sends nobody to
    another shard), and are the shards of a class of 60 each given some students?"""
    for sid in IDS:
        assert shard.shard_of(sid, 3) == shard.shard_of(sid, 3)
        assert shard.shard_of(sid, 1) == 0
    assert (
        shard.shard_of("alice", 3)
        == int.from_bytes(hashlib.sha256(b"alice").digest()[:8], "big") % 3
    )
    # pinned: never changes
    assert [shard.shard_of(s, 7) for s in ("alice", "bob", "carol")] == [1, 1, 6]
    sizes = [sum(shard.shard_of(s, 3) == k for s in IDS[:60]) for k in range(3)]
    assert sum(sizes) == 60 and min(sizes) >= 10, sizes
    assert len({shard.shard_of(s, 1000) for s in ("victor", "-victor", "Victor")}) == 3


@pytest.mark.parametrize(
    "text, env, expected",
    [
        ("0/3", {}, shard.Shard(0, 3)),
        ("2/3", {}, shard.Shard(2, 3)),
        (" 1 / 4 ", {}, shard.Shard(1, 4)),
        ("auto/3", {"SLURM_ARRAY_TASK_ID": "2"}, shard.Shard(2, 3)),
        ("auto/3", {"JOB_COMPLETION_INDEX": "1"}, shard.Shard(1, 3)),
        ("AUTO/5", {"SLURM_ARRAY_TASK_ID": "4", "JOB_COMPLETION_INDEX": "4"}, shard.Shard(4, 5)),
    ],
)
def test_shard_arguments_that_are_right(text, env, expected):
    assert shard.parse(text, env) == expected


@pytest.mark.parametrize(
    "text, env, said",
    [
        ("3/3", {}, "K must be 0 to 2"),
        ("-1/3", {}, "whole number"),
        ("1/0", {}, "N must be 1 to"),
        ("1", {}, "expected K/N"),
        ("a/3", {}, "whole number"),
        ("1/x", {}, "whole number"),
        ("1.0/3", {}, "whole number"),
        ("auto/3", {}, "neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX"),
        ("auto/3", {"SLURM_ARRAY_TASK_ID": "3"}, "SLURM_ARRAY_TASK_ID=3"),
        ("auto/3", {"SLURM_ARRAY_TASK_ID": "1", "JOB_COMPLETION_INDEX": "2"}, "disagree"),
        ("auto/3", {"JOB_COMPLETION_INDEX": "one"}, "JOB_COMPLETION_INDEX must be a whole number"),
        ("٣/5", {}, "whole number"),  # an Arabic-Indic digit is a digit to str.isdigit, not to a TA
    ],
)
def test_bad_shard_arguments_give_one_line(text, env, said):
    with pytest.raises(UsageError) as err:
        shard.parse(text, env)
    assert said in str(err.value) and "\n" not in str(err.value)


def test_a_bad_shard_argument_exits_2_with_one_line(tmp_path, capsys):
    """Does `grade --shard 5/3` stop before anything is made, with exit 2 and one line on stderr?"""
    code = cli.main(
        ["grade", str(tmp_path / "class"), "--out", str(tmp_path / "out"), "--shard", "5/3"]
    )
    err = capsys.readouterr().err
    assert (
        code == exitcodes.USAGE and "K must be 0 to 2" in err and len(err.strip().splitlines()) == 1
    )
    assert not (tmp_path / "out").exists()


def _class(root: pathlib.Path) -> pathlib.Path:
    """A class folder of 40 students with 01 (and 04 for some), a stray
    file and a bad folder name."""
    cls = root / "class"
    for n in range(40):
        sid = f"s{n:02d}"
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_text(json.dumps({"cells": [], "n": n}))
        if n % 3 == 0:
            (cls / sid / f"{B}.ipynb").write_text(json.dumps({"cells": [], "n": n}))
        if n % 5 == 0:
            (cls / sid / "notes.txt").write_text("not a notebook")
            (cls / sid / f"{A} (1).ipynb").write_text(json.dumps({"cells": [], "again": n}))
    (cls / "README.txt").write_text("a stray file")
    (cls / ".hidden").mkdir()
    return cls


def test_each_student_and_each_report_entry_is_in_exactly_one_shard(tmp_path):
    """Do the three shards of a class hold every student and every
    collection-report entry exactly once, the files, times and skipped
    lines of their own students only, and does each mark its folder?"""
    found = collect.collect(_class(tmp_path), tmp_path / "unpacked")
    parts = []
    for k in range(3):
        out = tmp_path / f"out{k}"
        out.mkdir()
        part, roster = shard.select(found, None, shard.Shard(k, 3), out, [A, B])
        assert roster is None and shard.read_mark(out) == shard.Shard(k, 3)
        parts.append(part)
        assert all(shard.shard_of(sid, 3) == k for sid in part.students)
        assert all(shard.shard_of(sid, 3) == k for sid, _ in part.files)
        assert set(part.files) == set(part.submitted_at) == set(part.late)
    assert sorted(s for p in parts for s in p.students) == found.students
    assert sorted(k for p in parts for k in p.files) == sorted(found.files)
    as_rows = sorted(((e.source, e.student_id or "", e.decision) for p in parts for e in p.report))
    assert as_rows == sorted((e.source, e.student_id or "", e.decision) for e in found.report)
    assert sorted(line for p in parts for line in p.skipped) == sorted(found.skipped)
    assert any(e.student_id is None for e in found.report)  # the stray file: in one shard, not lost
    assert shard.select(found, None, None, tmp_path, [A]) == (found, None)


def test_a_shard_of_a_class_with_no_selected_notebook_stops_but_an_empty_shard_does_not(tmp_path):
    """Is a wrong zip (no file of the selected notebooks anywhere in the
    input) a person's mistake in every shard, while a shard that merely has
    no student of its own goes on with nothing to grade?"""
    found = collect.collect(_class(tmp_path), tmp_path / "unpacked")
    with pytest.raises(UsageError, match="no file of 05"):
        shard.select(found, None, shard.Shard(0, 2), tmp_path, ["05_vae"])
    empty = next(
        k for k in range(500) if not any(shard.shard_of(s, 500) == k for s in found.students)
    )
    out = tmp_path / "empty"
    out.mkdir()
    part, _ = shard.select(found, None, shard.Shard(empty, 500), out, [A])
    assert part.students == [] and part.files == {}


def test_a_folder_is_one_shard_s_for_good(tmp_path):
    """Is a folder graded as shard 0/3 refused as 1/3, as 0/4, and is a
    whole class's folder refused as a shard?"""
    out = tmp_path / "out"
    out.mkdir()
    shard.mark(out, shard.Shard(0, 3))
    shard.mark(out, shard.Shard(0, 3))
    for other in (shard.Shard(1, 3), shard.Shard(0, 4)):
        with pytest.raises(UsageError, match="holds shard 0/3"):
            shard.mark(out, other)
    whole = tmp_path / "whole"
    (whole / ".state" / "ada").mkdir(parents=True)
    with pytest.raises(UsageError, match="whole class"):
        shard.mark(whole, shard.Shard(0, 2))


def test_the_roster_part_of_a_shard_holds_its_students_only():
    entries = [collect.RosterEntry(s, (str(n),)) for n, s in enumerate(IDS)]
    roster = collect.Roster(
        entries, {e.student_id: e for e in entries}, {e.lms_ids[0]: e for e in entries}
    )
    parts = [shard.roster_part(roster, shard.Shard(k, 4)) for k in range(4)]
    assert sorted(e.student_id for p in parts for e in p.entries) == sorted(IDS)
    assert all(
        shard.shard_of(e.student_id, 4) == k for k, p in enumerate(parts) for e in p.by_lms.values()
    )
    assert shard.roster_part(None, shard.Shard(0, 2)) is None


# ---------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    "exc, code",
    [
        (OSError(errno.ENOSPC, "No space left on device"), exitcodes.INFRASTRUCTURE),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), exitcodes.INFRASTRUCTURE),
        # fork of the zygote
        (OSError(errno.EAGAIN, "Resource temporarily unavailable"), exitcodes.INFRASTRUCTURE),
        (OSError(errno.ENOMEM, "Cannot allocate memory"), exitcodes.INFRASTRUCTURE),
        (FileNotFoundError(errno.ENOENT, "gone"), None),  # could be a person's: not retried blindly
        (PermissionError(errno.EACCES, "denied"), None),
        (exitcodes.InfrastructureError("the job's cgroup vanished"), exitcodes.INFRASTRUCTURE),
        (ValueError("a bug"), None),
    ],
)
def test_what_counts_as_the_machine_failing(exc, code):
    assert exitcodes.for_exception(exc) == code


def test_a_wrapped_infrastructure_error_counts_too():
    try:
        try:
            raise OSError(errno.EIO, "Input/output error")
        except OSError as inner:
            raise RuntimeError("the state file could not be written") from inner
    except RuntimeError as exc:
        assert exitcodes.for_exception(exc) == exitcodes.INFRASTRUCTURE


def test_a_full_disk_during_a_run_exits_75_with_one_line(tmp_path, monkeypatch, capsys):
    """Does a run that hits a full disk (or cannot fork its zygote) exit 75 with one line a TA and a
    scheduler understand, while a bug still shows its traceback (is not hidden behind a retry)?"""
    from autograder import grade

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out" / ".state"))

    monkeypatch.setattr(grade, "grade", full)
    code = cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--shard", "1/2"])
    err = capsys.readouterr().err
    assert code == exitcodes.INFRASTRUCTURE == 75
    assert "No space left on device" in err and "run the same command again" in err
    assert len(err.strip().splitlines()) == 1

    def bug(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(grade, "grade", bug)
    with pytest.raises(ZeroDivisionError):
        cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out")])


def test_a_nearly_full_disk_is_refused_before_the_run_starts(tmp_path, monkeypatch, capsys):
    """Is a run refused with 75 before it starts when the results folder's file system has almost no
    room, and let through when it has room?"""
    import collections
    import shutil

    from autograder import grade

    usage = collections.namedtuple("usage", "total used free")
    started = []
    monkeypatch.setattr(
        grade,
        "grade",
        lambda *a, **k: (
            started.append(1)
            or {
                "graded_any": True,
                "notebooks": 0,
                "students": 0,
                "regraded": 0,
                "reused": 0,
                "statuses": {},
                "out": "x",
            }
        ),
    )
    monkeypatch.setattr(grade, "summary_lines", lambda summary: ["ok"])
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 10**12 - 10**6, 10**6))
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "new" / "out")]) == 75
    assert "only 1 MB free" in capsys.readouterr().err and not started
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**12, 0, 10**12))
    assert (
        cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "new" / "out")]) == 0 and started
    )


def test_exit_codes_of_a_summary():
    assert exitcodes.for_summary({"graded_any": True}) == 0
    assert exitcodes.for_summary({"graded_any": False}) == 1


# ---------------------------------------------------------------- a lost cgroup


@pytest.fixture
def fake_cgroups(tmp_path, monkeypatch):
    """The cgroup module pointed at a fake, empty /sys/fs/cgroup
    (tests/test_cgroups.py's way); yields it."""
    from autograder import cgroups

    mount, proc = tmp_path / "sys-fs-cgroup", tmp_path / "proc-self-cgroup"
    mount.mkdir()
    proc.write_text("0::/\n")
    monkeypatch.setattr(cgroups, "MOUNT", mount)
    monkeypatch.setattr(cgroups, "PROC_CGROUP", proc)
    monkeypatch.setattr(cgroups, "SYSTEMD", tmp_path / "run-systemd-system")
    monkeypatch.setattr(cgroups, "_RELEASE_REGISTERED", True)
    if os.geteuid() != 0:
        pytest.skip(
            "the grader's cgroups are root's: a fake tree is read as root "
            "reads it (run as root, as CI does)"
        )
    return mount


def _lost(watch) -> str:
    with pytest.raises(exitcodes.CgroupLost) as err:
        watch.check()
    said = str(err.value)
    assert exitcodes.for_exception(err.value) == exitcodes.INFRASTRUCTURE and "\n" not in said
    return said


def test_a_v1_hierarchy_unmounted_mid_run_is_a_lost_cgroup(fake_cgroups):
    """A grader on cgroup v1 whose memory hierarchy is unmounted while it
    grades (its folder left empty): does the run's watch, quiet before,
    stop it with CgroupLost (exit 75) naming the hierarchy?"""
    from tests.test_cgroups import v1_hierarchy

    v1_hierarchy(fake_cgroups)
    watch = exitcodes.CgroupWatch.start()
    assert watch.controllers == {"memory", "pids", "cpu", "freezer"}
    watch.check()
    (fake_cgroups / "memory" / "cgroup.procs").unlink()
    said = _lost(watch)
    assert (
        f"{fake_cgroups / 'memory'} is gone" in said and "nothing graded since was recorded" in said
    )


def test_a_v2_base_removed_or_a_controller_withdrawn_mid_run_is_a_lost_cgroup(fake_cgroups):
    """A grader on cgroup v2 (jobs under the root): is a controller the parent stops offering, and
    the hierarchy gone, each a lost cgroup; and is a watch that started without cgroups (`--unsafe`
    on a machine without them) never one?"""
    from tests.test_cgroups import ALL, cgroup

    cgroup(fake_cgroups, root=True)
    watch = exitcodes.CgroupWatch.start()
    assert watch.folders == (fake_cgroups,) and "memory" in watch.controllers
    watch.check()
    (fake_cgroups / "cgroup.controllers").write_text(ALL.replace("memory", "") + "\n")
    assert "memory no longer offered" in _lost(watch)
    for entry in fake_cgroups.iterdir():  # unmounted: the mount point is an empty folder
        entry.unlink()
    assert f"{fake_cgroups} is gone" in _lost(watch)
    nothing = exitcodes.CgroupWatch.start()
    assert not nothing.controllers
    nothing.check()


def test_a_cgroup_hierarchy_made_read_only_mid_run_is_a_lost_cgroup(fake_cgroups):
    """A v1 hierarchy remounted read-only while grading (a job's cgroup could no longer be made): a
    lost cgroup? (A real read-only bind mount of the fake tree: root may write anywhere else.)"""
    import subprocess

    from tests.test_cgroups import v1_hierarchy

    v1_hierarchy(fake_cgroups)
    watch = exitcodes.CgroupWatch.start()
    memory = fake_cgroups / "memory"
    bound = subprocess.run(
        ["mount", "--bind", str(memory), str(memory)], capture_output=True, text=True
    )
    if bound.returncode != 0:
        pytest.skip(
            "this machine lets root make no bind mount "
            f"({bound.stderr.strip()}): read-only not simulated"
        )
    try:
        subprocess.run(
            ["mount", "-o", "remount,ro,bind", str(memory)], check=True, capture_output=True
        )
        assert f"{memory} became read-only" in _lost(watch)
    finally:
        subprocess.run(["umount", str(memory)], check=True, capture_output=True)
    watch.check()  # writable again: the same watch is quiet
