"""aekit.checks.check_gradient: the slope test that gradient cells use
(inside the kernel and in the re-check)."""

import numpy as np
import pytest

from aekit import checks


def _quadratic(p):
    return float(np.sum(p**2) / 3.0)


POINT = np.random.default_rng(0).normal(size=(3, 4))


def test_the_true_gradient_of_any_function_passes():
    """Do the exact gradients of the reference loss and of a differently scaled one both pass?"""
    checks.check_gradient(_quadratic, POINT, 2 * POINT / 3, "q", directions=[POINT])
    mean = lambda p: float(np.mean(p**2))
    checks.check_gradient(mean, POINT, 2 * POINT / POINT.size, "q", directions=[POINT])


@pytest.mark.parametrize(
    "grad, message",
    [
        (4 * POINT / 3, "does not match how the value changes"),  # twice the gradient
        (-2 * POINT / 3, "does not match how the value changes"),  # a sign lost
        (
            np.ones_like(POINT),
            "does not match how the value changes",
        ),  # invented where none existed
        (np.zeros_like(POINT), "all zero"),
        (np.ones((2, 2)), "shape"),
        (np.full_like(POINT, np.nan), "NaN"),
    ],
)
def test_a_gradient_that_is_not_the_functions_fails(grad, message):
    """Are forged, scaled, sign-flipped, zero, misshapen and non-finite
    gradients refused with a clear message?"""
    with pytest.raises(AssertionError, match=message):
        checks.check_gradient(_quadratic, POINT, grad, "q", directions=[POINT])


def test_a_gradient_off_the_reference_direction_is_caught_by_it():
    """A gradient a (1 - a) |t|^2 = |o|^2 away passes along its own
    direction; the reference direction catches it."""
    true = 2 * POINT / 3
    other = np.random.default_rng(1).normal(size=POINT.shape)
    other -= np.sum(other * true) / np.sum(true * true) * true  # orthogonal to the true gradient
    other *= 0.5 * np.linalg.norm(true) / np.linalg.norm(other)  # a = 0.5: |o|^2 = 0.25 |t|^2
    forged = 0.5 * true + other
    checks.check_gradient(_quadratic, POINT, forged, "q")  # its own direction alone is fooled
    with pytest.raises(AssertionError, match="does not match"):
        checks.check_gradient(_quadratic, POINT, forged, "q", directions=[POINT])


# --- check_equal: a float where an int is expected (issue 29, fourth fresh read of 01-03, C3) ---


@pytest.mark.parametrize(
    "actual", [2.5, np.float64(2.5), np.float32(3.5), [2, 2.5], np.array([2.0, 2.5])]
)
def test_a_fraction_where_an_int_is_expected_is_called_a_float_not_a_truncated_hint(actual):
    """Is a non-whole float (01's SAME `n / s` = 2.5 for 5 // 2 + 1 = 3) reported as a float, never
    matched to the hint of the int it truncates to (int(2.5) == 2 is "one window too few")?"""
    expected = 3 if np.ndim(actual) == 0 else [2, 3]
    hints = [(2, "one window too few"), ([2, 2], "one window too few")]
    with pytest.raises(AssertionError, match="a float where an int is expected") as caught:
        checks.check_equal(actual, expected, "conv_output_size(5, 3, 2, 'SAME')", hints=hints)
    assert "too few" not in str(caught.value) and "expected 3" not in str(caught.value)


def test_a_whole_float_still_meets_the_hints_and_an_int_still_passes():
    """Does a whole float still match its hint (3.0: the test's own float hint; 2.0: one window too
    few), does a float with no hint say float, and do an int and a NumPy int still pass?"""
    hints = [(3.0, "a float, return an int"), (2, "one window too few")]
    with pytest.raises(AssertionError, match="a float, return an int"):
        checks.check_equal(3.0, 3, "f()", hints=hints)
    with pytest.raises(AssertionError, match="one window too few"):
        checks.check_equal(2.0, 3, "f()", hints=hints)
    with pytest.raises(AssertionError, match="a float where an int is expected"):
        checks.check_equal(4.0, 3, "f()", hints=hints)
    with pytest.raises(AssertionError, match=r"returned 4, expected 3"):
        checks.check_equal(4, 3, "f()", hints=hints)
    with pytest.raises(AssertionError, match=r"returned inf: a float"):
        checks.check_equal(float("inf"), 3, "f()", hints=hints)
    checks.check_equal(3, 3, "f()", hints=hints)
    checks.check_equal(np.int64(3), 3, "f()", hints=hints)
    checks.check_equal([np.int32(2), 3], [2, 3], "f()")
