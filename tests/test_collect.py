"""Does collection find every student's latest notebooks, merge nobody,
lose nobody, and follow no link?"""

import csv
import os
import zipfile

import pytest

from autograder.collect import collect, load_roster, write_report
from autograder.paths import UsageError

NB = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def _zip(path, members):
    """members: {name: text} or {name: (text, date_time)}."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, value in members.items():
            text, when = value if isinstance(value, tuple) else (value, (2026, 3, 1, 12, 0, 0))
            zf.writestr(zipfile.ZipInfo(name, date_time=when), text)
    return path


def _report(c):
    return {e.source: e for e in c.report}


def _csv(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_canvas_zip_keeps_same_named_students_apart_and_takes_the_latest(tmp_path):
    """In a Canvas zip, are two students with the same name slug kept under
    their user ids, the latest resubmission used, the late marker and time
    recorded, and an unmatched file named in the report?"""
    archive = _zip(
        tmp_path / "canvas.zip",
        {
            "smithbob_12345_700_05_vae.ipynb": (NB, (2026, 3, 1, 10, 0, 0)),
            "smithbob_LATE_12345_701_05_vae-1.ipynb": (NB, (2026, 3, 3, 9, 30, 0)),
            "smithbob_99999_702_05_vae.ipynb": NB,
            "smithbob_99999_703_05_vae (1).ipynb": NB,
            "smithbob_99999_704_05_vae_final.ipynb": (NB, (2026, 3, 2, 8, 0, 0)),
            "smithbob_99999_705_01_conv_as_matrix.ipynb": NB,
            "smithbob_99999_706_my_notes.txt": "notes",
        },
    )
    c = collect(archive, tmp_path / "unpacked")
    assert sorted(c.students) == ["12345", "99999"]
    assert c.files[("12345", "05_vae")].name == "smithbob_LATE_12345_701_05_vae-1.ipynb"
    assert c.files[("99999", "05_vae")].name == "smithbob_99999_704_05_vae_final.ipynb"
    assert (
        c.files[("99999", "01_conv_as_matrix")].name == "smithbob_99999_705_01_conv_as_matrix.ipynb"
    )
    assert c.late[("12345", "05_vae")] is True and c.late[("99999", "05_vae")] is False
    assert c.submitted_at[("12345", "05_vae")] == "2026-03-03T09:30:00"
    rep = _report(c)
    assert rep["smithbob_12345_700_05_vae.ipynb"].decision == "superseded"
    assert rep["smithbob_99999_703_05_vae (1).ipynb"].decision == "superseded"
    assert rep["smithbob_99999_704_05_vae_final.ipynb"].decision == "used"
    assert rep["smithbob_99999_706_my_notes.txt"].decision == "unmatched"
    written = _csv(write_report(c, tmp_path / "collection_report.csv"))
    assert {"smithbob_99999_706_my_notes.txt"} == {
        r["source"] for r in written if r["decision"] == "unmatched"
    }
    assert len(written) == 7


def test_roster_maps_lms_ids_and_refuses_two_sources_for_one_id(tmp_path):
    """Does --roster turn Canvas user ids into student ids and names, and
    is one id from two sources an error?"""
    archive = _zip(
        tmp_path / "canvas.zip",
        {"smithbob_12345_1_05_vae.ipynb": NB, "smithbob_99999_2_05_vae.ipynb": NB},
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        'student_id,lms_id,name\ns1,12345,"Smith, Bob"\ns2,99999,"Smith, Bob"\n', encoding="utf-8"
    )
    c = collect(archive, tmp_path / "u", roster=roster)
    assert sorted(c.students) == ["s1", "s2"] and c.names["s1"] == "Smith, Bob"
    assert c.files[("s2", "05_vae")].name == "smithbob_99999_2_05_vae.ipynb"
    # 12345 -> "99999", the other's LMS id
    roster.write_text("student_id,lms_id\n99999,12345\n", encoding="utf-8")
    with pytest.raises(UsageError) as err:
        collect(archive, tmp_path / "u", roster=roster)
    assert "smithbob_12345_1_05_vae.ipynb" in str(
        err.value
    ) and "smithbob_99999_2_05_vae.ipynb" in str(err.value)


def test_bad_roster_is_one_usage_error(tmp_path):
    """Does a roster without student_id, or with an LMS id given twice, say what to fix?"""
    roster = tmp_path / "r.csv"
    roster.write_text("lms_id,name\n1,a\n", encoding="utf-8")
    with pytest.raises(UsageError, match="student_id"):
        load_roster(roster)
    roster.write_text("student_id,lms_id\na,1\nb,1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="LMS id 1"):
        load_roster(roster)
    with pytest.raises(UsageError, match="does not exist"):
        load_roster(tmp_path / "missing.csv")


def test_moodle_zip_uses_participant_folders(tmp_path):
    """In a Moodle download, is each participant folder one student (by
    participant id) with the latest file?"""
    archive = _zip(
        tmp_path / "moodle.zip",
        {
            "Bob Smith_1234567_assignsubmission_file_/05_vae.ipynb": NB,
            "Bob Smith_1234567_assignsubmission_file_/05_vae-2.ipynb": NB,
            "Bob Smith_7654321_assignsubmission_file_/03_conv_autoencoder.ipynb": NB,
            "Ann Lee_2222222_assignsubmission_onlinetext_/onlinetext.html": "<p>hi</p>",
            "Ann Lee_2222222_assignsubmission_file_/essay.pdf": "%PDF",
        },
    )
    c = collect(archive, tmp_path / "u")
    assert sorted(c.students) == ["1234567", "2222222", "7654321"]
    assert c.files[("1234567", "05_vae")].name == "05_vae-2.ipynb"
    assert c.files[("7654321", "03_conv_autoencoder")].name == "03_conv_autoencoder.ipynb"
    assert c.names["1234567"] == "Bob Smith"
    rep = _report(c)
    assert rep["Bob Smith_1234567_assignsubmission_file_/05_vae.ipynb"].decision == "superseded"
    assert rep["Ann Lee_2222222_assignsubmission_file_/essay.pdf"].decision == "unmatched"


def test_moodle_roster_maps_participant_ids(tmp_path):
    """With a roster listing a student's Moodle participant ids (one per
    Moodle assignment), is each folder that student, and is a participant
    not on the roster kept under the participant id and reported?"""
    archive = _zip(
        tmp_path / "moodle.zip",
        {
            "Bob Smith_1234567_assignsubmission_file_/05_vae.ipynb": NB,
            "Bob Smith_7654321_assignsubmission_file_/05_vae.ipynb": NB,
        },
    )
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "student_id,lms_id,name\nbsmith,1234567;1111111,Bob Smith\n", encoding="utf-8"
    )
    c = collect(archive, tmp_path / "u", roster=roster)
    assert sorted(c.students) == ["7654321", "bsmith"]
    assert c.files[("bsmith", "05_vae")].parent.name == "Bob Smith_1234567_assignsubmission_file_"
    assert "not on the roster" in _report(c)["Bob Smith_7654321_assignsubmission_file_"].reason


def test_folder_names_are_student_ids_exactly(tmp_path):
    """Are `-victor` and `victor` two students, and is a name that cannot
    be an id reported by name?"""
    root = tmp_path / "class"
    for name in ("-victor", "victor", "bad\x07bell", ".hidden"):
        (root / name).mkdir(parents=True)
        (root / name / "05_vae.ipynb").write_text(NB)
    (root / "quiet").mkdir()
    c = collect(root, tmp_path / "u")
    assert sorted(c.students) == ["-victor", "quiet", "victor"]
    assert _report(c)["quiet"].decision == "unmatched"
    assert c.files[("-victor", "05_vae")] == root / "-victor" / "05_vae.ipynb"
    assert c.files[("victor", "05_vae")] == root / "victor" / "05_vae.ipynb"
    rejected = {e.source for e in c.report if e.decision == "rejected"}
    assert rejected == {"bad\\x07bell", ".hidden"}


def test_renamed_notebooks_in_a_folder_resolve_to_the_latest(tmp_path):
    """Do `05_vae (1)`, `05_vae-1`, `05_vae_final`, `05_vae-2` count for
    05_vae, with `-2` chosen and reported?"""
    student = tmp_path / "class" / "ann"
    student.mkdir(parents=True)
    for name in (
        "05_vae.ipynb",
        "05_vae (1).ipynb",
        "05_vae-1.ipynb",
        "05_vae_final.ipynb",
        "05_vae-2.ipynb",
        "05_vae_solution_from_friend.ipynb",
    ):
        (student / name).write_text(NB)
    c = collect(tmp_path / "class", tmp_path / "u")
    assert c.files[("ann", "05_vae")].name == "05_vae-2.ipynb"
    rep = _report(c)
    assert (
        rep["ann/05_vae-2.ipynb"].decision == "used"
        and "latest of 5" in rep["ann/05_vae-2.ipynb"].reason
    )
    assert sum(e.decision == "superseded" for e in c.report) == 4
    assert rep["ann/05_vae_solution_from_friend.ipynb"].decision == "unmatched"


def test_symlinked_notebook_folder_is_rejected_not_followed(tmp_path):
    """Is `<student>/01_conv_as_matrix -> solutions/01_conv_as_matrix`
    rejected as a link, the notebook not submitted?"""
    solutions = tmp_path / "solutions" / "01_conv_as_matrix"
    solutions.mkdir(parents=True)
    (solutions / "01_conv_as_matrix.ipynb").write_text('{"answers": true}')
    mallory = tmp_path / "class" / "mallory"
    mallory.mkdir(parents=True)
    os.symlink(solutions, mallory / "01_conv_as_matrix")
    os.symlink(solutions / "01_conv_as_matrix.ipynb", mallory / "05_vae.ipynb")
    (mallory / "03_conv_autoencoder.ipynb").write_text(NB)
    # a real file too: the link still cancels 01
    (mallory / "01_conv_as_matrix (1).ipynb").write_text(NB)
    os.symlink(mallory, tmp_path / "class" / "trudy")
    c = collect(tmp_path / "class", tmp_path / "u")
    assert ("mallory", "01_conv_as_matrix") not in c.files and ("mallory", "05_vae") not in c.files
    assert c.files[("mallory", "03_conv_autoencoder")] == mallory / "03_conv_autoencoder.ipynb"
    rep = _report(c)
    for src in (
        "mallory/01_conv_as_matrix",
        "mallory/05_vae.ipynb",
        "trudy",
        "mallory/01_conv_as_matrix (1).ipynb",
    ):
        assert rep[src].decision == "rejected" and rep[src].reason.startswith("link"), src
    assert not any(str(p).startswith(str(tmp_path / "solutions")) for p in c.files.values())
    assert "trudy" in c.students and not any(k[0] == "trudy" for k in c.files)


def test_link_member_in_a_zip_is_rejected_and_its_notebook_not_submitted(tmp_path):
    """Is a symlink member of a zip never extracted, reported, and does it
    cancel that student's notebook?"""
    archive = tmp_path / "class.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("class/eve/05_vae.ipynb", NB)
        zf.writestr("class/eve/01_conv_as_matrix/01_conv_as_matrix.ipynb", NB)
        link = zipfile.ZipInfo("class/eve/01_conv_as_matrix/extra")
        link.external_attr = 0o120777 << 16
        zf.writestr(link, "/srv/course/solutions/01_conv_as_matrix")
        zf.writestr("../escape.ipynb", NB)
    c = collect(archive, tmp_path / "u")
    assert c.students == ["eve"]
    assert {e.source for e in c.report if e.decision in ("rejected", "unmatched")} == {
        "class/eve/01_conv_as_matrix/extra",
        "../escape.ipynb",
        "class/eve/01_conv_as_matrix/01_conv_as_matrix.ipynb",
    }
    assert ("eve", "01_conv_as_matrix") not in c.files and ("eve", "05_vae") in c.files
    rep = _report(c)
    assert rep["class/eve/01_conv_as_matrix/extra"].decision == "rejected"
    assert rep["../escape.ipynb"].decision == "rejected"
    assert not (tmp_path / "escape.ipynb").exists()
    assert not any(
        os.path.islink(os.path.join(d, n)) for d, ds, fs in os.walk(tmp_path / "u") for n in ds + fs
    )


def test_report_neutralises_a_formula_in_a_folder_name(tmp_path):
    """Does collection_report.csv show a student folder named like a
    formula as text, the id itself kept?"""
    student = tmp_path / "class" / '=HYPERLINK("http:x")'
    student.mkdir(parents=True)
    (student / "05_vae.ipynb").write_text(NB)
    c = collect(tmp_path / "class", tmp_path / "u")
    assert c.students == ['=HYPERLINK("http:x")']
    rows = _csv(write_report(c, tmp_path / "r.csv"))
    assert rows[0]["source"] == '\'=HYPERLINK("http:x")/05_vae.ipynb'
    assert rows[0]["student_id"] == '\'=HYPERLINK("http:x")'
