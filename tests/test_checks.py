"""aekit.checks.check_gradient: the slope test that gradient cells use (inside the kernel and in the re-check)."""
import numpy as np
import pytest

from aekit import checks


def _quadratic(p):
    return float(np.sum(p ** 2) / 3.0)


POINT = np.random.default_rng(0).normal(size=(3, 4))


def test_the_true_gradient_of_any_function_passes():
    """Do the exact gradients of the reference loss and of a differently scaled one both pass?"""
    checks.check_gradient(_quadratic, POINT, 2 * POINT / 3, "q", directions=[POINT])
    mean = lambda p: float(np.mean(p ** 2))
    checks.check_gradient(mean, POINT, 2 * POINT / POINT.size, "q", directions=[POINT])


@pytest.mark.parametrize("grad, message", [
    (4 * POINT / 3, "does not match how the value changes"),       # twice the gradient
    (-2 * POINT / 3, "does not match how the value changes"),      # a sign lost
    (np.ones_like(POINT), "does not match how the value changes"),  # invented where none existed
    (np.zeros_like(POINT), "all zero"),
    (np.ones((2, 2)), "shape"),
    (np.full_like(POINT, np.nan), "NaN"),
])
def test_a_gradient_that_is_not_the_functions_fails(grad, message):
    """Are forged, scaled, sign-flipped, zero, misshapen and non-finite gradients refused with a clear message?"""
    with pytest.raises(AssertionError, match=message):
        checks.check_gradient(_quadratic, POINT, grad, "q", directions=[POINT])


def test_a_gradient_off_the_reference_direction_is_caught_by_it():
    """A gradient a (1 - a) |t|^2 = |o|^2 away passes along its own direction; the reference direction catches it."""
    true = 2 * POINT / 3
    other = np.random.default_rng(1).normal(size=POINT.shape)
    other -= np.sum(other * true) / np.sum(true * true) * true  # orthogonal to the true gradient
    other *= 0.5 * np.linalg.norm(true) / np.linalg.norm(other)  # a = 0.5: |o|^2 = 0.25 |t|^2
    forged = 0.5 * true + other
    checks.check_gradient(_quadratic, POINT, forged, "q")  # its own direction alone is fooled
    with pytest.raises(AssertionError, match="does not match"):
        checks.check_gradient(_quadratic, POINT, forged, "q", directions=[POINT])
