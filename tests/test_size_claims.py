"""Do the size rules that notebook 03 prints agree with the Keras sizes notebook 02 derives and checks?

Notebook 02's `keras_transpose_output_size` is held to real `Conv2DTranspose` layers by its hidden
test; notebook 03 quotes the same rules to students designing a decoder. Issue 29 found 03 printing
`(n - 1)·s + k` for VALID, which is wrong when the kernel is shorter than the stride.
"""
from __future__ import annotations

import json
import re

from autograder import cells
from autograder.paths import source_notebook

RULES = re.compile(r"maps `n`\s+pixels to `([^`]+)` with `padding=\"same\"`, and to `([^`]+)` with\s+"
                   r"`padding=\"valid\"`")


def _markdown(assignment: str) -> str:
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    return "\n".join(cells.source_text(c) for c in nb["cells"] if c.get("cell_type") == "markdown")


def _exercise(assignment: str, name: str):
    """The reference answer of one exercise, from the source notebook (our own code)."""
    nb = json.loads(source_notebook(assignment).read_text(encoding="utf-8"))
    code = next(cells.source_text(c) for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == name)
    namespace: dict = {}
    exec(compile(code, f"<{assignment} {name}>", "exec"), namespace)  # noqa: S102  (the course's own answer)
    return namespace[name]


def _as_python(rule: str) -> str:
    return rule.replace("·", "*").replace("−", "-")


def test_03_transpose_sizes_are_02s_keras_sizes():
    """Are 03's SAME and VALID Conv2DTranspose sizes 02's (for kernels shorter than the stride too)?"""
    found = RULES.search(_markdown("03_conv_autoencoder"))
    assert found, "03 no longer states the Conv2DTranspose size rules in the expected sentence"
    same, valid = (_as_python(rule) for rule in found.groups())
    keras_size = _exercise("02_transpose_conv", "keras_transpose_output_size")
    wrong = []
    for n in range(1, 9):
        for k in range(1, 7):
            for s in range(1, 5):
                for padding, rule in (("SAME", same), ("VALID", valid)):
                    stated = eval(rule, {"max": max}, {"n": n, "k": k, "s": s})  # noqa: S307  (our own text)
                    if stated != keras_size(n, k, s, padding):
                        wrong.append((n, k, s, padding, stated, keras_size(n, k, s, padding)))
    assert not wrong, wrong[:5]
