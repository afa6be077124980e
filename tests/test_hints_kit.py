"""Does any notebook of the student kit give away another exercise's answer?

Students get all six notebooks at once (README "For students"), so a closed form of notebook 01
printed in notebook 02 answers 01's exercise as surely as a hint in 01 itself. These checks read
every cell of every released notebook a student can read (markdown, provided code, the exercise
cells' docstrings and the test cells) for the closed forms of every notebook's derive, predict and
design exercises (docs/contracts/closed_forms.md, read by tests/test_hints.py, whose helpers these
reuse). A second check looks for 03's design puzzle solved in code: a chain of Keras layers that
brings a small feature map up to 28 × 28, or a 4 × 4 map to 7 × 7, in a provided or test cell of
any notebook (05's provided VAE decoder once was such a chain: with a sigmoid added, a full-marks
answer to 03's `build_decoder`).
"""

from __future__ import annotations

import ast
import json

import pytest

from autograder import cells
from autograder.paths import available_assignments, release_notebook
from tests.test_hints import closed_forms, stated_forms

ASSIGNMENTS = available_assignments()


def cell_kind(cell: dict) -> str:
    """What a student sees in a released cell: markdown, provided code, an exercise, or a test."""
    meta = cells.nbgrader_meta(cell)
    if cell.get("cell_type") == "markdown":
        return "markdown"
    if meta.get("grade"):
        return "test"
    if meta.get("solution"):
        return "exercise"
    return "provided"


def released_cells(assignment: str) -> list[tuple[int, str, str, str]]:
    """(index, kind, grade_id, text) of every cell of the student release of `assignment`."""
    nb = json.loads(release_notebook(assignment).read_text(encoding="utf-8"))
    return [
        (i, cell_kind(c), cells.nbgrader_meta(c).get("grade_id") or "", cells.source_text(c))
        for i, c in enumerate(nb["cells"])
    ]


def forms_stated_in(text: str) -> list[str]:
    """Every closed form, of any notebook's exercises, that `text` contains."""
    return [f"{a}.{found}" for a in closed_forms() for found in stated_forms(a, text)]


def test_the_kit_check_finds_a_form_of_another_notebook():
    """Would the check catch 02's old provided copy of 01's answers, and
    pass an explanation without a form?"""
    old_02_provided = (
        'def conv_output_size(n, k, stride=1, padding="VALID"):\n'
        '    """floor((n - k) / stride) + 1 (VALID), ceil(n / stride) (SAME)."""\n'
        "    i, j = r * stride + a - top, c * stride + b - left\n"
    )
    found = forms_stated_in(old_02_provided)
    assert "01_conv_as_matrix.conv_output_size: (n - k) / s" in found, found
    assert any(f.startswith("01_conv_as_matrix.conv_matrix:") for f in found), found
    assert "03_conv_autoencoder.build_decoder: 7 → 14 → 28" in forms_stated_in(
        "From 7 × 7: 7 → 14 → 28"
    )
    assert not forms_stated_in("Use the sizes of your conv_output_size from notebook 01.")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_released_cell_states_a_closed_form_of_any_notebook(assignment):
    """Does no markdown, provided code, exercise docstring or test cell of this release state any
    notebook's closed form (the kit ships all six notebooks together)?"""
    found = [
        f"{assignment} [{i}] {f'{kind} {gid}'.strip()}: {', '.join(stated)}"
        for i, kind, gid, text in released_cells(assignment)
        if (stated := forms_stated_in(text))
    ]
    assert not found, "closed forms stated in the release:\n" + "\n".join(found)


# --- 03's design puzzle solved in code
# ------------------------------------------------------------------------


def _literal(node: ast.AST | None):
    try:
        return ast.literal_eval(node) if node is not None else None
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None


def _argument(call: ast.Call, position: int, name: str):
    for kw in call.keywords:
        if kw.arg == name:
            return _literal(kw.value)
    return _literal(call.args[position]) if len(call.args) > position else None


def _side(value) -> int | None:
    """One side of a square size argument: 3 or (3, 3) -> 3; None when unknown or not square."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and value[0] == value[1]
        and isinstance(value[0], int)
    ):
        return value[0]
    return None


def _keras_transpose_size(n: int, k: int, s: int, padding: str, q) -> int:
    """Keras 3's Conv2DTranspose output length (checked in notebook 02 by
    keras_transpose_output_size's tests)."""
    if q is None:
        return n * s if padding == "same" else (n - 1) * s + max(k, s)
    return (n - 1) * s + k - 2 * (k // 2 if padding == "same" else 0) + q


def _square_map(shape) -> int | None:
    """The side of a square feature map from a Reshape target or a tensor
    shape: (7, 7, 64), (1, 4, 4, 8)."""
    if not isinstance(shape, (tuple, list)) or not all(isinstance(d, int) for d in shape):
        return None
    if len(shape) == 3 and shape[0] == shape[1]:
        return shape[0]
    if len(shape) == 4 and shape[1] == shape[2]:
        return shape[1]
    return None


def upsampling_chains(code: str) -> list[str]:
    """The ways `code` takes a small square map (a Reshape target, a tf.zeros or Input shape)
    through at least one Conv2DTranspose up to 28 x 28, or from 4 x 4 to 7 x 7. Layers are read in
    source order, and each may apply to any map reached before it: a cell that builds the layers
    without calling them in a chain (two alternatives side by side) is read generously."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    calls = sorted(
        (n for n in ast.walk(tree) if isinstance(n, ast.Call)),
        key=lambda n: (n.lineno, n.col_offset),
    )
    # size -> (the map it started from, the layers to it)
    reached: dict[int, tuple[int, list[str]]] = {}
    found: list[str] = []
    for call in calls:
        func = (
            call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")
        )
        if func in ("Reshape", "zeros", "ones", "Input"):
            side = _square_map(_argument(call, 0, "target_shape" if func == "Reshape" else "shape"))
            if side is not None and side < 28:
                reached.setdefault(side, (side, []))
            continue
        if func == "Conv2DTranspose":
            k, s = (
                _side(_argument(call, 1, "kernel_size")),
                _side(_argument(call, 2, "strides")) or 1,
            )
            padding = str(_argument(call, 3, "padding") or "valid").lower()
            q = _side(_argument(call, 4, "output_padding"))
            if k is None:
                continue
            step = lambda n, k=k, s=s, padding=padding, q=q: _keras_transpose_size(
                n, k, s, padding, q
            )
        elif func == "Cropping2D":
            c = _side(_argument(call, 0, "cropping"))
            if c is None:
                continue
            step = lambda n, c=c: n - 2 * c
        else:
            continue
        for size, (start, steps) in list(reached.items()):
            new = step(size)
            if new in reached or new <= 0:
                continue
            path = steps + [f"{func} -> {new}"]
            reached[new] = (start, path)
            if any(p.startswith("Conv2DTranspose") for p in path) and (
                new == 28 or (start == 4 and new == 7)
            ):
                found.append(f"{start}x{start}: " + ", ".join(path))
    return found


OLD_03_TEST_DECODER = """tiny_decoder = tf.keras.Sequential([
    tf.keras.Input(shape=(4,)),
    layers.Dense(14 * 14 * 4, activation="relu"),
    layers.Reshape((14, 14, 4)),
    layers.Conv2DTranspose(1, 3, strides=2, padding="same", activation="sigmoid"),
])"""
OLD_02_PUZZLE_DEMO = """decoder_in = tf.zeros((1, 4, 4, 8))
default = tf.keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
fixed = tf.keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same", output_padding=0)"""
SEVEN_TO_28 = """decoder = tf.keras.Sequential([tf.keras.Input(shape=(16,)), layers.Dense(7 * 7 * 64), layers.Reshape((7, 7, 64)),
    layers.Conv2DTranspose(32, 3, strides=2, padding="same"), layers.Conv2DTranspose(1, 3, 2, "same")])"""  # noqa: E501  (verbatim text: its lines are what the code feeds on)
OLD_05_PROVIDED_DECODER = """def build_vae_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(64, activation="relu"),                                          # (B, latent_dim) -> (B, 64)
        layers.Dense(7 * 7 * 32, activation="relu"),                                  # (B, 64) -> (B, 1568)
        layers.Reshape((7, 7, 32)),                                                   # (B, 1568) -> (B, 7, 7, 32)
        layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu"),  # -> (B, 14, 14, 16)
        layers.Conv2DTranspose(1, 3, strides=2, padding="same"),                      # -> (B, 28, 28, 1) logits
    ], name="decoder")"""  # noqa: E501  (verbatim text: its lines are what the code feeds on)
CROP_FROM_4 = """x = layers.Reshape((4, 4, 8))(h)
x = layers.Conv2DTranspose(8, 3, strides=(2, 2), padding="same")(x)
x = layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x)
x = layers.Conv2DTranspose(8, 3, strides=2, padding="same")(x)
x = layers.Cropping2D(2)(x)"""


def test_the_decoder_check_recognises_solved_puzzles():
    """Would the check catch 03's old visible test models, 02's old 4x4 demo and 05's old provided
    decoder, and pass layers that solve nothing?"""
    assert upsampling_chains(OLD_03_TEST_DECODER) == ["14x14: Conv2DTranspose -> 28"]
    assert upsampling_chains(OLD_05_PROVIDED_DECODER) == [
        "7x7: Conv2DTranspose -> 14, Conv2DTranspose -> 28"
    ]
    assert upsampling_chains(OLD_02_PUZZLE_DEMO) == ["4x4: Conv2DTranspose -> 7"]
    assert upsampling_chains(SEVEN_TO_28) == ["7x7: Conv2DTranspose -> 14, Conv2DTranspose -> 28"]
    assert (
        upsampling_chains(
            "y = layers.Conv2DTranspose(1, (3, 2), strides=2, "
            "padding='same')(tf.zeros((1, 3, 4, 1)))"
        )
        == []
    )
    assert (
        upsampling_chains(
            "tf.keras.Sequential([tf.keras.Input(shape=(4,)), layers.Dense(28 * 28), "
            "layers.Reshape((28, 28, 1))])"
        )
        == []
    )
    assert upsampling_chains(CROP_FROM_4) == [
        "4x4: Conv2DTranspose -> 8, Conv2DTranspose -> 16, Conv2DTranspose -> 32, Cropping2D -> 28"
    ]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_provided_or_test_cell_builds_a_decoder_to_28(assignment):
    """Does no provided or test cell of this release build 03's decoder
    puzzle's answer: a small map up to 28x28 through Conv2DTranspose
    layers, or 4x4 to 7x7 (the kit ships all six notebooks together)?"""
    found = [
        f"{assignment} [{i}] {f'{kind} {gid}'.strip()}: {chain}"
        for i, kind, gid, text in released_cells(assignment)
        if kind in ("provided", "test")
        for chain in upsampling_chains(text)
    ]
    assert not found, "03's decoder puzzle solved in code:\n" + "\n".join(found)
