"""Does `export` turn the nbgrader gradebook into the file Canvas or Moodle
imports, late policy included?"""

import csv
import datetime
import shutil
import sqlite3
import warnings

import pytest

from autograder import cli
from autograder import export as export_mod
from autograder.export import export
from autograder.paths import COURSE_ID

A1, A5 = "01_conv_as_matrix", "05_vae"
DUE = datetime.datetime(2026, 3, 1, 23, 59, 0)


def _rows(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.reader(f))


def _dicts(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def _gradebook_template(tmp_path_factory):
    """The gradebook, built once per module with nbgrader's API.

    A new gradebook asks the `alembic` command for the schema's head revision; it is stamped here
    in-process instead (same value, from nbgrader's own alembic scripts),
    which saves a second Python.
    """
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from nbgrader.api import Gradebook
    from nbgrader.dbutil import ALEMBIC_DIR

    out = tmp_path_factory.mktemp("template")
    config = Config()
    config.set_main_option("script_location", ALEMBIC_DIR)
    head = ScriptDirectory.from_config(config).get_current_head()
    with sqlite3.connect(out / "gradebook.db") as db:
        db.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        db.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
    # SQLAlchemy's notes on nbgrader's own add_submission, as grade.py filters
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _fill(Gradebook, out)
    return out / "gradebook.db"


@pytest.fixture
def results(_gradebook_template, tmp_path):
    """A gradebook as grade.py leaves it: 01 (cells of 4 and 6 points) and
    05 (one cell of 10 points).

    12345 (Bob Smith): 01 auto 4 + 0, the TA overrides the second cell to 5; 05 auto 8, submitted
    2.5 days after the due date given later. 99999 (another Bob Smith): 01 10, 05 7, on time.
    stray: in the gradebook, not on the roster.
    """
    out = tmp_path / "results"
    out.mkdir()
    shutil.copyfile(_gradebook_template, out / "gradebook.db")
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,lms_id,name,sis_login_id,section\n"
        '12345,12345,"Smith, Bob",bsmith,S1\n'
        '99999,99999,"Smith, Bob",bsmith2,S1\n'
        '55555,55555,"Nobody, Dana",dnobody,S2\n',
        encoding="utf-8",
    )
    return out, roster


def _fill(Gradebook, out):
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", COURSE_ID) as gb:
        for nb, cells in ((A1, {"t1": 4.0, "t2": 6.0}), (A5, {"t1": 10.0})):
            gb.update_or_create_assignment(nb)
            gb.update_or_create_notebook(nb, nb)
            for cell, points in cells.items():
                gb.update_or_create_grade_cell(cell, nb, nb, max_score=points, cell_type="code")
        late = DUE + datetime.timedelta(days=2, hours=12)
        scores = {
            "12345": {A1: (4.0, 0.0), A5: (8.0,)},
            "99999": {A1: (4.0, 6.0), A5: (7.0,)},
            "stray": {A1: (1.0, 0.0), A5: (0.0,)},
        }
        for sid, by_nb in scores.items():
            gb.update_or_create_student(
                sid, first_name="Bob" if sid != "stray" else "", last_name="Smith"
            )
            for nb, points in by_nb.items():
                when = late if (sid, nb) == ("12345", A5) else DUE - datetime.timedelta(hours=1)
                gb.update_or_create_submission(nb, sid, timestamp=when)
                for cell, p in zip(("t1", "t2"), points, strict=False):  # A5's one cell: t1 only
                    grade = gb.find_grade(cell, nb, nb, sid)
                    grade.auto_score = p
                    grade.needs_manual_grade = False
        override = gb.find_grade("t2", A1, A1, "12345")
        override.manual_score = 5.0
        gb.db.commit()


def test_canvas_file_has_the_documented_header_and_every_roster_student(results, capsys):
    """Is the Canvas file headed Student, ID, SIS User ID, SIS Login ID, Section, notebooks, with a
    Points Possible row and one row per roster student (one who submitted nothing too), a stray
    student reported, not exported?"""
    out, roster = results
    done = export("canvas", results=out, roster=roster)
    rows = _rows(done["out"])
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        A1,
        A5,
        "Final Points",
    ]
    assert rows[1] == ["Points Possible", "", "", "", "", "10", "10", "20"]
    assert [r[1] for r in rows[2:]] == ["12345", "99999", "55555"]
    # no due date: not missing yet
    assert rows[4] == ["Nobody, Dana", "55555", "", "dnobody", "S2", "", "", "0"]
    assert rows[3][5:] == ["10", "7", "17"]
    assert "stray" in capsys.readouterr().err
    report = _dicts(done["report"])
    assert {r["note"] for r in report if r["student_id"] == "stray"} == {
        "in the gradebook but not on the roster: not exported"
    }
    assert done["not_on_roster"] == ["stray"]


def test_a_manual_override_is_what_gets_exported(results):
    """Does a TA's manual score in the gradebook replace the autograder's score in the export?"""
    out, roster = results
    rows = _rows(export("canvas", results=out, roster=roster)["out"])
    assert rows[2][:2] == ["Smith, Bob", "12345"]
    assert rows[2][5] == "9"  # 4 (auto) + 5 (manual override of an auto 0)


def test_per_day_policy_takes_a_share_of_the_maximum_per_started_day(results):
    """With --due and per-day:10, is a notebook 2.5 days late worth raw - 3
    x 10 % of 10, raw and penalised shown?"""
    out, roster = results
    done = export(
        "csv",
        results=out,
        roster=roster,
        due=[f"05={DUE.isoformat()}+00:00"],
        late_policy="per-day:10",
    )
    row = {r["student_id"]: r for r in _dicts(done["out"])}
    assert (row["12345"][f"{A5} raw"], row["12345"][f"{A5} penalty"], row["12345"][A5]) == (
        "8",
        "3",
        "5",
    )
    assert row["12345"][f"{A5} late seconds"] == "216000"  # 2.5 days
    assert (row["99999"][f"{A5} raw"], row["99999"][A5]) == ("7", "7")
    assert row["12345"]["total"] == "14" and row["12345"]["total raw"] == "17"
    canvas = _rows(export("canvas", results=out, roster=roster, late_policy="per-day:10")["out"])
    # the due date stayed in the gradebook; the upload column is penalised
    assert canvas[2][6] == "5"
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", COURSE_ID) as gb:
        assert gb.find_assignment(A5).duedate == DUE


def test_zero_after_gives_zero_to_late_work_only(results):
    """With zero-after, is late work exported as 0 while its raw score
    stays visible in the report?"""
    out, roster = results
    done = export(
        "moodle",
        results=out,
        roster=roster,
        due=[f"{A5}={DUE.isoformat()}"],
        late_policy="zero-after",
    )
    rows = _rows(done["out"])
    assert rows[0] == ["ID number", "Email address", "Full name", A1, A5, "Total"]
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["12345"][3:] == ["9", "0", "9"] and by_id["99999"][3:] == ["10", "7", "17"]
    report = {(r["student_id"], r["notebook"]): r for r in _dicts(done["report"])}
    assert (report[("12345", A5)]["raw_score"], report[("12345", A5)]["exported_score"]) == (
        "8",
        "0",
    )
    assert report[("12345", A5)]["days_late"] == "3"


def test_without_roster_every_gradebook_student_is_exported(results):
    """Without a roster, is every gradebook student a row, none dropped?"""
    out, _ = results
    rows = _rows(export("canvas", results=out)["out"])
    assert sorted(r[1] for r in rows[2:]) == ["", "12345", "99999"]
    assert sorted(r[0] for r in rows[2:]) == ["Bob Smith", "Bob Smith", "Smith"]


def test_roster_finds_students_graded_under_their_lms_id(results, tmp_path):
    """Is a roster student whose gradebook id is their LMS id (graded
    without a roster) exported with their scores?"""
    out, _ = results
    roster = tmp_path / "ids.csv"
    roster.write_text('student_id,lms_id,name\nbob.smith,12345,"Smith, Bob"\n', encoding="utf-8")
    done = export("csv", results=out, roster=roster)
    row = _dicts(done["out"])
    assert [(r["student_id"], r[A1]) for r in row] == [("bob.smith", "9")]
    assert done["not_on_roster"] == ["99999", "stray"]


def test_formula_in_a_roster_name_is_neutralised(results, tmp_path):
    """Does a student name that starts a formula reach the Canvas file as text?"""
    out, _ = results
    roster = tmp_path / "evil.csv"
    roster.write_text(
        'student_id,lms_id,name\n12345,12345,"=HYPERLINK(""http://evil"",""x"")"\n',
        encoding="utf-8",
    )
    rows = _rows(export("canvas", results=out, roster=roster)["out"])
    assert rows[2][0] == '\'=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--late-policy", "per-week:3"], "--late-policy"),
        (["--due", "05=next friday"], "ISO 8601"),
        (["--due", "07=2026-03-01"], "unknown notebook"),
        (["--roster", "missing.csv"], "does not exist"),
    ],
)
def test_mistakes_give_one_line(results, capsys, args, needle):
    """Does a bad late policy, date, notebook or roster give exit code 2
    and one line saying what to do?"""
    out, _ = results
    code = cli.main(["export", "--format", "canvas", "--results", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2 and needle in err and err.count("\n") == 1


def test_missing_gradebook_says_what_to_run(tmp_path, capsys):
    """Without a gradebook, does export say to grade first (exit 2), and is
    no empty gradebook created?"""
    assert cli.main(["export", "--format", "csv", "--results", str(tmp_path)]) == 2
    assert "run `python -m autograder grade" in capsys.readouterr().err
    assert cli.main(["export", "--format", "csv", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert "no such gradebook" in capsys.readouterr().err and not (tmp_path / "none.db").exists()


def test_every_grade_reads_what_nbgraders_objects_say(results):
    """Does the grader's bulk read of the gradebook give, for every submission, the cells, scores,
    maxima, TA scores, comments and cells waiting for a TA that nbgrader's own objects give?"""
    from nbgrader.api import Comment, Gradebook

    from autograder import gradebook

    out, _ = results
    # a TA's comment on an exercise cell
    with Gradebook(f"sqlite:///{out / 'gradebook.db'}", COURSE_ID) as gb:
        cell = gb.update_or_create_solution_cell("t2", A1, A1)
        gb.db.add(
            Comment(
                cell=cell,
                notebook=gb.find_submission_notebook(A1, A1, "12345"),
                manual_comment="see me",
            )
        )
        gb.find_grade("t1", A5, A5, "99999").needs_manual_grade = True
        gb.db.commit()
        every = gradebook.every_grade(gb)
        expected = {}
        for student in gb.students:
            for sub in student.submissions:
                nb = gb.find_submission_notebook(sub.name, sub.name, student.id)
                comments = {c.name: c.manual_comment for c in nb.comments if c.manual_comment}
                expected[(student.id, sub.name)] = (
                    sorted(
                        (
                            g.name,
                            float(g.score or 0),
                            float(g.max_score),
                            g.manual_score is not None,
                            bool(g.needs_manual_grade),
                            comments.get(g.name, ""),
                        )
                        for g in nb.grades
                    ),
                    comments,
                )
    got = {
        k: (
            sorted(
                (c.name, c.score or 0.0, c.max_score, c.manual, c.needs_manual_grade, c.comment)
                for c in cells
            ),
            comments,
        )
        for k, (cells, comments) in every.items()
    }
    assert got == expected
    assert (
        got[("12345", A1)][1] == {"t2": "see me"}
        and ("t2", 5.0, 6.0, True, False, "see me") in got[("12345", A1)][0]
    )
    assert ("t1", 7.0, 10.0, False, True, "") in got[("99999", A5)][0]


def _record(out, sid, nb, **time):
    """A grade run's record of one submission's time (results/.state/<student>/<notebook>.json)."""
    import json

    path = out / ".state" / sid / f"{nb}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "student_id": sid,
                "lms_id": time.pop("lms_id", ""),
                "time": time,
                "result": {"assignment": nb},
            }
        ),
        encoding="utf-8",
    )


def test_a_notebook_not_handed_in_is_empty_until_its_due_date_then_missing(results, capsys):
    """Is a roster student's ungraded notebook an empty cell before its due date and 0 (missing)
    after it, and is every roster student without a grade named on stderr and in the report?"""
    out, roster = results
    early = export(
        "canvas",
        results=out,
        roster=roster,
        due=[f"01={DUE.isoformat()}+00:00"],
        now=DUE - datetime.timedelta(days=1),
    )
    assert _rows(early["out"])[4][5] == ""
    err = capsys.readouterr().err
    assert "55555 is on the roster but has no grade" in err and early["ungraded"] == ["55555"]
    late = export("canvas", results=out, roster=roster, now=DUE + datetime.timedelta(days=1))
    assert _rows(late["out"])[4][5:8] == ["0", "", "0"]  # 01 is due and past; 05 has no due date
    report = {(r["student_id"], r["notebook"]): r["note"] for r in _dicts(late["report"])}
    assert (
        "roster student without a grade" in report[("55555", A1)]
        and "missing" in report[("55555", A1)]
    )
    assert "no due date" in report[("55555", A5)]


def test_notebooks_selects_the_exported_columns(results):
    """Does --notebooks export only the notebooks named (not every notebook in the gradebook)?"""
    out, roster = results
    done = export("canvas", results=out, roster=roster, notebooks=[A5])
    rows = _rows(done["out"])
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        A5,
        "Final Points",
    ]
    assert rows[2][5:] == ["8", "8"]
    assert cli.main(["export", "--format", "csv", "--results", str(out), "--notebooks", "03"]) == 2


CANVAS_EXPORT = (
    "Student,ID,SIS User ID,SIS Login ID,Section,01_conv_as_matrix "
    "(501),Week 5: VAE (505),Quiz 1 (600),"
    "Current Points,Final Points,Current Score,Unposted Current "
    "Score,Final Score,Unposted Final Score\n"
    "    Points Possible,,,,,10.00,10.00,5.00,(read only),(read "
    "only),(read only),(read only),(read only),"
    "(read only)\n"
    '"Smith, Bob",12345,S-1,bsmith,S1,,,,0,0,,,,\n'
    '"Smith, Bob",99999,S-2,bsmith2,S1,,,,0,0,,,,\n'
    '"Student, Test",777,,,S1,,,,,,,,,\n'
)


def test_canvas_gradebook_export_is_a_roster_and_names_the_columns(results, tmp_path, capsys):
    """Is Canvas's own gradebook export accepted as the roster (its test student and
    read-only columns left out), and does each notebook's column take the matching
    Canvas assignment's `Title (id)` header, matched by name or named by --lms-title,
    so that Canvas updates that assignment instead of making a new one?"""
    out, _ = results
    export_csv = tmp_path / "canvas_export.csv"
    export_csv.write_text(CANVAS_EXPORT, encoding="utf-8")
    with pytest.raises(Exception, match="--lms-title 05="):
        export("canvas", results=out, roster=export_csv)  # "Week 5: VAE" is not matched by guessing
    done = export("canvas", results=out, roster=export_csv, titles=["05=Week 5: VAE"])
    rows = _rows(done["out"])
    assert rows[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "01_conv_as_matrix (501)",
        "Week 5: VAE (505)",
        "Final Points",
    ]
    assert [r[1] for r in rows[2:]] == ["12345", "99999"]
    assert rows[2][2:5] == ["S-1", "bsmith", "S1"] and rows[2][5:7] == ["9", "8"]
    assert done["not_on_roster"] == ["stray"]
    assert (
        "01_conv_as_matrix -> the LMS's column '01_conv_as_matrix (501)'" in capsys.readouterr().err
    )


def test_moodle_export_writes_each_notebook_s_grading_worksheet(results, tmp_path):
    """Beside the gradebook CSV, is there one Moodle grading worksheet per
    notebook, whose `Identifier` is the participant id the notebook was
    graded under, with the exported grade and a feedback comment?"""
    out, _ = results
    roster = tmp_path / "moodle.csv"
    roster.write_text(
        "student_id,lms_id,name,email\n12345,7001;7005,Bob Smith,b@x.org\n"
        "99999,8001,Bob Smith,b2@x.org\n",
        encoding="utf-8",
    )
    _record(out, "12345", A5, lms_id="7005", at=None, source="first seen by the grader", zone="UTC")
    done = export(
        "moodle",
        results=out,
        roster=roster,
        due=[f"05={DUE.isoformat()}+00:00"],
        late_policy="per-day:10",
    )
    assert len(done["worksheets"]) == 2
    sheet = {r["Identifier"]: r for r in _dicts(next(w for w in done["worksheets"] if A5 in w))}
    assert list(next(iter(sheet.values()))) == [
        "Identifier",
        "Full name",
        "Email address",
        "Status",
        "Grade",
        "Maximum Grade",
        "Grade can be changed",
        "Last modified (submission)",
        "Last modified (grade)",
        "Feedback comments",
    ]
    assert (
        sheet["Participant 7005"]["Grade"] == "5"
        and "late penalty 3" in sheet["Participant 7005"]["Feedback comments"]
    )
    assert sheet["Participant 8001"]["Grade"] == "7"
    a1 = {r["Identifier"] for r in _dicts(next(w for w in done["worksheets"] if A1 in w))}
    assert a1 == {"Participant 8001"}  # 12345's 01 participant id is one of two: not guessed
    report = {(r["student_id"], r["notebook"]): r["note"] for r in _dicts(done["report"])}
    assert "no Moodle participant id known" in report[("12345", A1)]


def test_the_lms_late_marker_decides_whether_work_is_late(results):
    """Is a file the LMS marked on time never penalised (whatever its
    timestamp), one it marked late counted late though its timestamp is not,
    and does the report say where each time came from and in which zone?"""
    out, roster = results
    _record(
        out,
        "12345",
        A5,
        at="2026-03-04T11:59:00+00:00",
        source="first seen by the grader",
        zone="UTC",
        late_marker=False,
    )
    _record(
        out,
        "99999",
        A5,
        at="2026-03-01T22:59:00+00:00",
        source="Moodle grading worksheet g.csv",
        zone="Europe/Berlin",
        late_marker=True,
    )
    done = export(
        "csv",
        results=out,
        roster=roster,
        due=[f"05={DUE.isoformat()}+00:00"],
        late_policy="per-day:10",
    )
    row = {r["student_id"]: r for r in _dicts(done["out"])}
    assert (row["12345"][A5], row["12345"][f"{A5} late seconds"]) == ("8", "0")
    assert (row["99999"][A5], row["99999"][f"{A5} penalty"]) == ("6", "1")
    report = {(r["student_id"], r["notebook"]): r for r in _dicts(done["report"])}
    assert report[("99999", A5)]["time_source"] == "Moodle grading worksheet g.csv"
    assert (
        report[("99999", A5)]["time_zone"] == "Europe/Berlin"
        and report[("99999", A5)]["lms_late_marker"] == "late"
    )
    assert (
        report[("12345", A5)]["timestamp"].endswith("+00:00")
        and "on time by the LMS" in report[("12345", A5)]["note"]
    )


def test_the_gradebook_is_read_in_a_few_queries_whatever_the_class_size(results):
    """Does `read_gradebook` read every submission in one query (not one
    lookup per student and notebook: the SQL it sends does not grow with the
    class), and give for each what nbgrader's own `find_submission` says?"""
    import sqlalchemy
    from nbgrader.api import Gradebook, MissingEntry

    out, _ = results
    db = f"sqlite:///{out / 'gradebook.db'}"
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    def read():
        statements.clear()
        sqlalchemy.event.listen(sqlalchemy.engine.Engine, "before_cursor_execute", count)
        try:
            return export_mod.read_gradebook(db, export_mod.LatePolicy(), {}, now=DUE), len(
                statements
            )
        finally:
            sqlalchemy.event.remove(sqlalchemy.engine.Engine, "before_cursor_execute", count)

    (order, _, cells, _, _), small = read()
    with warnings.catch_warnings(), Gradebook(db, COURSE_ID) as gb:
        warnings.simplefilter("ignore")
        for sid in cells:
            for a in order:
                try:
                    sub = gb.find_submission(a, sid)
                except MissingEntry:
                    assert cells[sid][a].raw is None
                    continue
                cell = cells[sid][a]
                assert (cell.raw, cell.seconds_late, cell.needs_manual) == (
                    float(sub.score or 0),
                    float(sub.total_seconds_late or 0),
                    bool(sub.needs_manual_grade),
                )
        for n in range(8):  # eight more students, each with both notebooks
            gb.update_or_create_student(f"more{n}")
            for a in order:
                gb.update_or_create_submission(a, f"more{n}", timestamp=DUE)
        gb.db.commit()
    (_, _, cells, _, _), large = read()
    assert len(cells) == 11 and large == small, (small, large)
