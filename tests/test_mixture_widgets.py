"""Does notebook 04's mixture explorer draw with the functions it is given,
quickly, and survive unwritten ones?"""

import subprocess
import sys

import numpy as np
import pytest

from aekit.widgets import mixture
from tests.redraw import RedrawClock


def _pdf(x, weights, mus, sigmas):
    x = np.asarray(x, dtype=float)[:, None]
    comps = np.exp(-0.5 * ((x - mus) / sigmas) ** 2) / np.sqrt(2 * np.pi * np.asarray(sigmas) ** 2)
    return comps @ np.asarray(weights)


def _sample(weights, mus, sigmas, n, rng):
    labels = rng.choice(len(weights), size=n, p=weights)
    return np.asarray(mus)[labels] + np.asarray(sigmas)[labels] * rng.standard_normal(n), labels


def test_import_is_light():
    """Does importing the module leave TensorFlow, matplotlib and ipywidgets unimported?"""
    code = (
        "import sys; import aekit.widgets.mixture; "
        "print(sorted(m for m in ('tensorflow', 'matplotlib', 'ipywidgets') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


def test_first_slider_moves_the_picture():
    """Does moving the first slider (the mean of component 1) change the image?"""
    ex = mixture.mixture_explorer(_pdf, _sample, data=np.array([7.0, 15.0, 28.0]))
    first = ex.sliders[0]
    assert first.description == "μ1" and first.value == 8.0
    assert len(ex.sliders) == 9 and bytes(ex.image.value)[:4] == b"\x89PNG"
    clock, before = RedrawClock(), bytes(ex.image.value)
    for _ in range(7):
        with clock.move():
            first.value = first.value + first.step
    assert bytes(ex.image.value) != before
    clock.assert_within_target(7)


def test_weights_are_normalised_and_samples_use_a_fixed_seed():
    """Are the relative weight sliders divided by their sum, and does every
    redraw sample from the same seed?"""
    seen = []

    def spy_sample(weights, mus, sigmas, n, rng):
        seen.append((np.array(weights), rng.bit_generator.state["state"]["state"]))
        return _sample(weights, mus, sigmas, n, rng)

    ex = mixture.mixture_explorer(
        _pdf,
        spy_sample,
        weights=(0.5, 0.5),
        mus=(0.0, 5.0),
        sigmas=(1.0, 1.0),
        x_range=(-5.0, 10.0),
    )
    ex.sliders[2].value = 1.0  # w1: relative weights (1.0, 0.5)
    np.testing.assert_allclose(seen[-1][0], [2 / 3, 1 / 3])
    assert seen[0][1] == seen[-1][1]


@pytest.mark.parametrize("broken", ["not written", "wrong shape"])
def test_explorer_survives_a_broken_exercise(broken):
    """Does the explorer build and keep redrawing (with a message in the
    picture) when an exercise fails?"""

    def stub(*args):
        raise NotImplementedError()

    def flat(x, weights, mus, sigmas):
        return np.zeros(3)

    pdf = stub if broken == "not written" else flat
    ex = mixture.mixture_explorer(pdf, stub, data=np.array([10.0]))
    ex.image.value = b""
    ex.sliders[0].value = ex.sliders[0].value + ex.sliders[0].step
    assert bytes(ex.image.value)[:4] == b"\x89PNG"
