"""Assertions for the notebooks' test cells, with messages a student can act on.

Every check looks at type and shape before values, so an answer of the wrong
kind fails with a sentence about what is wrong rather than a broadcasting
error. `hints` lets a test name the mistake it recognises: each is a pair
`(wrong_answer, message)`, and when the student's value equals `wrong_answer`
the message is reported instead of a generic mismatch.
"""
from __future__ import annotations

import os

import numpy as np


def as_numeric_array(value, name: str) -> np.ndarray:
    """Convert a NumPy array, TensorFlow tensor, list or number to a float64 array.

    Raises:
        AssertionError: `value` is not numeric data (None, a string, an object
            whose comparisons are overridden, ...).
    """
    if value is None:
        raise AssertionError(f"{name} returned None: did you forget `return`?")
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if not isinstance(value, (np.ndarray, np.generic, list, tuple, int, float)):
        raise AssertionError(
            f"{name} should return a NumPy array (or a tf.Tensor), got {type(value).__name__}"
        )
    try:
        arr = np.array(value)
    except Exception as exc:  # ragged lists and the like
        raise AssertionError(f"{name} returned something that is not an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise AssertionError(f"{name} should return numbers, got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _matches(actual: np.ndarray, other, atol: float, rtol: float) -> bool:
    other = np.asarray(other, dtype=np.float64)
    return actual.shape == other.shape and bool(
        np.all(np.abs(actual - other) <= atol + rtol * np.abs(other))
    )


def check_array(actual, expected, name: str, *, atol: float = 1e-5, rtol: float = 1e-5,
                hints=(), context: str = "") -> None:
    """Assert that `actual` equals `expected` in shape and, within tolerance, in value.

    Args:
        actual: the student's result.
        expected: the reference result.
        name: how to call the result in a message, e.g. "conv2d_naive(image, kernel)".
        atol, rtol: tolerances as in `np.allclose`.
        hints: pairs `(wrong_answer, message)` for recognised mistakes.
        context: appended to every message, e.g. the inputs or the random seed.
    """
    suffix = f" [{context}]" if context else ""
    arr = as_numeric_array(actual, name)
    exp = np.asarray(expected, dtype=np.float64)
    if arr.shape != exp.shape:
        for wrong, message in hints:
            if _matches(arr, wrong, atol, rtol):
                raise AssertionError(f"{name}: {message}{suffix}")
        raise AssertionError(
            f"{name} has shape {arr.shape}, expected {exp.shape}{suffix}"
        )
    if not np.all(np.isfinite(arr)) and np.all(np.isfinite(exp)):
        raise AssertionError(f"{name} contains NaN or inf{suffix}")
    if _matches(arr, exp, atol, rtol):
        return
    for wrong, message in hints:
        if _matches(arr, wrong, atol, rtol):
            raise AssertionError(f"{name}: {message}{suffix}")
    diff = np.abs(arr - exp)
    where = np.unravel_index(int(np.argmax(diff)), diff.shape) if diff.ndim else ()
    raise AssertionError(
        f"{name} is wrong: largest difference {diff.max():.4g} at index {tuple(int(i) for i in where)} "
        f"(got {arr[where]:.6g}, expected {exp[where]:.6g}){suffix}"
    )


def check_equal(actual, expected, name: str, *, hints=(), context: str = "") -> None:
    """Assert exact equality of plain Python values (ints, lists of ints, tuples, bools)."""
    suffix = f" [{context}]" if context else ""
    if isinstance(expected, bool) or not isinstance(expected, (int, list, tuple)):
        ok = type(actual) is type(expected) and actual == expected
    elif isinstance(expected, int):
        ok = isinstance(actual, (int, np.integer)) and not isinstance(actual, bool) \
            and int(actual) == expected
    else:
        ok = isinstance(actual, (list, tuple, np.ndarray)) and len(actual) == len(expected) and all(
            isinstance(a, (int, np.integer)) and int(a) == e for a, e in zip(actual, expected)
        )
    if ok:
        return
    for wrong, message in hints:
        if _plain_equal(actual, wrong):
            raise AssertionError(f"{name}: {message}{suffix}")
    raise AssertionError(f"{name} returned {actual!r}, expected {expected!r}{suffix}")


def _plain_equal(actual, wrong) -> bool:
    try:
        if isinstance(wrong, (list, tuple)):
            return isinstance(actual, (list, tuple, np.ndarray)) and len(actual) == len(wrong) and all(
                int(a) == w for a, w in zip(actual, wrong)
            )
        return int(actual) == wrong
    except (TypeError, ValueError):
        return False


def check_true(condition, message: str, *, context: str = "") -> None:
    """Assert that `condition` is exactly True (a bool or NumPy bool), else fail with `message`.

    Use it for properties that are not one value to compare: "the loss went
    down", "gradients reach `mu`". A truthy object that is not a bool fails.
    """
    suffix = f" [{context}]" if context else ""
    if not (isinstance(condition, (bool, np.bool_)) and bool(condition)):
        raise AssertionError(f"{message}{suffix}")


def grade_seed() -> int:
    """A seed chosen afresh each time a hidden test runs; quote it in messages.

    `AEKIT_GRADE_SEED` in the environment fixes it (to reproduce a failure).
    """
    fixed = os.environ.get("AEKIT_GRADE_SEED")
    if fixed is not None and fixed.strip().isdigit():
        return int(fixed)
    return int(np.random.SeedSequence().entropy % (2**31))
