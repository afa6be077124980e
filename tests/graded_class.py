"""One graded class, shared by the end-to-end tests of the grader
(tests/test_grading.py) and of its isolation (tests/test_sandbox.py): built
once per test run and graded once by `python -m autograder grade`.

Who is in it:
- for every notebook: the untouched release; a student who keeps a helper and an import in cells of
  their own and whose one exercise never returns (the reference answers otherwise: one notebook
  shows both that added cells cost nothing and that a hang costs only its own exercise); every
  forging student of tests/submissions; a student who searches all it can reach for hidden test
  lines while the tests call it. The reference answers themselves are graded by the run's
  pre-flight, which fails the run unless they earn full marks;
- for notebook 01: students who deleted, moved or edited test cells or deleted an exercise; a
  partial, a crashing (in 02), a set of malformed and missing submissions; every attack of
  tests/attacks; honest and plain right or wrong students graded beside the attackers; ids built to
  collide or to start a formula; a kernel that ignores interrupts and a cell that never ends.

The never-returning exercises wait in `time.sleep` (one, a cell, spins the CPU): stopping them is
the same interrupt, and a waiting loop leaves the machine's two cores to the rest of the suite.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import threading
import time

from autograder import cells, sampleclass, sandbox, selftest
from autograder.paths import ASSIGNMENTS, REPO, source_notebook

A = "01_conv_as_matrix"
# more than the cores: the never-returning exercises hold a worker each while they wait, not a core
WORKERS = 6
TIMEOUT_SECONDS = 150  # the class's limit per notebook
# the class's per-call limit: the references' slowest call stays well inside it on a busy machine
CALL_SECONDS = 10
FORGERS = [c for a in ASSIGNMENTS for c in selftest.cases(a) if c.name.startswith("forge")]
ATTACKS = sorted((pathlib.Path(__file__).parent / "attacks").glob("*.py"))
HONEST = ("honest_one", "honest_two")
# a plain right and a plain wrong student of 01 graded beside the attackers (every one of them is
# scored in-process by tests/test_students.py, and every forger of every notebook is in the class)
BESIDE_ATTACKERS = [
    c for c in selftest.cases(A) if not c.expect_failed and not c.name.startswith("forge")
][:1] + [c for c in selftest.cases(A) if c.expect_failed and not c.name.startswith("forge")][:1]
# the exercise of each notebook that the helper-and-hang student's hangs (by default the last): one
# that no other exercise uses, called by as many provided cells as can be (where fewer than
# HANG_CALLS do, as in 01 and 03, the student runs the last of them again in cells of its own)
HANG_EXERCISE = {
    "03_conv_autoencoder": "train_autoencoder",
    "04_gaussian_generative_models": "fit_mixture_em",
    "05_vae": "estimate_log_likelihood",
    "06_checkerboard_artifacts": "checkerboard_score",
}
HANG_CALLS = 3  # cells that call the hanging exercise in each helper-and-hang notebook, at least
# `grade` arguments: a verdict
LIMITS = ("--timeout", str(TIMEOUT_SECONDS), "--call-timeout", str(CALL_SECONDS))
# and a pre-flight are reused only under the same limits
# dee_crash's: the one crashed result, regraded by a rerun of 02 alone
CRASH_NOTEBOOK = "02_transpose_conv"
SECRET = "s3cret-grader-token-1217"  # noqa: S105  (a stand-in secret the attacks must not read)
SHM_KEY = 0xAE1217


def rows_of_tests(out: pathlib.Path, sid: str, assignment: str) -> dict:
    """A results folder's tests.csv rows of one student's notebook, by test id."""
    import csv

    with open(out / "tests.csv", encoding="utf-8", newline="") as f:
        return {
            r["test_id"]: r
            for r in csv.DictReader(f)
            if r["student_id"] == sid and r["notebook"] == assignment
        }


def hang_exercise(assignment: str) -> str:
    """The exercise of the helper-and-hang student that never returns
    (never the one kept in a helper)."""
    return HANG_EXERCISE.get(assignment, list(selftest.solution_sources(assignment))[-1])


def _names(code: str) -> set[str]:
    import ast

    try:
        return {n.id for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return set()


def cells_calling(nb: dict, name: str) -> list[int]:
    """The code cells of `nb` (tests and exercise cells aside) that name `name`."""
    return [
        i
        for i, c in enumerate(nb["cells"])
        if cells.is_code(c)
        and not cells.is_grade(c)
        and not cells.is_solution(c)
        and name in _names(cells.source_text(c))
    ]


def source_tests(assignment: str) -> list[cells.TestCell]:
    """The graded test cells of an assignment's source in the checkout's
    solutions/ (what the class is graded on)."""
    return cells.test_cells(cells.read_notebook(source_notebook(assignment)))


def helper_hang_id(assignment: str) -> str:
    """The student id of `helper_student(assignment)` in the class."""
    return f"helper-hang-{assignment[:2]}"


# every never-ending student
HANGING = ["stubborn-01", "cell-hang-01"] + [helper_hang_id(a) for a in ASSIGNMENTS]


def put(cls: pathlib.Path, sid: str, assignment: str, nb) -> None:
    (cls / sid).mkdir(parents=True, exist_ok=True)
    data = nb if isinstance(nb, bytes) else json.dumps(nb).encode()
    (cls / sid / f"{assignment}.ipynb").write_bytes(data)


def _exercise_index(nb: dict, name: str) -> int:
    return next(i for i, c in enumerate(nb["cells"]) if cells.grade_id(c) == name)


def helper_student(assignment: str) -> dict:
    """The reference, with the first exercise's body in a helper function, and an import, in a cell
    of the student's own, and with `hang_exercise(assignment)` a function that never returns (it
    waits in `time.sleep`), called from at least HANG_CALLS cells (the provided ones, and copies of
    them as the student's own where the notebook has fewer)."""
    hang = hang_exercise(assignment)
    nb = selftest.build_submission(
        assignment,
        {
            hang: (
                f"import time\n\ndef {hang}(*args, **kwargs):\n    while "
                "True:\n        time.sleep(0.05)\n"
            )
        },
    )
    calling = cells_calling(nb, hang)
    assert calling, (assignment, hang)
    # the student runs the last provided one again, in cells of its own
    for n in range(HANG_CALLS - len(calling)):
        last = calling[-1] + n
        copy = {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": nb["cells"][calling[-1]]["source"],
        }
        nb["cells"].insert(last + 1, copy)
    name, code = next(iter(selftest.solution_sources(assignment).items()))
    assert name != hang, (assignment, name)
    i = _exercise_index(nb, name)
    helper = (
        "from math import isfinite as _my_isfinite  # an import the exercise cell relies on\n\n"
        + code.replace(f"def {name}(", f"def _my_{name}(", 1)
    )
    nb["cells"][i]["source"] = (
        f"def {name}(*args, **kwargs):\n    assert _my_isfinite(1.0)\n"
        f"    return _my_{name}(*args, **kwargs)\n"
    )
    nb["cells"].insert(
        i,
        {
            "cell_type": "code",
            "metadata": {},
            "source": helper,
            "outputs": [],
            "execution_count": None,
        },
    )
    return nb


def _edited(edit) -> dict:
    nb = selftest.build_submission(A, blank=True)
    edit(nb)
    return nb


def _neuter_tests(nb):
    for cell in nb["cells"]:
        if cells.is_grade(cell):
            cell["source"] = "pass  # tests removed"
            cell["outputs"] = [
                {"output_type": "stream", "name": "stdout", "text": "All tests passed!\n"}
            ]


def _inflate_metadata(nb):
    for cell in nb["cells"]:
        if cells.is_grade(cell):
            cells.nbgrader_meta(cell).update(points=100, locked=False, checksum="0" * 32)
    nb["metadata"]["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "python"}
    nb["nbformat_minor"] = 1


def _delete_and_duplicate_tests(nb):
    tests = [c for c in nb["cells"] if cells.is_grade(c)]
    for cell in tests[1:]:
        nb["cells"].remove(cell)
    nb["cells"].extend([dict(tests[0]), dict(tests[0])])


def _reorder_and_rename_tests(nb):
    tests = [c for c in nb["cells"] if cells.is_grade(c)]
    for cell in tests:
        nb["cells"].remove(cell)
        cell["metadata"]["nbgrader"]["grade_id"] += "_mine"
        cell["source"] = "print('passed')"
    nb["cells"][1:1] = tests[::-1]


EDITS = [_neuter_tests, _inflate_metadata, _delete_and_duplicate_tests, _reorder_and_rename_tests]


def _attack_notebook(path: pathlib.Path, port: int) -> dict:
    """The reference notebook with the attack run first in the first exercise cell.

    When the attack reports success (`BREACHED`), the exercise's function is
    deleted, so a breach shows as lost points.
    """
    case = selftest.load_case(path)
    name, code = next(iter(selftest.solution_sources(A).items()))
    attack = case.overrides["attack"].replace("ATTACK_PORT", str(port))
    cell = f"{attack}\n{code}\nif globals().get('BREACHED'):\n    del {name}\n"
    return selftest.build_submission(A, {name: cell})


def _hidden_line_hashes(assignment: str) -> set[str]:
    return {hashlib.sha256(line.encode()).hexdigest() for line in selftest.hidden_lines(assignment)}


def searcher(assignment: str) -> dict:
    """A student whose functions, each time a test calls them, search everything they can reach for
    hidden test lines (by hash): the call stack, every object the garbage collector knows, the
    environment and the readable files. The last exercise reports what was found in its error
    message (the only way out during a test)."""
    names = list(selftest.solution_sources(assignment))
    own = (
        "return _aekit_search_report()  # a line of the student's own: "
        "the control the search must find"
    )
    hashes = sorted(
        _hidden_line_hashes(assignment) | {hashlib.sha256(own.strip().encode()).hexdigest()}
    )
    control = hashlib.sha256(own.strip().encode()).hexdigest()
    search = f"""import gc as _gc, hashlib as _hl, os as _os, sys as _sys, types as _types
_WANTED = set({hashes!r})
_CONTROL = {control!r}
_SEEN, _FOUND, _FILES, _SEEN_NAMES, _SEARCHED = set(), set(), [], set(), set()


def _aekit_text(text):
    text = str(text)
    if hash(text) in _SEARCHED:  # a text met again (a later search walks the same objects): its lines are known
        return
    _SEARCHED.add(hash(text))
    for line in text.splitlines():
        line = line.strip()
        if len(line) > 12:
            h = _hl.sha256(line.encode(errors="replace")).hexdigest()
            _SEEN.add(h)
            if h in _WANTED:
                _FOUND.add(h)


def _aekit_value(v, depth=0):
    if isinstance(v, (str, bytes)):
        _aekit_text(v if isinstance(v, str) else v.decode(errors="replace"))
    elif isinstance(v, _types.CodeType) and depth < 3:
        for c in v.co_consts:
            _aekit_value(c, depth + 1)


def _aekit_search(full):
    if not full:  # every call: the stack and what it holds; the first test call and the last exercise's: every object
        _aekit_frames()
        return
    _gc.unfreeze()  # the objects the kernel inherited from the zygote, frozen there, are listed again
    for o in _gc.get_objects():
        try:
            items = o.values() if isinstance(o, dict) else o if isinstance(o, (list, tuple, set)) else ()
            for v in items:
                _aekit_value(v)
            _aekit_value(o)
        except Exception:
            pass
    _aekit_frames()
    for v in _os.environ.values():
        _aekit_text(v)
    if not _FILES:
        _FILES.append(1)
        skip = {{"/proc", "/sys", "/dev", "/usr", "/lib", "/lib64", "/etc", "/bin", "/sbin", _sys.prefix,
                 _sys.base_prefix}}  # the system and the Python installation: packages, not the course's files
        for d, dirs, files in _os.walk("/"):
            dirs[:] = [x for x in dirs if _os.path.join(d, x) not in skip]
            for f in files:
                p = _os.path.join(d, f)
                try:
                    if _os.path.getsize(p) < 4 * 2**20 and not p.endswith((".so", ".pyc", ".keras", ".npz")):
                        _aekit_text(open(p, encoding="utf-8", errors="replace").read())
                except OSError:
                    pass


def _aekit_frames():
    for frame in _sys._current_frames().values():
        while frame is not None:
            _aekit_value(frame.f_code)
            for v in list(frame.f_locals.values()) + list(frame.f_globals.values()):
                try:
                    _aekit_value(v)
                except Exception:
                    pass
            frame = frame.f_back


def _aekit_search_report():
    found = sorted(h[:16] for h in _FOUND - {{_CONTROL}})
    return (f"SEARCH found={{len(found)}} control={{int(_CONTROL in _FOUND)}} lines={{len(_SEEN)}} "
            f"hashes={{','.join(found)}}.")
"""  # noqa: E501  (verbatim text: its lines are what the code feeds on)
    reference = selftest.solution_sources(assignment)
    overrides = {}
    for i, name in enumerate(names):
        code = reference[name].replace(f"def {name}(", f"def _real_{name}(", 1)
        last = i == len(names) - 1
        wrapper = (
            f"\n\ndef {name}(*args, **kwargs):\n    _aekit_search({last} or not _SEEN_NAMES)\n"
            f"    _SEEN_NAMES.add({name!r})\n"
            + (
                f"    raise RuntimeError(_aekit_search_report())\n    {own}\n"
                if last
                else f"    return _real_{name}(*args, **kwargs)\n"
            )
        )
        overrides[name] = (search if i == 0 else "") + "\n\n" + code + wrapper
    return selftest.build_submission(assignment, overrides)


def _huge_notebook() -> bytes:
    cell = json.dumps(
        {
            "cell_type": "code",
            "metadata": {},
            "source": "x = 1",
            "outputs": [],
            "execution_count": None,
        }
    )
    return (
        '{"cells": ['
        + ",".join([cell] * 400_000)
        + '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    ).encode()


def _held_by_a_live_job(uid: int) -> bool:
    """Does a job of another grader still running (a test beside this one) hold `uid`'s lock? Its
    kernels are that grader's, not leftovers of the run checked here, whose locks died with it."""
    from autograder import jobspace

    fd = jobspace.lock_uid(uid)
    jobspace.release_uid(fd)
    return fd is None


def real_leftovers(grader_pid: int) -> dict:
    """What a job could leave behind on the machine: its kernels' processes (the user ids the grader
    with this process id hands out), cgroups, a shared-memory key, files."""
    import psutil

    uids = {
        uid
        for n in range(1, 120)
        if not _held_by_a_live_job(
            uid := sandbox.UID_BASE + (grader_pid * 64 + n) % sandbox.UID_SPAN
        )
    }
    procs = []
    for p in psutil.process_iter(["uids", "cmdline"]):
        try:
            if p.info["uids"] and p.info["uids"].real in uids:
                procs.append(p.pid)
        except psutil.Error:
            pass
    cgroups = [str(c) for c in pathlib.Path("/sys/fs/cgroup").glob(f"*/aekit-{grader_pid}-*")]
    shm = pathlib.Path("/proc/sysvipc/shm")
    keys = [line.split()[0] for line in shm.read_text().splitlines()[1:]] if shm.exists() else []
    files = [
        str(p)
        for d in ("/run/lock", "/var/tmp", "/dev/shm", "/tmp")
        for p in pathlib.Path(d).glob("aekit-attack-*")
    ]
    return {
        "processes": procs,
        "cgroups": cgroups,
        "shm": [k for k in keys if int(k) == SHM_KEY],
        "files": files,
    }


def _put_hanging(cls: pathlib.Path) -> None:
    """Students of 01 whose never-returning exercise ignores the interrupt,
    or whose cell never ends."""
    put(
        cls,
        "stubborn-01",
        A,
        selftest.build_submission(
            A,
            {
                "conv2d_as_matmul": (
                    "import signal, time\n\ndef conv2d_as_matmul(*args, **kwargs):\n"
                    "    signal.signal(signal.SIGINT, "
                    "signal.SIG_IGN)\n    while True:\n        time.sleep(0.05)\n"
                )
            },
        ),
    )
    put(
        cls,
        "cell-hang-01",
        A,
        selftest.build_submission(A, {"conv2d_as_matmul": "while True:\n    pass\n"}),
    )


def make(cls: pathlib.Path, port: int) -> None:
    """Write the class's submissions into `cls` (the attacks connect to `port` on localhost)."""
    for a in ASSIGNMENTS:
        put(cls, f"blank-{a[:2]}", a, selftest.build_submission(a, blank=True))
        put(cls, helper_hang_id(a), a, helper_student(a))
        put(cls, f"searcher-{a[:2]}", a, searcher(a))
    for case in FORGERS:
        put(
            cls,
            f"{case.name}-{case.assignment[:2]}",
            case.assignment,
            selftest.build_submission(case.assignment, case.overrides),
        )
    # tests deleted, moved and edited: they come from the source anyway
    nb = selftest.build_submission(A)
    tests = [c for c in nb["cells"] if cells.is_grade(c)]
    nb["cells"].remove(tests[0])
    tests[1]["source"] = "assert False, 'my own test'"
    nb["cells"].remove(tests[2])
    nb["cells"].insert(0, tests[2])
    put(cls, "tests-deleted-01", A, nb)
    nb = selftest.build_submission(A)
    del nb["cells"][_exercise_index(nb, "conv2d_as_matmul")]
    put(cls, "exercise-deleted-01", A, nb)
    for edit in EDITS:
        put(cls, f"edit{edit.__name__}", A, _edited(edit))
    ref = selftest.solution_sources(A)
    half = {n: "raise NotImplementedError()\n" for n in list(ref)[len(ref) // 2 :]}
    put(cls, "cy_partial", A, selftest.build_submission(A, half))
    crash_ref = selftest.solution_sources(CRASH_NOTEBOOK)
    first = next(iter(crash_ref))
    put(
        cls,
        "dee_crash",
        CRASH_NOTEBOOK,
        selftest.build_submission(CRASH_NOTEBOOK, {first: sampleclass.CRASH + crash_ref[first]}),
    )
    good = json.dumps(selftest.build_submission(A))
    for sid, data in {
        "empty": b"",
        "not_json": b"\x89PNG\r\n\x1a\n not a notebook",
        "truncated": good[: len(good) // 2].encode(),
    }.items():
        put(cls, sid, A, data)
    r_nb = json.loads(good)
    r_nb["metadata"]["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    r_nb["metadata"]["language_info"] = {"name": "R"}
    put(cls, "other_language", A, r_nb)
    (cls / "two_gb").mkdir()
    with open(cls / "two_gb" / f"{A}.ipynb", "wb") as f:  # sparse: costs no disk
        f.truncate(2 * 1024**3)
    (cls / "linked").mkdir()
    (cls / "linked" / f"{A}.ipynb").symlink_to(REPO / "solutions" / A / f"{A}.ipynb")
    (cls / "fay_none").mkdir()
    # beside the attackers
    for sid in HONEST:
        put(cls, sid, A, selftest.build_submission(A))
    for case in BESIDE_ATTACKERS:
        put(cls, f"case_{case.name}", A, selftest.build_submission(A, case.overrides))
    for path in ATTACKS:
        put(cls, path.stem, A, _attack_notebook(path, port))
    (cls / "linker").mkdir()  # a notebook folder that is a link to the instructor's answers
    (cls / "linker" / A).symlink_to(REPO / "solutions" / A)
    for sid, nb in (
        ("victor", selftest.build_submission(A)),
        ("-victor", selftest.build_submission(A, blank=True)),
        ('=HYPERLINK("x.example?"&A2,"regrade")', selftest.build_submission(A, blank=True)),
    ):
        put(cls, sid, A, nb)
    put(cls, "huge", A, _huge_notebook())
    _put_hanging(cls)


@dataclasses.dataclass
class GradedClass:
    """The class's submissions (`cls`), the grader's results folder (`out`)
    and what the run left behind."""

    root: pathlib.Path
    cls: pathlib.Path
    out: pathlib.Path
    proc: subprocess.CompletedProcess
    # connections the attacks made to a server on this machine (must stay empty)
    connections: list
    # what of the run's jobs is still on the machine a second after it (must be nothing)
    leftovers: dict


def grade(root: pathlib.Path) -> GradedClass:
    """Build the class under `root` and grade it (`--call-timeout
    CALL_SECONDS`, `--workers WORKERS`)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.5)
    accepted: list = []
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    cls, out = root / "class", root / "out"
    make(cls, server.getsockname()[1])
    args = [
        sys.executable,
        "-m",
        "autograder",
        "grade",
        str(cls),
        "--out",
        str(out),
        *LIMITS,
        "--workers",
        str(WORKERS),
        # the whole class at once: a notebook a student did not hand in is recorded `missing`
        "--final",
    ]
    grader = subprocess.Popen(
        args,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, AEKIT_TEST_SECRET=SECRET),
    )
    stdout, stderr = grader.communicate(timeout=1500)
    time.sleep(1)
    leftovers = real_leftovers(grader.pid)
    stop.set()
    thread.join()
    server.close()
    return GradedClass(
        root,
        cls,
        out,
        subprocess.CompletedProcess(args, grader.returncode, stdout, stderr),
        accepted,
        leftovers,
    )
