"""Does notebook 03's model answer to `q_latent_holes` describe what the
shipped 2-D autoencoder really draws?

The second fresh read of 01-03 (docs/reviews/2026-12-07b-student-read-01-03.md, A1) found the old
rubric rewarding "codes off the data decode to non-digits", while the shipped `ae_latent2` decodes
almost every code to a digit. What goes wrong is *which* digit: codes picked evenly over the plane
give some digits far more often than others. The model answer names them; this test labels 2,000
evenly picked codes' images by their nearest training image and checks the named digits against
those shares, so retrained weights that change the picture make the model answer fail here instead
of misleading the TA who grades with it.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from autograder import cells
from autograder.paths import release_notebook, source_notebook

NB = "03_conv_autoencoder"
CLAIM = re.compile(
    r"an even pick gives some digits \(here (\d), (\d), (\d)\) far more often than others "
    r"\((\d), (\d)\)"
)


def _model_answer_digits() -> tuple[list[int], list[int]]:
    """The digits the model answer calls frequent and rare in an even pick over the code plane."""
    nb = json.loads(source_notebook(NB).read_text(encoding="utf-8"))
    answer = next(
        cells.source_text(c)
        for c in nb["cells"]
        if cells.nbgrader_meta(c).get("grade_id") == "q_latent_holes"
    )
    found = CLAIM.search(" ".join(answer.split()))
    assert found, (
        f"{NB}: the model answer of q_latent_holes no longer names the frequent and the rare digits"
    )
    digits = [int(d) for d in found.groups()]
    return digits[:3], digits[3:]


def test_the_claim_pattern_reads_the_model_answer():
    """Does the pattern find both lists in the model answer, whatever its line breaks?"""
    frequent, rare = _model_answer_digits()
    assert len(frequent) == 3 and len(rare) == 2 and not set(frequent) & set(rare)


@pytest.mark.slow  # TensorFlow and the pretrained 2-D autoencoder: about 15 s
def test_an_even_pick_gives_the_named_digits_often_and_rarely():
    """Over the box of the 2nd-98th percentiles of the held-out codes (the
    grid's core), do the digits the model answer calls frequent each come out at
    least 12 % of the time, and the rare ones at most 5 % (10 % each in the
    data), when each decoded image is labelled by its nearest training image?"""
    from aekit import data

    frequent, rare = _model_answer_digits()
    (x_train, y_train), (x_test, _) = data.load_mnist(verbose=False)
    model = data.load_pretrained("ae_latent2.keras")
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    # (1000, 28, 28, 1) -> (1000, 2)
    codes = np.asarray(encoder(x_test))
    lo, hi = np.percentile(codes, [2, 98], axis=0)
    picks = np.random.default_rng(0).uniform(lo, hi, size=(2000, 2)).astype(np.float32)
    # (2000, 2) -> (2000, 784)
    images = np.asarray(decoder(picks)).reshape(len(picks), -1)
    train = x_train.reshape(len(x_train), -1)  # (4000, 784)
    distances = (images**2).sum(1)[:, None] - 2 * images @ train.T + (train**2).sum(1)[None]
    share = np.bincount(y_train[np.argmin(distances, axis=1)], minlength=10) / len(picks)
    assert all(share[d] >= 0.12 for d in frequent), (frequent, np.round(share, 3))
    assert all(share[d] <= 0.05 for d in rare), (rare, np.round(share, 3))


# --- 02, section 5: the table of lengths real Conv2DTranspose layers infer
# (issue 29, third fresh read, B1 and C1) ---

NB_02 = "02_transpose_conv"


def _keras_table_cases() -> list[tuple[int, int, int, str]]:
    """The (m, k, stride, padding) rows of 02's section-5 table, read from
    the cell that asks real layers."""
    nb = json.loads(source_notebook(NB_02).read_text(encoding="utf-8"))
    code = next(
        cells.source_text(c)
        for c in nb["cells"]
        if c.get("cell_type") == "code" and "your candidates" in cells.source_text(c)
    )
    return _keras_table_cases_of(code)


@pytest.mark.slow  # TensorFlow's import and a few dozen layers: about 10 s
def test_02_keras_table_has_one_refused_length_and_enough_to_read_the_rule_off():
    """Does 02's section-5 table hold what its text promises: exactly one length that is no
    candidate, for SAME with an even kernel and output_padding=0, which TensorFlow refuses to run;
    and rows with an even kernel and with a kernel shorter than the stride for each rule the student
    reads off (the text prints no rule)?"""
    import tensorflow as tf

    from tests.test_size_claims import _exercise

    candidates_of = _exercise(NB_02, "transpose_output_shapes")
    rows = _keras_table_cases()
    no_candidate = []
    for m, k, s, padding in rows:
        candidates = candidates_of(m, k, s, padding)
        for q in [None, *range(s)]:
            layer = tf.keras.layers.Conv2DTranspose(
                1, k, strides=s, padding=padding.lower(), output_padding=q
            )
            n = int(layer.compute_output_shape((1, m, m, 1))[1])
            if n not in candidates:
                no_candidate.append((m, k, s, padding, q, n, layer))
    assert [row[:5] for row in no_candidate] == [(7, 4, 2, "SAME", 0)], [
        row[:6] for row in no_candidate
    ]
    with pytest.raises((tf.errors.OpError, ValueError)):
        no_candidate[0][-1](tf.zeros((1, 7, 7, 1)))
    assert any(p == "SAME" and k % 2 == 0 for _, k, _, p in rows), "no SAME row with an even kernel"
    assert any(p == "VALID" and k < s for _, k, s, p in rows), (
        "no VALID row with a kernel shorter than the stride"
    )
    assert any(p == "VALID" and k >= s for _, k, s, p in rows), (
        "no VALID row with a kernel at least the stride"
    )
    # the fourth fresh read (C2): with SAME rows of k = 3 and 4 only, "(m -
    # 1)·s + 4 - k + q" fit every row
    for wrong_rule, extra in [
        ("(m - 1)·s + 4 - k + q", lambda k: 4 - k),
        ("(m - 1)·s + 1 + q for k = 3 only", lambda k: int(k == 3)),
    ]:
        assert any(
            m_s + extra(k) + q
            != int(
                tf.keras.layers.Conv2DTranspose(
                    1, k, strides=s, padding="same", output_padding=q
                ).compute_output_shape((1, m, m, 1))[1]
            )
            for m, k, s, p in rows
            if p == "SAME"
            for m_s in [(m - 1) * s]
            for q in range(s)
            if not (q == 0 and k % 2 == 0)
        ), f"the SAME rows do not rule out {wrong_rule}"


def _your_sizes_cell() -> str:
    """The release's code cell of 02's section 5 that prints the student's
    sizes next to real layers'."""
    nb = json.loads(release_notebook(NB_02).read_text(encoding="utf-8"))
    return next(
        cells.source_text(c)
        for c in nb["cells"]
        if c.get("cell_type") == "code" and "def your_keras_size" in cells.source_text(c)
    )


def _refusing_student(input_size, k, stride=1, padding="VALID", output_padding=None):
    """Keras's rule, raising for the case TensorFlow refuses (SAME, an even
    kernel, output_padding=0)."""
    if padding == "SAME" and k % 2 == 0 and output_padding == 0:
        raise ValueError("TensorFlow refuses this layer\nsecond line")
    if output_padding is None:
        return (
            input_size * stride if padding == "SAME" else (input_size - 1) * stride + max(k, stride)
        )
    return (input_size - 1) * stride + k - 2 * (k // 2 if padding == "SAME" else 0) + output_padding


def _broken_student(*args):
    raise TypeError("unsupported operand type(s)")


def _skipped(*args):
    raise NotImplementedError()


@pytest.mark.slow  # TensorFlow's import and a few dozen layers: about 10 s
@pytest.mark.parametrize(
    "student, shown",
    [
        (_refusing_student, "raises ValueError 'TensorFlow refuses this layer'"),
        (_broken_student, "raises TypeError 'unsupported operand type(s)'"),
        (_skipped, "None: - (layer"),
    ],
)
def test_02_your_sizes_cell_shows_what_a_raising_function_raised_in_one_line(
    student, shown, capsys
):
    """Does 02's "your rule on new sizes" cell run to the end for a student who
    raises for the case TensorFlow refuses (the fourth fresh read, C1: it stopped
    with a traceback), for one whose function raises everywhere, and for one who
    skipped the section, printing one line per row with what was raised?"""
    import tensorflow as tf

    code = _your_sizes_cell()
    rows = _keras_table_cases_of(code)
    exec(  # noqa: S102
        compile(code, "<02 your sizes>", "exec"), {"tf": tf, "keras_transpose_output_size": student}
    )
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == len(rows), printed
    assert (
        all(shown in line for line in printed)
        if student is not _refusing_student
        else [line for line in printed if shown in line]
        == [line for line in printed if "k=4 stride=2 SAME" in line]
    )
    assert not any("second line" in line or "Traceback" in line for line in printed)
    if student is _refusing_student:
        assert any("k=5" in line and "SAME" in line for line in printed), (
            "no SAME row with k = 5 (C2)"
        )


def _keras_table_cases_of(code: str) -> list[tuple[int, int, int, str]]:
    """The (m, k, stride, padding) rows of the first loop in a cell of 02's section 5."""
    import ast

    loop = next(node for node in ast.walk(ast.parse(code)) if isinstance(node, ast.For))
    return [tuple(row) for row in ast.literal_eval(loop.iter)]
