"""Does a hostile submission gain nothing, harm nothing, and leave the rest of the class alone?"""

import csv
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import sysconfig
import types

import pytest

from autograder import csvsafe, sandbox, selftest
from autograder.course import CHECKOUT
from autograder.paths import ASSIGNMENTS, REPO
from tests.graded_class import (
    ATTACKS,
    BESIDE_ATTACKERS,
    CALL_SECONDS,
    HANGING,
    HONEST,
    SECRET,
    A,
    hang_exercise,
    helper_hang_id,
    rows_of_tests,
    source_tests,
)

SANDBOXED = pytest.mark.skipif(
    not sandbox.capabilities()["namespaces"] or not sandbox.capabilities()["cgroups"],
    reason="needs root and namespaces to contain the attacks safely",
)
pytestmark = [pytest.mark.slow, SANDBOXED]
# the tests that read the shared graded class run on its worker
CLASS = pytest.mark.xdist_group("class")


@pytest.fixture
def attacked_class(graded_class):
    """What the tests below read of the shared graded class
    (tests/graded_class.py): its run, its rows (all, and notebook 01's by student),
    its tests.csv rows, its results folder, connections and leftovers."""
    out = graded_class.out
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {(csvsafe.unsafe_cell(r["student_id"]), r["notebook"]): r for r in csv.DictReader(f)}
    with open(out / "tests.csv", encoding="utf-8") as f:
        tests = list(csv.DictReader(f))
    return types.SimpleNamespace(
        proc=graded_class.proc,
        rows01={sid: r for (sid, a), r in rows.items() if a == A},
        connections=graded_class.connections,
        out=out,
        leftovers=graded_class.leftovers,
        rows=rows,
        tests=tests,
    )


@CLASS
def test_the_grader_survives_the_whole_class(attacked_class, graded_class):
    """Does the grader finish with exit 0 and a row for every student and notebook?"""
    proc, all_rows = attacked_class.proc, attacked_class.rows
    assert proc.returncode == 0, proc.stderr[-2000:]
    students = {p.name for p in graded_class.cls.iterdir()}
    assert students >= set(HONEST) | {p.stem for p in ATTACKS} | set(HANGING)
    assert set(all_rows) == {(s, a) for s in students for a in ASSIGNMENTS}


@CLASS
def test_honest_students_are_graded_as_in_a_clean_run(attacked_class):
    """Are the honest students, graded beside the attackers, given full marks?"""
    rows = attacked_class.rows01
    for sid in HONEST:
        assert rows[sid]["status"] == "graded" and float(rows[sid]["score"]) == CHECKOUT.max_score(
            A
        ), rows[sid]


@CLASS
@pytest.mark.parametrize("case", BESIDE_ATTACKERS, ids=lambda c: c.name)
def test_the_rest_of_the_class_gets_exactly_its_scores(attacked_class, case):
    """Do plain right and wrong students graded beside the attackers get exactly their scores (the
    forgers are checked in tests/test_grading.py, on the same class)?"""

    rows = attacked_class.rows01
    row = rows[f"case_{case.name}"]
    points = {c.test_id: c.points for c in source_tests(A)}
    want = sum(points.values()) - sum(points[t] for t in case.expect_failed)
    assert row["status"] == "graded" and float(row["score"]) == want, (case.description, row)


@CLASS
@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_attack_is_contained(attacked_class, path):
    """Does the attack get the status it must, and gain (or break) nothing?"""
    rows = attacked_class.rows01
    case = selftest.load_case(path)
    values = {}
    exec(compile(path.read_text().split("# %% attack")[0], str(path), "exec"), values)  # noqa: S102  (its header: EXPECT_*)
    row = rows[path.stem]
    expect = values["EXPECT_STATUS"]
    assert row["status"] in (expect if isinstance(expect, tuple) else (expect,)), (
        case.description,
        row,
    )
    if values["EXPECT_FULL"]:
        assert float(row["score"]) == CHECKOUT.max_score(A), (
            f"{case.description}: the attack got through ({row})"
        )
    elif values["EXPECT_FULL"] is False:
        assert float(row["score"]) == 0 or row["status"] == "timeout", row
    # EXPECT_FULL None: any score for the attacker; what matters is the rest of the class


@CLASS
def test_nothing_was_planted_or_connected(attacked_class):
    """Did no attack write into the checkout or reach a localhost server?"""
    accepted = attacked_class.connections
    assert not (REPO / "PWNED").exists()
    assert accepted == [], "a submission connected to a server on the grader's machine"


def _public(line: str) -> bool:
    """Does this line also stand in code every student has: the course's shipped package or the
    Python installation (a generic line such as `for j in range(k):` is no secret)?"""
    roots = [
        REPO / "aekit",
        REPO / "autograder",
        REPO / "data",
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
    ]
    return (
        subprocess.run(["grep", "-rqF", "--include=*.py", "--", line, *map(str, roots)]).returncode
        == 0
    )


@CLASS
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_line_reaches_the_students_process(attacked_class, assignment):
    """Searching its stack, every object, the environment and every readable file
    during every test call, does a student find no line of any hidden test (while
    finding a line of its own, so the search works)? Lines that also stand in shipped
    code (`rng = np.random.default_rng(seed)`) are found there, and are no leak."""
    tests = attacked_class.tests
    name = list(selftest.solution_sources(assignment))[-1]
    reports = [
        t["message"]
        for t in tests
        if t["student_id"] == f"searcher-{assignment[:2]}"
        and t["test_id"].startswith(f"test_{name}")
        and "SEARCH" in t["message"]
    ]
    assert reports, [t["message"] for t in tests if t["student_id"] == f"searcher-{assignment[:2]}"]
    by_hash = {
        hashlib.sha256(line.encode()).hexdigest()[:16]: line
        for line in selftest.hidden_lines(assignment)
    }
    for report in reports:
        assert "control=1" in report, report
        found = re.search(r"hashes=([0-9a-f,]*)\.", report).group(1)
        leaked = [by_hash[h] for h in found.split(",") if h and not _public(by_hash[h])]
        assert leaked == [], f"hidden test lines reached the student's process: {leaked}"


@CLASS
def test_a_linked_notebook_folder_is_rejected_not_followed(attacked_class):
    """Does a notebook folder that links to the instructor's answers earn
    nothing and get reported?"""
    rows = attacked_class.rows01
    assert rows["linker"]["status"] == "missing" and float(rows["linker"]["score"]) == 0
    assert "linker" in (attacked_class.out / "collection_report.csv").read_text()


@CLASS
def test_student_ids_are_kept_exactly_and_never_merge(attacked_class):
    """Are `victor` and `-victor` two students, the honest one with full marks?"""
    rows = attacked_class.rows01
    assert (
        float(rows["victor"]["score"]) == CHECKOUT.max_score(A)
        and float(rows["-victor"]["score"]) == 0
    )


@CLASS
def test_no_csv_cell_can_start_a_formula(attacked_class):
    """Is every CSV cell that would start a formula neutralised, the attacker's id among them?"""
    out = attacked_class.out
    seen = 0
    for name in ("grades.csv", "tests.csv", "collection_report.csv"):
        with open(out / name, encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
                    seen += cell.startswith("'=HYPERLINK")
    assert seen >= 2


@CLASS
def test_a_huge_notebook_is_refused_before_it_is_parsed(attacked_class):
    """Is a 400,000-cell notebook refused by its cell count, without parsing it in the grader?"""
    row = attacked_class.rows01["huge"]
    assert row["status"] == "invalid" and "cells" in row["detail"], row


@CLASS
def test_no_grader_secret_is_in_a_kernels_memory(attacked_class):
    """Does a kernel that scans its environment, /proc and its own memory
    find no secret of the grader's?"""
    out = attacked_class.out
    notebook = (out / "autograded" / "grader_secrets" / A / f"{A}.ipynb").read_text()
    assert "scanned" in notebook and SECRET not in notebook


@CLASS
def test_nothing_of_a_job_outlives_it(attacked_class):
    """After the run, is no kernel process, cgroup, shared-memory segment
    or left-behind file still there?"""
    after = attacked_class.leftovers
    assert (
        after["processes"] == []
        and after["shm"] == []
        and after["files"] == []
        and after["cgroups"] == []
    )


@CLASS
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_exercise_that_never_returns_costs_only_itself(attacked_class, assignment):
    """Does a function that never returns lose its own tests, with a
    message naming it and the limit, and nothing else?"""
    out, rows = attacked_class.out, attacked_class.rows
    name = hang_exercise(assignment)
    tests = rows_of_tests(out, helper_hang_id(assignment), assignment)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert failed == {t for t in tests if t.startswith(f"test_{name}")}, failed
    assert all(
        f"{CALL_SECONDS:g} s" in tests[t]["message"] and name in tests[t]["message"] for t in failed
    )
    assert rows[(helper_hang_id(assignment), assignment)]["status"] == "graded"


@CLASS
def test_a_hang_that_ignores_interrupts_is_restarted_and_the_rest_graded(attacked_class):
    """Is a kernel that ignores the interrupt restarted, its cells
    replayed, and the other exercises graded?"""
    tests = rows_of_tests(attacked_class.out, "stubborn-01", A)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert failed == {"test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"}, failed


@CLASS
def test_a_cell_that_never_ends_is_stopped_and_the_rest_graded(attacked_class):
    """Is a student's cell that loops forever stopped at the limit, and the
    exercise it did not define the only loss?"""
    row = attacked_class.rows01["cell-hang-01"]
    tests = rows_of_tests(attacked_class.out, "cell-hang-01", A)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert row["status"] == "graded" and failed == {
        "test_conv2d_as_matmul",
        "test_conv2d_as_matmul_hidden",
    }, row
    assert "stopped" in row["detail"]


@CLASS
def test_a_link_in_a_kernels_home_changes_no_file_of_the_grader(attacked_class):
    """Issue 26, hole 1: the attacker linked its connection file and caches to the grader's own code
    and forced a restart. Is that code unchanged and root's, is its only loss the call it hung, and
    did its kernel after the restart find a new home (else its exercise is deleted: more lost)?"""
    import autograder

    code = pathlib.Path(autograder.__file__)
    assert code.stat().st_uid == 0 and "signature_scheme" not in code.read_text()
    failed = {
        t: r
        for t, r in rows_of_tests(attacked_class.out, "kernel_home_link", A).items()
        if float(r["score"]) < float(r["max_score"])
    }
    assert len(failed) == 1 and "did not return" in next(iter(failed.values()))["message"], failed


@CLASS
def test_a_job_fills_only_its_own_bounded_places(attacked_class):
    """Issue 26, hole 4: did the attacker that fills every place it can
    write find each one bounded in bytes (at most the job's tmp size) and
    in files (at most its inode count), its socket folder included?"""
    limits = sandbox.Limits()
    nb = json.loads(
        (attacked_class.out / "autograded" / "fill_job_space" / A / f"{A}.ipynb").read_text()
    )
    printed = "".join(str(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    places = re.findall(r"^(\S+) (\d+) MB (\d+) files$", printed, re.M)
    assert len(places) == 5, printed
    for place, mb, files in places:
        assert 0 < int(mb) <= limits.tmp_bytes >> 20 and 0 < int(files) <= limits.tmp_inodes, (
            place,
            mb,
            files,
        )


@pytest.mark.long  # make test-long: beyond the main run's 6 minutes
def test_a_job_that_fills_the_disk_fails_alone(tmp_path):
    """Issue 26, hole 4, scaled down: with the socket base, the class and the results on one small
    file system (400 MB, 30,000 inodes), a student fills every place it can write while two honest
    students are graded beside it. Does the run end with exit 0 and its tables, the honest students
    with full marks, the attacker with its own (each of its places is a bounded tmpfs of its own),
    and nothing left in the socket base?"""
    disk = tmp_path / "disk"
    disk.mkdir()
    if (
        subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=400m,nr_inodes=30000,mode=0755",
                "tmpfs",
                str(disk),
            ]
        ).returncode
        != 0
    ):
        pytest.skip("needs to mount a small file system (root with CAP_SYS_ADMIN)")
    try:
        cls, out = disk / "class", disk / "out"
        for sid in ("honest_one", "honest_two"):
            _put(cls, sid, selftest.build_submission(CHEAP))
        _put(cls, "fill_job_space", _attacker("fill_job_space"))
        env = dict(os.environ, AEKIT_SOCKET_BASE=str(disk / "aekit"))
        graded = subprocess.run(
            [
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(cls),
                "--out",
                str(out),
                "--notebooks",
                CHEAP[:2],
                "--workers",
                "3",
            ],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert graded.returncode == 0, graded.stderr[-3000:]
        with open(out / "grades.csv", encoding="utf-8") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert (out / "tests.csv").is_file()
        for sid in ("honest_one", "honest_two", "fill_job_space"):
            assert rows[sid]["status"] == "graded" and float(
                rows[sid]["score"]
            ) == CHECKOUT.max_score(CHEAP), rows[sid]
        assert [p.name for p in (disk / "aekit").iterdir() if p.name.startswith("aekit-")] == []
    finally:
        subprocess.run(["umount", "-l", str(disk)])


# ---- uid-only isolation: root without namespaces (a container that
# forbids them) -----------------------


def _copy_checkout(dest: pathlib.Path) -> pathlib.Path:
    """The checkout's tracked files copied to `dest` (whose modes a test
    may change; never the real checkout's)."""
    files = subprocess.run(
        ["git", "-C", str(REPO), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in files.splitlines():
        if not (REPO / name).is_file():  # deleted in the working tree
            continue
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


# the uid-only and full-disk classes: the cheapest notebook to grade
CHEAP = "04_gaussian_generative_models"
UID_ONLY_ATTACKS = (
    "kernel_home_link",
    "deep_folders",
    "fill_job_space",
    "classmates_answers",
    "escaped_survivor",
)


def _attacker(name: str, assignment: str = CHEAP) -> dict:
    """The reference notebook of `assignment` with the attack tests/attacks/`name`.py run first in
    its first exercise cell (as tests/graded_class.py builds notebook 01's attackers: a breach
    deletes the exercise's function)."""
    case = selftest.load_case(pathlib.Path(__file__).parent / "attacks" / f"{name}.py")
    exercise, code = next(iter(selftest.solution_sources(assignment).items()))
    return selftest.build_submission(
        assignment,
        {
            exercise: f"{case.overrides['attack']}\n{code}\n"
            f"if globals().get('BREACHED'):\n    del {exercise}\n"
        },
    )


def _put(cls: pathlib.Path, sid: str, nb: dict, assignment: str = CHEAP) -> None:
    (cls / sid).mkdir(parents=True, exist_ok=True)
    (cls / sid / f"{assignment}.ipynb").write_text(json.dumps(nb))


def _outputs(out: pathlib.Path, sid: str, assignment: str = CHEAP) -> str:
    """Every text a student's cells printed, from its autograded notebook."""
    nb = json.loads((out / "autograded" / sid / assignment / f"{assignment}.ipynb").read_text())
    return "".join(str(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))


def _lost_only_the_hung_call(out: pathlib.Path, sid: str) -> None:
    """The kernel_home_link attacker: the one test whose call it hung
    (ignoring the interrupt) is its only loss."""
    failed = {
        t: r
        for t, r in rows_of_tests(out, sid, CHEAP).items()
        if float(r["score"]) < float(r["max_score"])
    }
    assert len(failed) == 1 and "did not return" in next(iter(failed.values()))["message"], failed


SHARED_PLACES = {"tmp": "/tmp", "var-tmp": "/var/tmp", "shm": "/dev/shm", "lock": "/run/lock"}


def _uid_only_script(
    keep: pathlib.Path,
    leftovers: pathlib.Path,
    pid_file: pathlib.Path,
    disk: pathlib.Path | None = None,
    cgroups: bool = False,
) -> str:
    """Shell lines that make, in a private mount namespace, a container-like machine for uid-only
    grading: this Python reachable by any user, cgroup file systems read-only (unless `cgroups`),
    and /tmp, /var/tmp and /dev/shm small tmpfs (the attacks that fill them then fill no real disk;
    `keep`, under /tmp, stays the real folder, with what is mounted in it). With `disk` (a small
    file system mounted in `keep`), /tmp, /var/tmp, /dev/shm and /run/lock are instead folders of
    that one disk. After the command, what is left in those folders is listed into `leftovers`; the
    command's process id is written to `pid_file`."""
    from tests.conftest import _reachable_lines

    paths = [sys.base_prefix, sys.prefix, sysconfig.get_paths()["purelib"]]
    # what must stay the real folder under the small /tmp: `keep`, and this Python when it lives
    # under /tmp (a checkout cloned there, as CI may)
    under_tmp = {
        "/tmp/" + os.path.realpath(q).split("/")[2]
        for q in paths
        if os.path.realpath(q).startswith("/tmp/")
    }
    kept = [str(keep)] + sorted(under_tmp - {str(keep)})
    hold = [f'mkdir "$held/k{n}" && mount --rbind "{q}" "$held/k{n}"' for n, q in enumerate(kept)]
    back = [f'mkdir -p "{q}" && mount --move "$held/k{n}" "{q}"' for n, q in enumerate(kept)]
    if disk is None:
        places = [
            "mount -t tmpfs -o size=96m,nr_inodes=5000,mode=1777 tmpfs /tmp",
            *back,
            'rm -r "$held"',
            "mount -t tmpfs -o size=32m,nr_inodes=2000,mode=1777 tmpfs /var/tmp",
            "mount -t tmpfs -o size=96m,nr_inodes=5000,mode=1777 tmpfs /dev/shm",
        ]
    else:  # the held `keep` reaches the disk while /tmp is covered by the disk's own tmp/
        held_disk = f'"$held/k0/{disk.relative_to(keep)}"'
        places = [
            *(
                f"mkdir -p {held_disk}/{name} && chmod 1777 {held_disk}/{name}"
                for name in SHARED_PLACES
            ),
            f"mount --bind {held_disk}/tmp /tmp",
            *back,
            *(
                f'mount --bind "{disk}/{name}" "{target}"'
                for name, target in SHARED_PLACES.items()
                if target != "/tmp" and os.path.isdir(target)
            ),
            'rm -r "$held"',
        ]
    return "\n".join(
        [
            "set -euo pipefail",
            *_reachable_lines(paths),
            *(
                []
                if cgroups
                else [
                    "for c in /sys/fs/cgroup/*/; do mount -o "
                    'remount,ro,bind "$c" 2>/dev/null || true; done'
                ]
            ),
            "held=$(mktemp -d /run/aekit-held-XXXX)",
            *hold,
            *places,
            f'set +e; "$@" & echo $! > "{pid_file}"; wait $!; code=$?',
            "find /tmp /var/tmp /dev/shm -xdev -mindepth 1 -maxdepth 3 "
            + " ".join(f'-not -path "{q}" -not -path "{q}/*"' for q in kept)
            + f' > "{leftovers}"',
            "exit $code",
        ]
    )


def _stopped_for_its_disk(row: dict) -> None:
    """The fill_job_space attacker graded without namespaces: stopped by
    the disk watch, `crashed`, the reason said."""
    assert row["status"] == "crashed", row
    assert "filled the file system of" in row["detail"] or "wrote more than" in row["detail"], row


def test_without_namespaces_grading_waits_until_solutions_are_private(
    run_without_namespaces, open_folder, snooper
):
    """With namespaces off, does `grade` refuse in one line (exit 2) while solutions/ is readable by
    others, then while the class's submissions are, and once neither is (chmod -R go-rwx), grade a
    class as a container without namespaces or writable cgroups would (issue 26): a student who
    reads all it can under the course folder finds nothing of solutions/ and runs under a user id of
    its own; the attackers of holes 1, 3, 4 and 5 (a link in its kernel's home and a forced restart,
    1,500 nested folders, filling every place it can write, reading the folders the grader's command
    line names, a setsid and double-forked survivor) gain nothing (the one that fills the shared
    disks is stopped, `crashed`, saying why); the honest student loses no point; no process of a
    job's user id, and no file it made in /tmp, /var/tmp or /dev/shm, is left?"""
    repo = _copy_checkout(open_folder / "course")
    cls = open_folder / "class"
    (cls / "snooper").mkdir(parents=True)
    (cls / "snooper" / f"{A}.ipynb").write_text(json.dumps(snooper(repo)))
    _put(cls, "honest", selftest.build_submission(CHEAP))
    for name in UID_ONLY_ATTACKS:
        _put(cls, name, _attacker(name))
    env = dict(os.environ, AEKIT_REPO=str(repo), PYTHONPATH=str(repo))
    out = open_folder / "out"
    grade = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(cls),
        "--out",
        str(out),
        "--notebooks",
        f"{A[:2]},{CHEAP[:2]}",
        "--workers",
        "1",
        "--call-timeout",
        str(CALL_SECONDS),
    ]
    refused = run_without_namespaces(grade, env, repo)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "chmod -R go-rwx" in refused.stderr and not out.exists()
    subprocess.run(["chmod", "-R", "go-rwx", str(repo / "solutions")], check=True)
    # the classmates' answers are readable by every kernel
    refused = run_without_namespaces(grade, env, repo)
    assert refused.returncode == 2 and f"chmod -R go-rwx {cls}" in refused.stderr, refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1 and not out.exists()
    subprocess.run(["chmod", "-R", "go-rwx", str(cls)], check=True)
    guarded = (repo / "autograder" / "__init__.py").read_bytes()
    leftovers = open_folder / "leftovers.txt"
    script = _uid_only_script(open_folder, leftovers, open_folder / "grader.pid")
    # --unsafe: only for the read-only cgroups (the grader refuses without
    # them, rightly); the rest is as above
    graded = subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "bash",
            "-c",
            script,
            "run",
            *grade,
            "--unsafe",
        ],
        env=dict(env, AEKIT_SANDBOX_NAMESPACES="off"),
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "REDUCED isolation (no namespaces)" in graded.stderr
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {(r["student_id"], r["notebook"]): r for r in csv.DictReader(f)}
    row = rows[("snooper", A)]
    assert row["status"] == "graded" and float(row["score"]) == CHECKOUT.max_score(A), row
    _stopped_for_its_disk(rows[("fill_job_space", CHEAP)])
    for sid in ("honest", *(a for a in UID_ONLY_ATTACKS if a != "fill_job_space")):
        row = rows[(sid, CHEAP)]
        assert row["status"] == "graded", (sid, row)
        if sid != "kernel_home_link":
            assert float(row["score"]) == CHECKOUT.max_score(CHEAP), (
                f"{sid}: the attack got through ({row})"
            )
    _lost_only_the_hung_call(out, "kernel_home_link")
    assert (repo / "autograder" / "__init__.py").read_bytes() == guarded
    assert (repo / "autograder" / "__init__.py").stat().st_uid == 0
    # the control: it did find the class folder
    assert str(cls) in _outputs(out, "classmates_answers")
    from tests.graded_class import real_leftovers

    # the survivor was not in any cgroup (read-only): it was found by its job's user id
    assert real_leftovers(int((open_folder / "grader.pid").read_text()))["processes"] == []
    left = [
        p
        for p in leftovers.read_text().split()
        if p != "/dev/shm/aekit" and not p.startswith("/dev/shm/aekit/home-")
    ]
    assert left == [], left  # the socket base and the grader's own home are all that stays


@pytest.mark.long  # make test-long: beyond the main run's 6 minutes
def test_without_namespaces_a_job_that_fills_the_shared_disk_fails_alone(
    run_without_namespaces, open_folder
):
    """Issue 26, hole 4, uid-only and scaled down: no namespaces and no mount (as a Gradescope-like
    container), with /tmp, /var/tmp, /dev/shm, /run/lock, the socket base (/dev/shm/aekit), the
    class and the results all on one small file system (400 MB, 30,000 files), a student fills every
    place it can write while two honest students are graded beside it (three workers). Does the run
    end with exit 0 and its tables, the honest students with full marks, the attacker `crashed` with
    the reason (the disk watch stopped it), and nothing of its left?"""
    repo = _copy_checkout(open_folder / "course")
    subprocess.run(["chmod", "-R", "go-rwx", str(repo / "solutions")], check=True)
    disk = open_folder / "disk"
    disk.mkdir()
    if (
        subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=400m,nr_inodes=30000,mode=0755",
                "tmpfs",
                str(disk),
            ]
        ).returncode
        != 0
    ):
        pytest.skip("needs to mount a small file system (root with CAP_SYS_ADMIN)")
    try:
        cls, out = disk / "class", disk / "out"
        for sid in ("honest_one", "honest_two"):
            _put(cls, sid, selftest.build_submission(CHEAP))
        _put(cls, "fill_job_space", _attacker("fill_job_space"))
        subprocess.run(["chmod", "-R", "go-rwx", str(cls)], check=True)
        leftovers = open_folder / "leftovers.txt"
        script = _uid_only_script(
            open_folder, leftovers, open_folder / "grader.pid", disk=disk, cgroups=True
        )
        env = dict(
            os.environ, AEKIT_REPO=str(repo), PYTHONPATH=str(repo), AEKIT_SANDBOX_NAMESPACES="off"
        )
        env.pop("AEKIT_SOCKET_BASE", None)
        graded = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "bash",
                "-c",
                script,
                "run",
                sys.executable,
                "-m",
                "autograder",
                "grade",
                str(cls),
                "--out",
                str(out),
                "--notebooks",
                CHEAP[:2],
                "--workers",
                "3",
            ],
            env=env,
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=1500,
        )
        assert graded.returncode == 0, graded.stderr[-3000:]
        assert (
            "job folders on a shared disk (this machine cannot mount), watched" in graded.stderr
        ), graded.stderr
        with open(out / "grades.csv", encoding="utf-8") as f:
            rows = {r["student_id"]: r for r in csv.DictReader(f)}
        assert (out / "tests.csv").is_file()
        for sid in ("honest_one", "honest_two"):
            assert rows[sid]["status"] == "graded" and float(
                rows[sid]["score"]
            ) == CHECKOUT.max_score(CHEAP), rows[sid]
        _stopped_for_its_disk(rows["fill_job_space"])
        left = [
            p
            for p in leftovers.read_text().split()
            if p != "/dev/shm/aekit" and not p.startswith("/dev/shm/aekit/home-")
        ]
        assert left == [], left  # the socket base and the grader's own home are all that stays
        # the grader's reserve is given back at the end
        assert not list((out / ".work").glob("*/reserve"))
    finally:
        subprocess.run(["umount", "-l", str(disk)])
