"""autograder.seedsweep: re-running test cells under many grade seeds finds
verdicts that depend on luck."""

import pytest

from autograder import seedsweep, selftest

SEEDS = [1000, 8919]


@pytest.mark.xdist_group("seedsweep")
def test_the_reference_and_a_wrong_student_get_their_verdicts_for_every_seed():
    """Does the reference pass every seeded cell of 01, and does a
    flipped-kernel student fail exactly its cells?"""
    assert seedsweep.sweep("01_conv_as_matrix", "reference", {}, set(), SEEDS) == {}
    case = next(c for c in selftest.cases("01_conv_as_matrix") if c.name == "flipped_kernel")
    assert (
        seedsweep.sweep(
            "01_conv_as_matrix",
            case.name,
            case.overrides,
            set(case.expect_failed),
            SEEDS,
            expect_message=case.expect_message,
        )
        == {}
    )


@pytest.mark.xdist_group("seedsweep")
def test_a_failure_for_another_reason_than_the_expected_one_is_reported_per_seed():
    """A wrong student that fails its cell, but with a message that lacks the
    words its file expects (another check fired first), is luck too: the CI run
    of 2026-12-07 failed on such a student of 03."""
    case = next(c for c in selftest.cases("01_conv_as_matrix") if c.name == "flipped_kernel")
    cell = "test_conv2d_naive_hidden"  # seeded (the sweep re-runs seeded cells)
    surprises = seedsweep.sweep(
        "01_conv_as_matrix",
        case.name,
        case.overrides,
        set(case.expect_failed),
        SEEDS,
        expect_message={cell: "words no message of ours contains"},
    )
    assert list(surprises) == [cell]
    assert [note.split(":")[0] for note in surprises[cell]] == ["seed 1000", "seed 8919"]
    assert all("lacks 'words no message" in note for note in surprises[cell])


@pytest.mark.xdist_group("seedsweep")
def test_a_verdict_other_than_the_expected_one_is_reported_per_seed():
    """Expecting the reference to fail a cell it passes must be reported
    for each seed, with the seed."""
    surprises = seedsweep.sweep(
        "01_conv_as_matrix", "reference", {}, {"test_conv_matrix_hidden"}, SEEDS
    )
    assert list(surprises) == ["test_conv_matrix_hidden"]
    assert [note.split(":")[0] for note in surprises["test_conv_matrix_hidden"]] == [
        "seed 1000",
        "seed 8919",
    ]


def test_an_unknown_notebook_is_one_line_not_a_traceback(capsys):
    assert seedsweep.main(["07"]) == 2
    assert "unknown notebook '07'" in capsys.readouterr().err
