"""Do the numbers notebook 04's text states match what its own code computes?

Issue 29 found two such claims wrong: the single Gaussian's peak "near $16, where few books are"
(the paperbacks' peak beside it is the tallest in the data) and a curve that "stops about −745"
beside a red line drawn at −708. These tests run the notebook's data and plot cells (with the
reference answers, NumPy only, no kernel) and read the numbers back out of the student release's
text, so a change to either the data or the words that makes them disagree fails here.
"""
from __future__ import annotations

import json
import re

import matplotlib
import numpy as np
import pytest

from autograder import cells
from autograder.paths import release_notebook, source_notebook

NB = "04_gaussian_generative_models"


def _code(nb: dict, marker: str) -> str:
    """The one code cell of `nb` whose source contains `marker`."""
    found = [cells.source_text(c) for c in nb["cells"] if c["cell_type"] == "code" and marker in cells.source_text(c)]
    assert len(found) == 1, f"{NB}: {len(found)} code cells contain {marker!r}"
    return found[0]


def _markdown(marker: str) -> str:
    """The one markdown cell of the student release whose text contains `marker`, minus signs as '-'."""
    nb = json.loads(release_notebook(NB).read_text(encoding="utf-8"))
    found = [cells.source_text(c) for c in nb["cells"] if c["cell_type"] == "markdown" and marker in cells.source_text(c)]
    assert len(found) == 1, f"{NB} release: {len(found)} markdown cells contain {marker!r}"
    return found[0].replace("−", "-")


@pytest.fixture(scope="module")
def run():
    """The namespace after the setup cell, the three density exercises (reference answers) and the cells that make the
    prices, fit one Gaussian and draw the wide log-density plot."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = json.loads(source_notebook(NB).read_text(encoding="utf-8"))
    ns: dict = {}
    for marker in ("SEED = 1470", "def gaussian_pdf(", "def mixture_pdf(", "def mixture_log_pdf(",
                   "TRUE_WEIGHTS = np.array", "mu_one, sd_one = ", "wide = np.linspace"):
        exec(compile(_code(nb, marker), f"<{NB}: {marker}>", "exec"), ns)  # noqa: S102 (our own notebook)
    yield ns
    plt.close("all")


def test_the_single_gaussians_peak_and_the_paperbacks_peak_are_where_the_text_says(run):
    """Is the single Gaussian's peak at the stated mean, half as tall as the tallest bar, which sits at the stated
    paperback price, and does the stated gap hold few books where the Gaussian puts density?"""
    text = _markdown("The single Gaussian fits nothing")
    mean = int(re.search(r"at the mean of about \\\$(\d+)", text).group(1))
    peak = int(re.search(r"paperbacks' peak near \\\$(\d+)", text).group(1))
    gap = int(re.search(r"the gap near \\\$(\d+)", text).group(1))
    assert "half as tall" in text
    prices, mu_one, sd_one, pdf = run["prices"], run["mu_one"], run["sd_one"], run["gaussian_pdf"]
    heights, edges = np.histogram(prices, bins=60, density=True)  # the histogram the notebook draws
    centres = (edges[:-1] + edges[1:]) / 2
    tallest = centres[np.argmax(heights)]
    assert round(float(mu_one)) == mean, (mu_one, mean)
    assert abs(tallest - peak) < 1.0, (tallest, peak)
    assert np.argmin(np.abs(run["TRUE_MEANS"] - tallest)) == run["BOOK_TYPES"].index("paperback")
    ratio = float(pdf(np.array([mu_one]), mu_one, sd_one)[0]) / heights.max()
    assert 0.4 < ratio < 0.6, f"the Gaussian's peak is {ratio:.2f} of the tallest bar, not half"
    at_gap = heights[np.argmin(np.abs(centres - gap))]
    assert at_gap < float(pdf(np.array([float(gap)]), mu_one, sd_one)[0]) / 3, "the gap is not nearly empty"


def test_the_naive_log_density_stops_at_the_red_line_the_text_names(run):
    """Does the naive np.log(mixture_pdf) curve end where the red line is drawn, at the value the text states?"""
    stated = int(re.search(r"underflows to 0 \(about (-\d+)", _markdown("three downward parabolas")).group(1))
    stated_exponent = int(re.search(r"smallest positive `float64` \(about `e\^\((-\d+)\)`\)",
                                    _markdown("A \\$300 book")).group(1))
    red = [line for line in run["ax"].get_lines() if "smallest positive float64" in str(line.get_label())]
    assert len(red) == 1, [line.get_label() for line in run["ax"].get_lines()]
    red_y = float(np.asarray(red[0].get_ydata())[0])
    lowest = float(np.min(run["naive"][np.isfinite(run["naive"])]))
    assert round(red_y) == stated == stated_exponent, (red_y, stated, stated_exponent)
    assert 0 <= lowest - red_y < 2.0, f"the naive curve ends at {lowest:.1f}, the red line is at {red_y:.1f}"


def test_the_true_parameters_log_likelihood_is_the_one_the_explorer_text_quotes(run):
    """Is the book prices' average log-likelihood under the true mixture the value section 8 asks students to beat?"""
    stated = float(re.search(r"log-likelihood \(about (-\d+\.\d+)\)", _markdown("## 8. Explore a mixture")).group(1))
    true = float(np.mean(np.log(run["mixture_pdf"](run["prices"], run["TRUE_WEIGHTS"], run["TRUE_MEANS"],
                                                   run["TRUE_STDS"]))))
    assert round(true, 2) == stated, (true, stated)


def test_the_mixtures_gain_over_one_gaussian_is_the_one_the_text_quotes(run):
    """Is the true mixture's gain in average log-likelihood over the single Gaussian about the stated 0.25 per book,
    and is e^(gain · 1200) the stated power of ten?"""
    text = _markdown("more average log-likelihood per book")
    gain_stated = float(re.search(r"About (\d\.\d+) more average log-likelihood", text).group(1))
    power_stated = int(re.search(r"≈ 10\^(\d+)", text).group(1))
    prices, pdf, mix = run["prices"], run["gaussian_pdf"], run["mixture_pdf"]
    ll_one = float(np.mean(np.log(pdf(prices, run["mu_one"], run["sd_one"]))))
    ll_true = float(np.mean(np.log(mix(prices, run["TRUE_WEIGHTS"], run["TRUE_MEANS"], run["TRUE_STDS"]))))
    gain = ll_true - ll_one
    assert abs(gain - gain_stated) < 0.02, (gain, gain_stated)
    assert abs(gain_stated * len(prices) / np.log(10) - power_stated) < 1, (gain_stated, power_stated)
