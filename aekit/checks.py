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
    except Exception as exc:  # noqa: BLE001  (ragged lists and the like: whatever np.array refuses fails the check)
        raise AssertionError(f"{name} returned something that is not an array: {exc}") from None
    if arr.dtype.kind not in "biuf":
        raise AssertionError(f"{name} should return numbers, got an array of dtype {arr.dtype}")
    return arr.astype(np.float64)


def _matches(actual: np.ndarray, other, atol: float, rtol: float) -> bool:
    other = np.asarray(other, dtype=np.float64)
    return actual.shape == other.shape and bool(
        np.all(np.abs(actual - other) <= atol + rtol * np.abs(other))
    )


def check_array(
    actual,
    expected,
    name: str,
    *,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    hints=(),
    context: str = "",
) -> None:
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
        raise AssertionError(f"{name} has shape {arr.shape}, expected {exp.shape}{suffix}")
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
        f"{name} is wrong: largest difference {diff.max():.4g} at index "
        f"{tuple(int(i) for i in where)} (got {arr[where]:.6g}, expected {exp[where]:.6g}){suffix}"
    )


def check_equal(actual, expected, name: str, *, hints=(), context: str = "") -> None:
    """Assert exact equality of plain Python values (ints, lists of ints, tuples, bools)."""
    suffix = f" [{context}]" if context else ""
    if isinstance(expected, bool) or not isinstance(expected, (int, list, tuple)):
        ok = type(actual) is type(expected) and actual == expected
    elif isinstance(expected, int):
        ok = (
            isinstance(actual, (int, np.integer))
            and not isinstance(actual, bool)
            and int(actual) == expected
        )
    else:
        ok = (
            isinstance(actual, (list, tuple, np.ndarray))
            and len(actual) == len(expected)
            and all(
                # lengths compared above
                isinstance(a, (int, np.integer)) and int(a) == e
                for a, e in zip(actual, expected, strict=False)
            )
        )
    if ok:
        return
    for wrong, message in hints:
        if _plain_equal(actual, wrong):
            raise AssertionError(f"{name}: {message}{suffix}")
    if (
        not isinstance(expected, bool)
        and isinstance(expected, (int, list, tuple))
        and _holds_a_float(actual)
    ):
        raise AssertionError(
            f"{name} returned {actual!r}: a float where an int is expected{suffix}"
        )
    raise AssertionError(f"{name} returned {actual!r}, expected {expected!r}{suffix}")


def _whole(value) -> int:
    """`value` as an int when it is a whole number (3.0 is; 2.5 is not:
    ValueError, never truncated to 2)."""
    whole = int(value)
    if float(value) != whole:
        raise ValueError(f"{value!r} is not a whole number")
    return whole


def _plain_equal(actual, wrong) -> bool:
    try:
        if isinstance(wrong, (list, tuple)):
            return (
                isinstance(actual, (list, tuple, np.ndarray))
                and len(actual) == len(wrong)
                and all(
                    # lengths compared above
                    _whole(a) == w
                    for a, w in zip(actual, wrong, strict=False)
                )
            )
        return _whole(actual) == wrong
    except (TypeError, ValueError, OverflowError):
        return False


def _holds_a_float(value) -> bool:
    """Is `value` a float (Python, NumPy or a float tensor), or a list,
    tuple or array holding one?"""
    if isinstance(value, (list, tuple)):
        return any(_holds_a_float(v) for v in value)
    dtype = getattr(value, "dtype", None)
    return (
        isinstance(value, (float, np.floating))
        or (isinstance(dtype, np.dtype) and dtype.kind == "f")
        or bool(getattr(dtype, "is_floating", False))
    )


def check_true(condition, message: str, *, context: str = "") -> None:
    """Assert that `condition` is exactly True (a bool or NumPy bool), else fail with `message`.

    Use it for properties that are not one value to compare: "the loss went
    down", "gradients reach `mu`". A truthy object that is not a bool fails.
    """
    suffix = f" [{context}]" if context else ""
    if not (isinstance(condition, (bool, np.bool_)) and bool(condition)):
        raise AssertionError(f"{message}{suffix}")


def compiled(fn):
    """`fn` compiled with `tf.function`, as `tf.function(train_step)` compiles
    the functions it calls (the Python code traced as it is). When grading,
    the exercise runs in the student's own kernel: it is compiled there."""
    if hasattr(fn, "compiled_in_kernel"):
        return fn.compiled_in_kernel
    import tensorflow as tf

    return tf.function(tf.autograph.experimental.do_not_convert(fn))


def grade_seed() -> int:
    """A seed chosen afresh each time a hidden test runs; quote it in messages.

    `AEKIT_GRADE_SEED` in the environment fixes it (to reproduce a failure).
    """
    fixed = os.environ.get("AEKIT_GRADE_SEED")
    if fixed is not None and fixed.strip().isdigit():
        return int(fixed)
    return int(np.random.SeedSequence().entropy % (2**31))


def check_gradient(
    f,
    point,
    grad,
    name: str,
    *,
    directions=(),
    h: float = 1e-2,
    rtol: float = 2e-2,
    context: str = "",
) -> None:
    """Assert that `grad`, what tf.GradientTape found for the scalar `f` at
    `point`, is how `f` really changes there.

    The slope the gradient gives along its own direction, and along each of
    `directions`, is compared with the central difference
    `(f(point + h*d) - f(point - h*d)) / (2*h)` of the same function (`d` of
    length 1). So the gradient of any function, right or wrong, passes when the
    tape saw the whole computation; a gradient that is not that function's
    (half of it taped, a sign lost, a forged one) fails.

    Args:
        f: takes a float64 array shaped like `point`, returns the scalar value.
        point: where the gradient was taken.
        grad: the gradient found there (array or tensor).
        name: e.g. "reconstruction_loss with respect to x_hat".
        directions: further directions to test, e.g. the reference gradient.
    """
    suffix = f" [{context}]" if context else ""
    label = f"the gradient of {name}"
    g = as_numeric_array(grad, label)
    p = np.asarray(point, dtype=np.float64)
    if g.shape != p.shape:
        raise AssertionError(f"{label} has shape {g.shape}, expected {p.shape}{suffix}")
    if not np.all(np.isfinite(g)):
        raise AssertionError(f"{label} contains NaN or inf{suffix}")
    norm = float(np.linalg.norm(g))
    if norm == 0.0:
        raise AssertionError(
            f"{label} is all zero: is the result cut from the graph (tf.stop_gradient, "
            f".numpy(), NumPy operations)?{suffix}"
        )
    for d in (g, *directions):
        d = np.asarray(d, dtype=np.float64)
        d = d / np.linalg.norm(d)
        slope = float(np.sum(g * d))
        changes = (float(f(p + h * d)) - float(f(p - h * d))) / (2.0 * h)
        if not abs(changes - slope) <= rtol * norm + 1e-3:
            raise AssertionError(
                f"{label} does not match how the value changes: along one "
                f"direction the gradient gives a slope of {slope:.4g}, the "
                f"value changes at {changes:.4g}; is part of the computation "
                f"done outside TensorFlow (NumPy, .numpy()) or a custom gradient?{suffix}"
            )


# Keras layers (and models) that the grader's trusted re-check rebuilds from a model's
# configuration, outside the student's kernel (autograder/trusted.py): only classes whose
# configuration carries no code. Other models (subclassed, Lambda or custom layers) are graded too,
# but stay in the student's kernel.
PLAIN_LAYERS = frozenset(
    """
    InputLayer Sequential Functional Model
    Dense Conv1D Conv2D Conv2DTranspose SeparableConv2D DepthwiseConv2D
    Flatten Reshape Permute RepeatVector UpSampling2D ZeroPadding2D Cropping2D Resizing Rescaling
    MaxPooling2D AveragePooling2D GlobalAveragePooling2D GlobalMaxPooling2D
    Activation ReLU LeakyReLU ELU PReLU Softmax Identity
    BatchNormalization LayerNormalization GroupNormalization UnitNormalization
    Dropout SpatialDropout2D GaussianNoise GaussianDropout
    Add Subtract Multiply Average Maximum Minimum Concatenate Dot
""".split()
)
_BLOCKED = frozenset(
    {"Lambda", "TFOpLambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer", "__lambda__"}
)


def model_problem(config) -> str | None:
    """Why a serialized Keras model (the dict of
    `json.loads(model.to_json())`) can't be rebuilt safely, or None."""

    def walk(node, is_layer: bool, depth: int) -> str | None:
        if depth > 60:
            return "it is nested too deeply"
        if isinstance(node, list):
            for item in node:
                problem = walk(item, is_layer, depth + 1)
                if problem:
                    return problem
            return None
        if not isinstance(node, dict):
            return None
        if set(node) == {"value"} and isinstance(node["value"], list):
            return "it uses a Python lambda (for example as an activation): use a name like 'relu'"
        if "class_name" in node and node.get("class_name") != "__keras_tensor__":
            name, module = node.get("class_name"), node.get("module")
            if name in _BLOCKED:
                return f"it contains a {name} layer, whose Python code the grader will not run"
            if not isinstance(module, str) or not (
                module == "keras" or module.startswith("keras.")
            ):
                return (
                    f"{name!s} is not a tf.keras class (a subclassed model "
                    "or a custom layer): build the model from "
                    "tf.keras.layers with tf.keras.Sequential or the functional API"
                )
            registered = node.get("registered_name")
            if registered is not None and (not isinstance(registered, str) or ">" in registered):
                return (
                    f"{name!s} is a custom, registered class: use the "
                    "layers of tf.keras.layers only"
                )
            if name == "function" and not isinstance(node.get("config"), str):
                return (
                    "it uses a custom function (for example as an "
                    "activation): use a name like 'relu'"
                )
            if is_layer and name not in PLAIN_LAYERS:
                return (
                    f"it contains a {name!s} layer, which the grader does not "
                    "rebuild: use the usual layers (Dense, Conv2D, "
                    "Conv2DTranspose, UpSampling2D, Reshape, Flatten, ...)"
                )
        for key, value in node.items():
            problem = walk(value, key == "layers" or (is_layer and key == "layer"), depth + 1)
            if problem:
                return problem
        return None

    if not isinstance(config, dict) or "class_name" not in config:
        return "it is not a Keras model configuration"
    return walk(config, True, 0)
