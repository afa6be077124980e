"""Do the size rules that notebook 03 prints agree with the Keras sizes
notebook 02 derives and checks?

Notebook 02's `keras_transpose_output_size` is held to real `Conv2DTranspose` layers by its hidden
test; notebook 03 quotes the SAME rule to students designing a decoder. Issue 29 found 03 printing
`(n - 1)·s + k` for VALID, which is wrong when the kernel is shorter than the stride; a later fresh
read (docs/reviews/2026-12-07c-student-read-01-03.md, B1) found 03's VALID rule answering 02's
`q_transpose_sizes`, so 03 now states only the SAME size and sends students to the sizes real
layers show in 02's section 5.
"""

from __future__ import annotations

import json
import re

from autograder import cells
from autograder.paths import release_notebook, source_notebook

SAME_RULE = re.compile(
    r"with `padding=\"same\"`, a stride-`s` `Conv2DTranspose` maps `n` pixels to `([^`]+)`"
)


def _markdown(assignment: str) -> str:
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    return "\n".join(cells.source_text(c) for c in nb["cells"] if c.get("cell_type") == "markdown")


def _exercise(assignment: str, name: str):
    """The reference answer of one exercise, from the source notebook (our own code)."""
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    code = next(
        cells.source_text(c) for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == name
    )
    namespace: dict = {}
    exec(compile(code, f"<{assignment} {name}>", "exec"), namespace)  # noqa: S102  (the course's own answer)
    return namespace[name]


def _as_python(rule: str) -> str:
    return rule.replace("·", "*").replace("−", "-")


def test_03_transpose_sizes_are_02s_keras_sizes():
    """Is 03's SAME Conv2DTranspose size 02's, and does 03 state no VALID
    size (02's derive answer)?"""
    text = " ".join(_markdown("03_conv_autoencoder").split())
    found = SAME_RULE.search(text)
    assert found, "03 no longer states the SAME Conv2DTranspose size in the expected sentence"
    assert 'padding="valid"' not in text[found.start() - 400 : found.end() + 400], (
        "03 states a VALID Conv2DTranspose size beside the SAME one: the "
        "smallest VALID candidate answers 02's question"
    )
    same = _as_python(found.group(1))
    keras_size = _exercise("02_transpose_conv", "keras_transpose_output_size")
    wrong = [
        (n, k, s, eval(same, {}, {"n": n, "k": k, "s": s}), keras_size(n, k, s, "SAME"))  # noqa: S307  (our own text)
        for n in range(1, 9)
        for k in range(1, 7)
        for s in range(1, 5)
        if eval(same, {}, {"n": n, "k": k, "s": s}) != keras_size(n, k, s, "SAME")  # noqa: S307
    ]
    assert not wrong, wrong[:5]


# 02's sections before `q_transpose_sizes`: the fourth fresh read
# (docs/reviews/2026-12-07d-student-read-01-03.md, B1) found the canvas length, the smallest VALID
# candidate the question asks for, printed in a docstring before it
CANVAS_FORMS = [
    "(m_h - 1) * stride + kh",
    "(m_w - 1) * stride + kw",
    "(m - 1) * stride + k",
    "(m - 1) * s + k",
    "(m_h - 1) * s + kh",
    "(input_size - 1) * stride + k",
]


def test_02_states_no_canvas_length_before_q_transpose_sizes():
    """Does 02's release, in its text and in the exercises' docstrings before
    the question `q_transpose_sizes`, leave the canvas length (the smallest
    VALID candidate) for the student to work out from the picture?"""
    from tests.test_hints import normalise

    nb = json.loads(release_notebook("02_transpose_conv").read_text(encoding="utf-8"))
    question = next(
        i
        for i, c in enumerate(nb["cells"])
        if cells.nbgrader_meta(c).get("grade_id") == "q_transpose_sizes"
    )
    read = [
        (i, cells.source_text(c))
        for i, c in enumerate(nb["cells"][:question])
        if c.get("cell_type") == "markdown" or cells.nbgrader_meta(c).get("solution")
    ]
    assert any("canvas" in text for _, text in read), (
        "02 no longer shows the canvas before the question"
    )
    stated = [
        (i, form) for i, text in read for form in CANVAS_FORMS if normalise(form) in normalise(text)
    ]
    assert not stated, stated
