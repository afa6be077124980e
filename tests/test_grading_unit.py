"""Fast checks of the grader's bookkeeping (no kernel)."""
import json

from autograder import grade, pipeline, selftest

A = "01_conv_as_matrix"


def test_the_cache_key_changes_with_limits_sources_and_submission(tmp_path):
    """Does a verdict's key change when the limits or the submission change, so nothing stale is reused?"""
    path = tmp_path / f"{A}.ipynb"
    path.write_text(json.dumps(selftest.build_submission(A)))
    key = grade._digest(path, A, "300|4.0|30")
    assert grade._digest(path, A, "300|4.0|30") == key
    assert grade._digest(path, A, "300|0.1|30") != key and grade._digest(path, A, "60|4.0|30") != key
    path.write_text(json.dumps(selftest.build_submission(A, blank=True)))
    assert grade._digest(path, A, "300|4.0|30") != key
    assert grade._digest(None, A, "300|4.0|30") != key


def test_a_notebook_is_refused_by_size_and_cell_count_before_it_is_parsed(tmp_path):
    """Are an empty file, a file with too many cells and a non-notebook refused, each with a reason?"""
    cases = {"empty": b"", "cells": b'{"cells": [' + b",".join([b'{"cell_type": "code"}'] * 3000) + b"]}",
             "json": b"not json", "list": b"[]"}
    for name, data in cases.items():
        p = tmp_path / f"{name}.ipynb"
        p.write_bytes(data)
        nb, why = pipeline.read_submission(p)
        assert nb is None and why, name
    assert "cells" in pipeline.read_submission(tmp_path / "cells.ipynb")[1]
    good = tmp_path / "good.ipynb"
    good.write_text(json.dumps(selftest.build_submission(A)))
    assert pipeline.read_submission(good)[0] is not None
