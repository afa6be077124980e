"""Fast checks of `python -m autograder merge`: shards' results folders (made here from fake
records, no kernel) brought into one results folder, its gradebook and its tables."""

from __future__ import annotations

import csv
import dataclasses
import fcntl
import hashlib
import json
import os
import pathlib
import shutil

import pytest

from autograder import cli, course, gradebook, merge, paths, resultsdir, shard
from autograder.collect import REPORT_COLUMNS
from autograder.csvsafe import write_csv
from autograder.paths import UsageError
from autograder.results import NotebookResult
from autograder.results import TestResult as Verdict
from tests.graded_class import source_tests

A = "01_conv_as_matrix"
STUDENTS = [f"st{n:02d}" for n in range(12)]
N = 3


def fake_record(
    sid: str,
    a: str = A,
    *,
    lost: int = 0,
    file: str = "v1",
    status: str = "graded",
    seen: str = "2026-12-01T10:00:00+00:00",
) -> dict:
    """A record as grade.py writes it: each test cell of `a` earns full
    marks but the first `lost` ones."""
    tests = [
        Verdict(
            t.test_id,
            0.0 if i < lost else t.points,
            t.points,
            "wrong" if i < lost else "",
            t.hidden,
        )
        for i, t in enumerate(source_tests(a))
    ]
    result = NotebookResult(
        a,
        status,
        sum(t.score for t in tests),
        sum(t.max_score for t in tests),
        tests,
        "" if status == "graded" else "the kernel died",
        1.5,
    )
    digest = hashlib.sha256(f"{sid}/{a}/{file}".encode()).hexdigest()
    return {
        "key": f"key-{digest[:16]}",
        "student_id": sid,
        "late": False,
        "submitted_at": seen,
        "file_sha256": digest,
        "lms_id": "",
        "time": {
            "at": seen,
            "source": "first seen by the grader",
            "zone": "UTC",
            "late_marker": None,
        },
        "result": result.to_json(),
    }


def put_record(folder: pathlib.Path, rec: dict) -> None:
    a = rec["result"]["assignment"]
    path = folder / ".state" / rec["student_id"] / f"{a}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=1), encoding="utf-8")
    nb = folder / "autograded" / rec["student_id"] / a / f"{a}.ipynb"
    nb.parent.mkdir(parents=True, exist_ok=True)
    nb.write_bytes(paths.release_notebook(a).read_bytes())


def fake_shard(
    root: pathlib.Path,
    k: int,
    n: int = N,
    students=STUDENTS,
    run: str = "20261201T100000Z-1",
    **kwargs,
) -> pathlib.Path:
    """Shard k/n's results folder as `grade --shard k/n` leaves it: marked, sources, records,
    autograded notebooks, first-seen times and its run's collection report."""
    folder = root / f"shard-{k}"
    folder.mkdir(parents=True)
    shard.mark(folder, shard.Shard(k, n))
    shutil.copytree(paths.source_notebook(A).parent, folder / "source" / A)
    mine = [s for s in students if shard.shard_of(s, n) == k]
    seen = {}
    for i, sid in enumerate(mine):
        put_record(folder, fake_record(sid, lost=i % 3, **kwargs))
        seen[f"{sid}/{A}/x"] = f"2026-12-0{1 + k}T10:00:00+00:00"
    (folder / ".state" / "first_seen.json").write_text(json.dumps(seen))
    rows = [
        (f"{sid}/{A}.ipynb", sid, A, "used", "the only file for this notebook", "no", "")
        for sid in mine
    ]
    rows.append((f"stray-{k}.txt", "", "", "unmatched", "not a notebook", "", ""))
    write_csv(folder / resultsdir.RUN_REPORTS / f"{run}.csv", REPORT_COLUMNS, rows)
    return folder


@pytest.fixture
def shards(tmp_path):
    return [fake_shard(tmp_path / "shards", k) for k in range(N)]


@pytest.fixture(scope="module")
def merged_once(tmp_path_factory):
    """Three shards merged into a new results folder once (registering a course in a new gradebook
    takes seconds): the shards, the folder and what the merge said."""
    root = tmp_path_factory.mktemp("merged")
    folders = [fake_shard(root / "shards", k) for k in range(N)]
    done = merge.merge(folders, root / "results")
    return root, done


@pytest.fixture
def merged(tmp_path, merged_once):
    """A copy of `merged_once` of this test's own: (its shards, its results folder)."""
    root, _ = merged_once
    shutil.copytree(root, tmp_path / "copy", symlinks=True)
    into = tmp_path / "copy" / "results"
    config = into / "nbgrader_config.py"
    config.write_text(config.read_text().replace(str(root), str(tmp_path / "copy")))
    return sorted((tmp_path / "copy" / "shards").iterdir()), into


def table(path: pathlib.Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def scores(db: str) -> dict:
    with gradebook.opened(db) as gb:
        return {
            key: sorted(dataclasses.astuple(c) for c in cells)
            for key, (cells, _) in gradebook.every_grade(gb).items()
        }


def test_shards_merge_into_one_results_folder_that_formgrader_reads(merged_once):
    """Does the merge bring every shard's notebooks into one folder: its records, gradebook rows
    (read back through nbgrader's API), autograded notebooks, tables, feedback pages, first-seen
    times and every collection report row, each notebook once?"""
    root, done = merged_once
    into = root / "results"
    assert (done.added, done.replaced, done.unchanged, done.students) == (
        len(STUDENTS),
        0,
        0,
        len(STUDENTS),
    )
    assert done.missing_shards == {}
    grades = table(into / "grades.csv")
    assert sorted(r["student_id"] for r in grades) == STUDENTS
    expected_max = course.CHECKOUT.max_score(A)
    for r in grades:
        lost = (
            sorted(
                s for s in STUDENTS if shard.shard_of(s, N) == shard.shard_of(r["student_id"], N)
            ).index(r["student_id"])
            % 3
        )
        points = [t.points for t in source_tests(A)]
        assert float(r["score"]) == pytest.approx(sum(points[lost:]))
        assert float(r["max_score"]) >= expected_max - 1e-9 or float(r["max_score"]) > 0
    db = f"sqlite:///{into / 'gradebook.db'}"
    graded = scores(db)
    assert sorted(sid for sid, _ in graded) == STUDENTS
    from nbgrader.api import Gradebook

    with Gradebook(db, paths.COURSE_ID) as gb:  # what formgrader reads
        assert sorted(s.id for s in gb.students) == STUDENTS
        assert [a.name for a in gb.assignments] == [A]
        for sid in STUDENTS:
            assert gb.find_submission_notebook(A, A, sid).score == pytest.approx(
                float(next(r["score"] for r in grades if r["student_id"] == sid))
            )
    for sid in STUDENTS:
        assert (into / "autograded" / sid / A / f"{A}.ipynb").is_file()
        assert (into / "feedback" / sid / A / f"{A}.html").is_file()
        assert (into / ".state" / sid / f"{A}.json").is_file()
    assert (into / "source" / A / f"{A}.ipynb").read_bytes() == paths.source_notebook(
        A
    ).read_bytes()
    report = table(into / resultsdir.CUMULATIVE_REPORT)
    assert sorted(r["student_id"] for r in report if r["student_id"]) == STUDENTS
    assert sorted(r["source"] for r in report if not r["student_id"]) == [
        f"stray-{k}.txt" for k in range(N)
    ]
    assert {r["run"] for r in report} == {f"20261201T100000Z-1-shard{k}of{N}" for k in range(N)}
    seen = json.loads((into / ".state" / "first_seen.json").read_text())
    assert len(seen) == len(STUDENTS)
    assert (
        "nbgrader_config.py" in os.listdir(into) and oct(os.stat(into).st_mode & 0o777) == "0o700"
    )


def test_merging_twice_changes_nothing(merged):
    """Is the merge idempotent: the same shards merged again write no record, and leave the tables,
    the gradebook's rows and the collection report exactly as they were?"""
    shards, into = merged
    before = {
        p: (into / p).read_bytes()
        for p in ("grades.csv", "tests.csv", resultsdir.CUMULATIVE_REPORT)
    }
    rows = scores(f"sqlite:///{into / 'gradebook.db'}")
    states = {p: p.stat().st_mtime_ns for p in (into / ".state").glob("*/*.json")}
    again = merge.merge(shards, into)
    assert (again.added, again.replaced, again.unchanged, again.reports) == (0, 0, len(STUDENTS), 0)
    assert {p: (into / p).read_bytes() for p in before} == before
    assert scores(f"sqlite:///{into / 'gradebook.db'}") == rows
    assert {p: p.stat().st_mtime_ns for p in (into / ".state").glob("*/*.json")} == states


def _answer_cell() -> str:
    """The first written or coded answer cell of A (nbgrader keeps a TA's
    comments on answer cells)."""
    from autograder.cells import nbgrader_meta

    nb = json.loads(paths.source_notebook(A).read_text(encoding="utf-8"))
    return next(
        nbgrader_meta(c)["grade_id"] for c in nb["cells"] if nbgrader_meta(c).get("solution")
    )


def _set_manual(db: str, sid: str, cell: str, score: float, comment: str) -> None:
    """A TA's score on test cell `cell` and comment on the first answer
    cell, as formgrader saves them."""
    from nbgrader.api import Gradebook

    with Gradebook(db, paths.COURSE_ID) as gb:
        gb.find_grade(cell, A, A, sid).manual_score = score
        gb.find_comment(_answer_cell(), A, A, sid).manual_comment = comment
        gb.db.commit()


def comments(db: str) -> dict:
    with gradebook.opened(db) as gb:
        return {key: notes for key, (_, notes) in gradebook.every_grade(gb).items()}


def test_a_rerun_shard_replaces_only_what_it_regraded_and_a_ta_s_scores_stay(merged):
    """After a TA scored two students by hand in the merged folder, does merging a rerun shard
    replace exactly the notebooks it regraded, keep the TA's score and comment on a notebook
    regraded from the same file, clear (and say so) the TA's score on a notebook the student handed
    in anew, and leave everyone else alone?"""
    shards, into = merged
    db = f"sqlite:///{into / 'gradebook.db'}"
    first_cell = source_tests(A)[0].test_id
    k = 1
    mine = sorted(s for s in STUDENTS if shard.shard_of(s, N) == k)
    same_file, new_file = mine[0], mine[1]
    _set_manual(db, same_file, first_cell, 0.25, "kept: same file")
    _set_manual(db, new_file, first_cell, 0.5, "on the old file")
    other = next(s for s in STUDENTS if shard.shard_of(s, N) != k)
    _set_manual(db, other, first_cell, 0.75, "another shard's student")
    before = scores(db)
    # shard 1 rerun: one notebook regraded from the same file (it had crashed), one a resubmission
    put_record(shards[k], fake_record(same_file, lost=2))
    put_record(
        shards[k], fake_record(new_file, lost=0, file="v2", seen="2026-12-05T10:00:00+00:00")
    )
    done = merge.merge(shards, into)
    assert (done.added, done.replaced, done.unchanged) == (0, 2, len(STUDENTS) - 2)
    assert [(sid, a) for sid, a, _ in done.cleared] == [(new_file, A)]
    assert any("reviewed work changed" in line and new_file in line for line in done.lines())
    after = scores(db)
    assert {key for key in after if after[key] != before[key]} == {(same_file, A), (new_file, A)}
    rows = {(r["student_id"], r["test_id"]): r for r in table(into / "tests.csv")}
    assert rows[(same_file, first_cell)]["manual"] == "yes"
    assert float(rows[(same_file, first_cell)]["score"]) == 0.25
    assert rows[(new_file, first_cell)]["manual"] == ""
    notes = comments(db)
    assert notes[(same_file, A)] == {_answer_cell(): "kept: same file"}
    assert notes[(new_file, A)] == {_answer_cell(): "[on an earlier submission] on the old file"}
    assert notes[(other, A)] == {_answer_cell(): "another shard's student"}
    assert (
        rows[(other, first_cell)]["manual"] == "yes"
        and float(rows[(other, first_cell)]["score"]) == 0.75
    )
    grades = {r["student_id"]: r for r in table(into / "grades.csv")}
    assert grades[new_file]["submitted_at"] == "2026-12-05T10:00:00+00:00"


def test_a_notebook_graded_into_the_class_folder_later_is_not_overwritten_by_an_old_shard(merged):
    """A late student graded straight into results/ after a merge: does merging the unchanged shards
    again leave that newer record alone (the merge remembers what it merged)?"""
    shards, into = merged
    sid = STUDENTS[0]
    newer = fake_record(sid, file="late", seen="2026-12-06T10:00:00+00:00")
    (into / ".state" / sid / f"{A}.json").write_text(json.dumps(newer))
    done = merge.merge(shards, into)
    assert done.replaced == 0
    assert json.loads((into / ".state" / sid / f"{A}.json").read_text()) == newer


def test_a_student_in_two_shards_with_different_files_is_an_error_naming_both(tmp_path, shards):
    into = tmp_path / "results"
    sid = next(s for s in STUDENTS if shard.shard_of(s, N) == 0)
    put_record(shards[2], fake_record(sid, file="another"))
    with pytest.raises(UsageError) as err:
        merge.merge(shards, into)
    assert (
        sid in str(err.value)
        and str(shards[0]) in str(err.value)
        and str(shards[2]) in str(err.value)
    )
    assert not (into / "grades.csv").exists()


def test_the_same_file_in_two_shards_is_one_notebook(tmp_path, merged):
    """A student graded from the same file by two shards (the class resharded): one notebook, no
    error, the finished verdict kept over a crash."""
    shards, into = merged
    sid = next(s for s in STUDENTS if shard.shard_of(s, N) == 0)
    put_record(shards[0], fake_record(sid, status="crashed"))
    extra = fake_shard(tmp_path / "other", 0, n=1, students=[sid])
    chosen = merge._choose(
        [
            merge.ShardFolder(f, shard.read_mark(f), "", merge.load_records(f))
            for f in [*shards, extra]
        ]
    )
    assert len(chosen) == len(STUDENTS) and chosen[(sid, A)][0]["result"]["status"] == "graded"
    assert chosen[(sid, A)][1].path == extra
    done = merge.merge([*shards, extra], into)
    assert (done.added, done.replaced) == (0, 0)  # the finished verdict is the one merged before
    assert (
        json.loads((into / ".state" / sid / f"{A}.json").read_text())["result"]["status"]
        == "graded"
    )


def test_a_killed_or_running_shard_is_refused(tmp_path, shards):
    """Is a shard whose run was killed -9 (its lock still names a process that is gone) refused with
    what to do, and one being graded now refused too, before anything is written?"""
    into = tmp_path / "results"
    lock = shards[1] / ".lock"
    lock.write_text(
        json.dumps(
            {
                "pid": 999999999,
                "process_start": "1",
                "started_at": "2026-12-07T01:00:00+00:00",
                "stamp": "x",
            }
        )
    )
    with pytest.raises(UsageError, match="was killed before it finished: run that shard again"):
        merge.merge(shards, into)
    lock.write_text("")
    fd = os.open(lock, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UsageError, match="being graded right now"):
            merge.merge(shards, into)
    finally:
        os.close(fd)
    assert not into.exists()
    assert merge.merge(shards, into).added == len(STUDENTS)


def test_shards_not_given_are_named(merged):
    shards, into = merged
    done = merge.merge([shards[0], shards[2]], into)
    assert done.missing_shards == {N: [1]}
    assert any(line.startswith(f"not given: shard 1/{N}") for line in done.lines())


def test_mistakes_in_what_is_merged_give_one_line(tmp_path, shards, capsys):
    """Folders given twice, one shard's folder twice, a folder that is no
    results folder, different sources, the class folder as its own shard:
    each exits 2 with one line through the command line."""
    into = tmp_path / "results"
    copy = tmp_path / "copy-of-0"
    shutil.copytree(shards[0], copy)
    nb = shards[2] / "source" / A / f"{A}.ipynb"
    cases = {
        "given twice": [str(shards[0]), str(shards[0])],
        "both hold shard 0/3": [str(shards[0]), str(copy)],
        "no graded notebooks": [str(tmp_path)],
        "not a folder": [str(tmp_path / "nowhere")],
    }
    for said, args in cases.items():
        assert cli.main(["merge", *args, "--into", str(into)]) == 2
        err = capsys.readouterr().err
        assert said in err and len(err.strip().splitlines()) == 1, err
    nb.write_bytes(nb.read_bytes().replace(b"conv", b"CONV", 1))
    assert cli.main(["merge", *map(str, shards), "--into", str(into)]) == 2
    assert "different sources" in capsys.readouterr().err
    assert cli.main(["merge", str(shards[0]), "--into", str(shards[0])]) == 2
    assert "the --into folder itself" in capsys.readouterr().err


def test_merge_on_the_command_line(merged, capsys):
    shards, into = merged
    put_record(
        shards[2],
        fake_record(next(s for s in STUDENTS if shard.shard_of(s, N) == 2), lost=1, file="v3"),
    )
    assert cli.main(["merge", *map(str, shards), "--into", str(into)]) == 0
    out = capsys.readouterr().out
    assert (
        f"0 notebooks added, 1 replaced, {len(STUDENTS) - 1} unchanged" in out
        and "0/3, 1/3, 2/3" in out
    )
