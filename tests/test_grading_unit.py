"""Fast checks of the grader's bookkeeping (no kernel)."""

import json

import pytest

from autograder import course, grade, pipeline, selftest

A = "01_conv_as_matrix"


def test_the_cache_key_changes_with_limits_sources_and_submission(tmp_path):
    """Does a verdict's key change when the limits, the sources or the
    submission change, so nothing stale is reused?"""
    path = tmp_path / f"{A}.ipynb"
    path.write_text(json.dumps(selftest.build_submission(A)))
    sources = course.CHECKOUT.key([A])
    key = grade._digest(path, sources, "300|4.0|30")
    assert grade._digest(path, sources, "300|4.0|30") == key
    assert (
        grade._digest(path, sources, "300|0.1|30") != key
        and grade._digest(path, sources, "60|4.0|30") != key
    )
    assert grade._digest(path, course.CHECKOUT.key(["02_transpose_conv"]), "300|4.0|30") != key
    path.write_text(json.dumps(selftest.build_submission(A, blank=True)))
    assert grade._digest(path, sources, "300|4.0|30") != key
    assert grade._digest(None, sources, "300|4.0|30") != key


def test_a_notebook_is_refused_by_size_and_cell_count_before_it_is_parsed(tmp_path):
    """Are an empty file, a file with too many cells and a non-notebook
    refused, each with a reason?"""
    cases = {
        "empty": b"",
        "cells": b'{"cells": [' + b",".join([b'{"cell_type": "code"}'] * 3000) + b"]}",
        "json": b"not json",
        "list": b"[]",
    }
    for name, data in cases.items():
        p = tmp_path / f"{name}.ipynb"
        p.write_bytes(data)
        nb, why = pipeline.read_submission(p)
        assert nb is None and why, name
    assert "cells" in pipeline.read_submission(tmp_path / "cells.ipynb")[1]
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps(selftest.build_submission(A)))
    assert pipeline.read_submission(good)[0] is not None


def test_the_run_s_gradebook_writer_goes_on_after_a_failed_record(tmp_path, monkeypatch):
    """Does the one-thread gradebook writer commit each record at once, and after
    a record that failed half-way (an unknown notebook, or an error after it
    changed a row) record the next notebook without the failed one's changes (its
    session rolled back, not left broken or carried into the next commit)?"""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder import gradebook
    from autograder.results import NotebookResult, TestResult

    db = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with gradebook.opened(db) as gb:
        gb.update_or_create_assignment("a")
        gb.update_or_create_notebook("a", "a")
        gb.update_or_create_grade_cell("test_x", "a", "a", max_score=2.0, cell_type="code")

    def result(assignment, score):
        return NotebookResult(
            assignment, "graded", score, 2.0, [TestResult("test_x", score, 2.0, "", False)]
        )

    writer = gradebook.Writer(db)
    try:
        writer.record("ada", result("a", 2.0))
        with Gradebook(db) as gb:  # committed before record returns: another connection sees it
            assert gb.find_submission_notebook("a", "a", "ada").score == 2.0
        with pytest.raises(MissingEntry):
            writer.record("ben", result("not_an_assignment", 1.0))
        real_record = gradebook.record

        # changes a row, then fails (a locked database, say)
        def failing_record(gb, student_id, *args):
            gb.find_grade("test_x", "a", "a", "ada").auto_score = 99.0
            raise OSError("database is locked")

        monkeypatch.setattr(gradebook, "record", failing_record)
        with pytest.raises(OSError):
            writer.record("dee", result("a", 2.0))
        monkeypatch.setattr(gradebook, "record", real_record)
        writer.record("cy", result("a", 0.0))
        with Gradebook(db) as gb:
            # the failed record's change is gone
            assert gb.find_submission_notebook("a", "a", "ada").score == 2.0
        writer.record("ada", result("a", 1.0))  # a regrade updates the row
    finally:
        writer.close()
    with Gradebook(db) as gb:
        assert gb.find_submission_notebook("a", "a", "cy").score == 0.0
        assert gb.find_submission_notebook("a", "a", "ada").score == 1.0
