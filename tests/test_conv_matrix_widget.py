"""Does notebook 01's matrix explorer draw what it claims, quickly, without TensorFlow?"""

import itertools
import subprocess
import sys

import numpy as np

from aekit.widgets import conv, drawing
from tests.redraw import RedrawClock


def _size(n, k, stride=1, padding="VALID"):
    return -(-n // stride) if padding == "SAME" else (n - k) // stride + 1


def _matrix(kernel, input_shape, stride=1, padding="VALID"):
    """Loops over output pixels and taps, TensorFlow's SAME rule (smaller
    half of the padding before)."""
    (h, w), (kh, kw) = input_shape, kernel.shape
    oh, ow = _size(h, kh, stride, padding), _size(w, kw, stride, padding)
    top, left = max((oh - 1) * stride + kh - h, 0) // 2, max((ow - 1) * stride + kw - w, 0) // 2
    m = np.zeros((oh * ow, h * w))
    for r, c, a, b in itertools.product(range(oh), range(ow), range(kh), range(kw)):
        i, j = r * stride + a - top, c * stride + b - left
        if 0 <= i < h and 0 <= j < w:
            m[r * ow + c, i * w + j] = kernel[a, b]
    return m


def _parts(ex):
    """The explorer's controls: (pixel, kernel, input, stride, padding, status, image)."""
    (pixel, k), (n, s) = ex.children[0].children, ex.children[1].children
    return pixel, k, n, s, ex.children[2], ex.children[3], ex.children[4]


def test_import_is_light():
    """Does importing the module leave TensorFlow, matplotlib, PIL and ipywidgets unimported?"""
    code = (
        "import sys; import aekit.widgets.conv; "
        "print(sorted(m for m in ('tensorflow', 'matplotlib', 'PIL', "
        "'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_ordinal_kernel_is_the_lectures_kernel():
    """Is ordinal_kernel(3) the lecture's 1..9 kernel, row-major?"""
    np.testing.assert_array_equal(conv.ordinal_kernel(3), [[1, 2, 3], [4, 5, 6], [7, 8, 9]])


def test_reference_matrix_is_the_lectures():
    """Is this test's own loop matrix the lecture's 4x16 matrix (so the
    explorer is tested on a right answer)?"""
    m = _matrix(conv.ordinal_kernel(3), (4, 4))
    assert m.shape == (4, 16)
    np.testing.assert_array_equal(m[0], [1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0])


def test_first_slider_changes_the_picture_fast():
    """Does each ArrowRight on the first slider (output pixel) redraw a new picture?"""
    ex = conv.matrix_explorer(_matrix, _size)
    pixel, *_, status, image = _parts(ex)
    assert type(pixel).__name__ == "IntSlider" and pixel.max == 3
    seen, clock = [image.value], RedrawClock()
    for _ in range(3):
        with clock.move():
            pixel.value += 1
        seen.append(image.value)
    assert len(set(seen)) == 4
    clock.assert_within_target(3)
    assert "4 x 16" in status.value


def test_controls_resize_the_pixel_slider_and_every_setting_renders():
    """Do kernel, input, stride and padding changes keep the pixel slider
    in range and always draw a PNG?"""
    ex = conv.matrix_explorer(_matrix, _size)
    pixel, k, n, s, pad, status, image = _parts(ex)
    clock, settings = (
        RedrawClock(),
        list(itertools.product([2, 5, 8], [1, 2, 5], [1, 3], ["VALID", "SAME"])),
    )
    for nv, kv, sv, pv in settings:
        with clock.move():
            n.value, k.value, s.value, pad.value = nv, kv, sv, pv
            pixel.value = pixel.max
        assert image.value[:8] == b"\x89PNG\r\n\x1a\n"
        if pv == "VALID" and kv > nv:
            assert "no output" in status.value
        else:
            assert pixel.max == _size(nv, kv, sv, pv) ** 2 - 1, (nv, kv, sv, pv)
    clock.assert_within_target(len(settings))


def test_figure_outlines_the_window_of_a_border_pixel():
    """Does matrix_figure_png render SAME border rows (few non-zeros) and a one-weight row?"""
    import io

    from PIL import Image

    m = _matrix(conv.ordinal_kernel(2), (5, 5), 2, "SAME")  # (9, 25); last row reads one pixel
    assert np.count_nonzero(m[8]) == 1
    png = conv.matrix_figure_png(m, 5, 2, (3, 3), 8, 2, "SAME")
    img = Image.open(io.BytesIO(png))
    assert img.width > 300 and img.height > 100
    red = np.all(np.asarray(img.convert("RGB")) == drawing.RED, axis=-1)
    assert red.sum() > 100  # window, matrix row and output pixel outlined


def test_unwritten_or_wrong_functions_give_a_message_not_an_error():
    """Does the explorer show a message when conv_matrix is not written yet
    or returns the wrong shape?"""

    def todo(*args, **kwargs):
        raise NotImplementedError()

    ex = conv.matrix_explorer(todo, todo)
    assert "not written yet" in _parts(ex)[5].value
    ex = conv.matrix_explorer(lambda kernel, shape, s, p: np.zeros((3, 3)), _size)
    assert "expected (4, 16)" in _parts(ex)[5].value
