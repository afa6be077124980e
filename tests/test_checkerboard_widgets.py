"""Do notebook 06's explorers draw what they claim, quickly, without TensorFlow?"""

import subprocess
import sys

import numpy as np

from aekit.widgets import checkerboard
from tests.redraw import RedrawClock


def _overlap(input_size, kernel_size, stride):
    """Scatter loops: the writes per output of a VALID 2-D transpose convolution."""
    c = np.zeros((input_size - 1) * stride + kernel_size, dtype=int)
    for i in range(input_size):
        c[i * stride : i * stride + kernel_size] += 1
    return np.outer(c, c)


def test_import_is_light():
    """Does importing the module leave TensorFlow, matplotlib and ipywidgets unimported?"""
    code = (
        "import sys; import aekit.widgets.checkerboard; "
        "print(sorted(m for m in ('tensorflow', 'matplotlib', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_row_counts_recovers_the_1d_counts_even_with_gaps():
    """Does row_counts give back c from np.outer(c, c), also when some outputs are never written?"""
    for k, s in [(3, 2), (4, 2), (1, 2), (2, 3)]:
        c = np.zeros(4 * s + k)
        for i in range(5):
            c[i * s : i * s + k] += 1
        np.testing.assert_allclose(checkerboard.row_counts(np.outer(c, c)), c)


def test_overlap_explorer_redraws_fast_and_names_the_pattern():
    """Does moving the kernel-size slider change the image and the verdict, per move?"""
    ex = checkerboard.overlap_explorer(_overlap)
    k_slider = ex.children[0].children[0]
    verdict, image = ex.children[1], ex.children[2]
    assert k_slider.description == "kernel size" and k_slider.value == 3
    assert "uneven" in verdict.value
    before = image.value
    clock, values = RedrawClock(), (4, 5, 6, 7, 8, 2, 1)
    for value in values:
        with clock.move():
            k_slider.value = value
        if value == 4:
            assert image.value != before and "even inside" in verdict.value
    assert "gaps" in verdict.value  # kernel 1 < stride 2
    clock.assert_within_target(len(values))


def test_overlap_explorer_survives_an_unwritten_exercise():
    """Does the explorer build (and say so) when the student's function
    still raises NotImplementedError?"""

    def stub(*args):
        raise NotImplementedError()

    ex = checkerboard.overlap_explorer(stub)
    assert "not written yet" in ex.children[1].value


class _Decoder:
    """A stand-in for a Keras decoder: a fixed image scaled by the code's first entry."""

    def __init__(self, checker):
        i, j = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
        self.image = 0.5 + (0.1 * (-1.0) ** (i + j) if checker else np.zeros((28, 28)))

    def __call__(self, z, training=False):
        return (np.asarray(z)[:, :1, None, None] * self.image[None, :, :, None]).astype(np.float32)


def test_decoder_explorer_redraws_and_the_spectrum_shows_the_checkerboard():
    """Does the walk slider redraw, and does a checkerboard light up the
    Nyquist frame of log_spectrum?"""
    decoders = {"checker": _Decoder(True), "flat": _Decoder(False)}
    z_pair = {name: np.array([[1.0, 0.0], [0.5, 0.0]]) for name in decoders}
    ex = checkerboard.decoder_explorer(decoders, z_pair, lambda x: 0.0, steps=5)
    slider, image = ex.children
    before = image.value
    slider.value = 0.5
    assert image.value != before
    i, j = np.meshgrid(np.arange(28), np.arange(28), indexing="ij")
    spec = checkerboard.log_spectrum((-1.0) ** (i + j))
    assert spec.shape == (29, 29)
    assert spec[0, 0] == spec.max() and spec[0, 0] > 2  # (pi, pi) sits in the corners
    np.testing.assert_allclose(checkerboard.log_spectrum(np.full((28, 28), 0.3)), -3.0, atol=1e-6)
