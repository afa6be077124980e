"""Does notebook 02's stamp explorer draw what it claims, quickly, without TensorFlow?"""

import io
import itertools
import subprocess
import sys

import numpy as np

from aekit.widgets import drawing, transpose
from tests.redraw import RedrawClock


def _sizes(m, k, stride=1, padding="VALID"):
    """Brute force over n: the lengths whose convolution has length m (TensorFlow's rounding)."""

    def conv_len(n):
        return -(-n // stride) if padding == "SAME" else (n - k) // stride + 1

    return [
        n
        for n in range(1, m * stride + k + 1)
        if conv_len(n) == m and (padding == "SAME" or n >= k)
    ]


def _scatter(x, kernel, output_shape, stride=1, padding="VALID"):
    """Four loops and a bounds check; SAME crops the smaller half of the padding on top / left."""
    (mh, mw), (kh, kw), (h, w) = x.shape, kernel.shape, output_shape
    top = max((mh - 1) * stride + kh - h, 0) // 2 if padding == "SAME" else 0
    left = max((mw - 1) * stride + kw - w, 0) // 2 if padding == "SAME" else 0
    out = np.zeros((h, w))
    for r, c, a, b in itertools.product(range(mh), range(mw), range(kh), range(kw)):
        i, j = r * stride + a - top, c * stride + b - left
        if 0 <= i < h and 0 <= j < w:
            out[i, j] += x[r, c] * kernel[a, b]
    return out


def _parts(ex):
    """The explorer's controls: (pixel, stride, kernel, input, padding, size, status, image)."""
    (pixel, s), (k, n), (pad, size) = (ex.children[i].children for i in range(3))
    return pixel, s, k, n, pad, size, ex.children[3], ex.children[4]


def test_import_is_light():
    """Does importing the module leave TensorFlow, matplotlib, PIL and ipywidgets unimported?"""
    code = (
        "import sys; import aekit.widgets.transpose; "
        "print(sorted(m for m in ('tensorflow', 'matplotlib', 'PIL', "
        "'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_reference_scatter_is_the_lectures():
    """Is this test's own scatter the lecture's transpose (so the explorer
    is tested on a right answer)?"""
    x = np.array([[2.0, 1.0], [1.0, 3.0]])
    got = _scatter(x, transpose.ordinal_kernel(3), (4, 4))
    np.testing.assert_array_equal(got[0], [2, 5, 8, 3])
    assert _sizes(2, 3, 2, "VALID") == [5, 6] and _sizes(2, 3, 3, "SAME") == [4, 5, 6]


def test_first_slider_is_the_input_pixel_and_changes_the_picture_fast():
    """Does each ArrowRight on the first slider (input pixel) redraw a new picture?"""
    ex = transpose.scatter_explorer(_scatter, _sizes)
    pixel, *_, status, image = _parts(ex)
    assert (
        type(pixel).__name__ == "IntSlider"
        and pixel.description == "input pixel"
        and pixel.max == 8
    )
    assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
    seen, clock = [image.value], RedrawClock()
    for _ in range(3):
        with clock.move():
            pixel.value += 1
        seen.append(image.value)
    assert len(set(seen)) == 4
    clock.assert_within_target(3)
    assert "[7, 8]" in status.value  # 3 -> 7 or 8 with a 3x3 kernel and stride 2, VALID


def test_every_setting_renders_and_offers_the_valid_output_sizes():
    """Do stride, kernel, input size, padding and output size changes always draw a PNG, quickly?"""
    ex = transpose.scatter_explorer(_scatter, _sizes)
    pixel, s, k, n, pad, size, status, image = _parts(ex)
    clock, settings = (
        RedrawClock(),
        list(itertools.product([1, 2, 4], [1, 2, 4], [1, 3], ["VALID", "SAME"])),
    )
    for nv, kv, sv, pv in settings:
        with clock.move():
            n.value, k.value, s.value, pad.value = nv, kv, sv, pv
            size.value = size.options[-1]
            pixel.value = pixel.max
        assert list(size.options) == _sizes(nv, kv, sv, pv), (nv, kv, sv, pv)
        assert pixel.max == nv * nv - 1
        assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
        assert "not written" not in status.value
    clock.assert_within_target(len(settings))


def test_figure_outlines_the_stamp():
    """Does scatter_figure_png draw five panels with the chosen pixel and
    its stamp outlined in red?"""
    from PIL import Image

    x = np.arange(9.0).reshape(3, 3) % 3 + 1
    kernel = transpose.ordinal_kernel(3)
    only = np.zeros_like(x)
    only[1, 2] = x[1, 2]
    stamp, total = _scatter(only, kernel, (7, 7), 2), _scatter(x, kernel, (7, 7), 2)
    png = transpose.scatter_figure_png(
        x,
        kernel,
        stamp,
        total,
        _scatter(np.ones((3, 3)), np.ones((3, 3)), (7, 7), 2),
        5,
        2,
        "VALID",
    )
    img = Image.open(io.BytesIO(png))
    assert img.width > 600 and img.height > 150
    red = np.all(np.asarray(img.convert("RGB")) == drawing.RED, axis=-1)
    assert red.sum() > 200  # input pixel and the stamp in two panels


def test_unwritten_or_wrong_functions_give_a_message_not_an_error():
    """Does the explorer show a message when the notebook's functions are
    not written yet or return the wrong shape?"""

    def todo(*args, **kwargs):
        raise NotImplementedError()

    ex = transpose.scatter_explorer(todo, todo)
    assert "not written yet" in _parts(ex)[6].value
    ex = transpose.scatter_explorer(todo, _sizes)
    assert "not written yet" in _parts(ex)[6].value
    ex = transpose.scatter_explorer(lambda x, kernel, shape, s, p: np.zeros((2, 2)), _sizes)
    assert "expected (7, 7)" in _parts(ex)[6].value
