"""Does a hostile submission gain nothing, harm nothing, and leave the rest of the class alone?"""
import csv
import json
import pathlib
import socket
import subprocess
import sys
import threading

import pytest

from autograder import sandbox, selftest
from autograder.paths import REPO

A = "01_conv_as_matrix"
ATTACKS = sorted((pathlib.Path(__file__).parent / "attacks").glob("*.py"))
HONEST = ("honest_one", "honest_two", "honest_three")
CASES = selftest.cases(A)  # correct, wrong and forging students of notebook 01, each with the score it must get
pytestmark = [
    pytest.mark.slow, pytest.mark.xdist_group("sandbox"),
    # without namespaces the attacks would run as the TA's own user: the kill and fork attacks would
    # hit the TA's processes, so they run only where the grader can isolate them (CI runs as root)
    pytest.mark.skipif(not sandbox.capabilities()["namespaces"],
                       reason="needs root and namespaces to contain the attacks safely"),
]


def _attack_notebook(path: pathlib.Path, port: int) -> dict:
    """The reference notebook with the attack run first in the first exercise cell.

    When the attack reports success (`BREACHED`), the exercise's function is
    deleted, so a breach shows as lost points.
    """
    case = selftest.load_case(path)
    name, code = next(iter(selftest._solution_sources(A).items()))
    attack = case.overrides["attack"].replace("ATTACK_PORT", str(port))
    cell = f"{attack}\n{code}\nif globals().get('BREACHED'):\n    del {name}\n"
    return selftest.build_submission(A, {name: cell})


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
    out = root / "out"
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(cls), "--out", str(out),
                           "--notebooks", "01", "--timeout", "30", "--workers", "2"],
                          cwd=REPO, capture_output=True, text=True, timeout=1200)
    stop.set()
    thread.join()
    server.close()
    with open(out / "grades.csv", encoding="utf-8") as f:
        rows = {r["student_id"]: r for r in csv.DictReader(f)}
    return proc, rows, accepted


def test_the_grader_survives_the_whole_class(attacked_class):
    """Does the grader finish with exit 0 and a row for every student?"""
    proc, rows, _ = attacked_class
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert len(rows) == len(HONEST) + len(CASES) + len(ATTACKS)


def test_honest_students_are_graded_as_in_a_clean_run(attacked_class):
    """Are the honest students, graded beside the attackers, given full marks?"""
    _, rows, _ = attacked_class
    for sid in HONEST:
        assert rows[sid]["status"] == "graded" and rows[sid]["score"] == rows[sid]["max_score"], rows[sid]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_the_rest_of_the_class_gets_exactly_its_scores(attacked_class, case):
    """Does every other student, right, wrong or forging, get exactly the score it gets alone?"""
    from autograder.nbgrade import test_cells

    _, rows, _ = attacked_class
    row = rows[f"case_{case.name}"]
    points = {c["test_id"]: c["points"] for c in test_cells(A)}
    want = sum(points.values()) - sum(points[t] for t in case.expect_failed)
    assert row["status"] == "graded" and float(row["score"]) == want, (case.description, row)


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_attack_is_contained(attacked_class, path):
    """Does the attack get the status it must, and gain (or break) nothing?"""
    _, rows, _ = attacked_class
    case = selftest.load_case(path)
    values = {}
    exec(compile(path.read_text().split("# %% attack")[0], str(path), "exec"), values)
    row = rows[path.stem]
    expect = values["EXPECT_STATUS"]
    assert row["status"] in (expect if isinstance(expect, tuple) else (expect,)), (case.description, row)
    if values["EXPECT_FULL"]:
        assert row["score"] == row["max_score"], f"{case.description}: the attack got through ({row})"
    elif values["EXPECT_FULL"] is False:
        assert float(row["score"]) == 0 or row["status"] == "timeout", row
    # EXPECT_FULL None: any score for the attacker; what matters is the rest of the class


def test_nothing_was_planted_or_connected(attacked_class):
    """Did no attack write into the checkout or reach a localhost server?"""
    _, _, accepted = attacked_class
    assert not (REPO / "PWNED").exists()
    if sandbox.capabilities()["namespaces"]:
        assert accepted == [], "a submission connected to a server on the grader's machine"


def _edited(edit) -> dict:
    """An untouched (blank) release whose JSON a student has edited by `edit(nb)`."""
    nb = selftest.build_submission(A, blank=True)
    edit(nb)
    return nb


def _neuter_tests(nb):
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            cell["source"] = "pass  # tests removed"
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "All tests passed!\n"}]
            cell["execution_count"] = 1


def _inflate_metadata(nb):
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
            meta["locked"] = False
            meta["checksum"] = "0" * 32
    nb["metadata"]["kernelspec"] = {"name": "bash", "display_name": "Bash", "language": "python"}
    nb["nbformat_minor"] = 1


def _delete_and_duplicate_tests(nb):
    tests = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    for cell in tests[1:]:
        nb["cells"].remove(cell)
    nb["cells"].extend([dict(tests[0]), dict(tests[0])])


def _reorder_and_rename_tests(nb):
    tests = [c for c in nb["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
    for cell in tests:
        nb["cells"].remove(cell)
        cell["metadata"]["nbgrader"]["grade_id"] += "_mine"
        cell["source"] = "print('passed')"
    nb["cells"][1:1] = tests[::-1]


@pytest.mark.parametrize("edit", [_neuter_tests, _inflate_metadata, _delete_and_duplicate_tests,
                                  _reorder_and_rename_tests],
                         ids=lambda f: f.__name__.strip("_"))
def test_editing_tests_or_metadata_gains_nothing(edit, grade_nb):
    """Does a blank notebook whose tests, points or kernelspec were edited still earn nothing out of the true maximum?"""
    from autograder.nbgrade import max_score

    result = grade_nb(_edited(edit), A)
    if edit in (_delete_and_duplicate_tests, _reorder_and_rename_tests):
        assert result.status == "invalid" and "deleted" in result.detail, result.detail
    else:
        assert result.status == "graded", result.detail
    assert result.score == 0 and result.max_score == max_score(A)
