"""Explorers for notebook 06: transpose-convolution overlap patterns, and
two trained decoders side by side.

The notebook passes its own functions in (the student's `overlap_counts`, `checkerboard_score`),
so nothing here holds an exercise's answer. Nothing heavy runs on import; each explorer redraws
into an `ipywidgets.Image` (PNG rendered with matplotlib's Agg canvas) and caches what it drew.
"""

from __future__ import annotations

import numpy as np

from aekit.widgets.drawing import colour as _colour
from aekit.widgets.drawing import font as _font
from aekit.widgets.drawing import png as _png


def row_counts(counts) -> np.ndarray:
    """The 1-D counts `c` of a 2-D overlap pattern `counts = np.outer(c, c)`, shape `(n_out,)`."""
    counts = np.asarray(counts, dtype=np.float64)
    m = int(np.argmax(np.diag(counts)))
    peak = np.sqrt(counts[m, m])
    return counts[m] / peak if peak > 0 else np.zeros(len(counts))


def draw_stamps(ax, input_size: int, kernel_size: int, stride: int, totals=None) -> None:
    """Draw the 1-D picture: one bar per input pixel over the outputs its kernel stamp covers.

    `totals` (shape `(n_out,)`), if given, is written under the bars as "writes per output".
    """
    n_out = max(i * stride + kernel_size for i in range(input_size))  # where the last stamp ends
    for i in range(input_size):
        ax.barh(i, kernel_size, left=i * stride - 0.5, height=0.6, color=f"C{i % 10}", alpha=0.8)
        ax.text(-0.9, i, f"in {i}", ha="right", va="center", fontsize=7)
    if totals is not None:
        y = input_size + 0.3
        for o, t in enumerate(np.asarray(totals)):
            ax.text(
                o,
                y,
                f"{t:g}",
                ha="center",
                va="center",
                fontsize=8,
                fontweight="bold",
                color="crimson" if t != np.max(totals) else "black",
            )
        ax.text(-0.9, y, "writes", ha="right", va="center", fontsize=7)
    ax.set_xlim(-3.2, max(n_out, 4) - 0.3)
    ax.set_ylim(input_size + 0.9, -0.7)
    ax.set_xticks(range(n_out))
    ax.tick_params(axis="x", labelsize=6)
    ax.set_yticks([])
    ax.set_xlabel("output position", fontsize=8)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _paste_array(canvas, rgb: np.ndarray, xy: tuple[int, int], cell: int) -> None:
    from PIL import Image

    canvas.paste(Image.fromarray(np.repeat(np.repeat(rgb, cell, 0), cell, 1)), xy)


_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]


def overlap_pattern_png(
    overlap_fn, input_size: int, kernel_size: int, stride: int
) -> tuple[bytes, str]:
    """Render the 1-D stamps and the 2-D counts of `overlap_fn(input_size, kernel_size, stride)`.

    Returns the PNG bytes (drawn with PIL, a few milliseconds) and a one-line verdict about the
    interior of the pattern.
    """
    from PIL import Image, ImageDraw

    counts = np.asarray(overlap_fn(input_size, kernel_size, stride), dtype=np.float64)
    n_out = len(counts)
    totals = row_counts(counts)
    width, height = 760, 300
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    font, small = _font(13), _font(11)
    # left: one bar per input over the outputs its stamp covers, writes per output underneath
    x0, cell = 60, min(30, 400 // max(n_out, 1))
    draw.text(
        (x0, 6),
        f"1-D: {input_size} inputs, kernel {kernel_size}, stride {stride}",
        fill="black",
        font=font,
    )
    row_h = min(28, 190 // (input_size + 1))
    for i in range(input_size):
        y = 34 + i * row_h
        draw.text((8, y + 2), f"in {i}", fill="black", font=small)
        left = x0 + i * stride * cell
        draw.rectangle(
            [left, y, left + kernel_size * cell - 2, y + row_h - 6],
            fill=_PALETTE[i % len(_PALETTE)],
        )
    y = 34 + input_size * row_h + 4
    draw.text((8, y), "writes", fill="black", font=small)
    for o, t in enumerate(totals):
        colour = "black" if t == totals.max() else "crimson"
        draw.text(
            (x0 + o * cell + cell // 2 - 4, y),
            f"{t:g}",
            fill=colour,
            font=small if cell < 18 else font,
        )
    # right: the 2-D counts as a heat map
    side = 250
    c2 = max(1, side // n_out)
    left = width - c2 * n_out - 10
    draw.text((left, 6), f"2-D writes per output ({n_out} x {n_out})", fill="black", font=font)
    _paste_array(canvas, _colour(counts, "magma", 0.0, max(counts.max(), 1.0)), (left, 30), c2)
    if c2 >= 16:
        for (r, c), v in np.ndenumerate(counts):
            draw.text(
                (left + c * c2 + c2 // 2 - 3, 30 + r * c2 + c2 // 2 - 6),
                f"{v:g}",
                font=small,
                fill="black" if v > 0.6 * counts.max() else "white",
            )
    png = _png(canvas)
    # interior: drop the border where stamps thin out (what SAME padding crops)
    cut = max(kernel_size - 1, 0)
    inner = counts[cut : n_out - cut, cut : n_out - cut] if n_out > 2 * cut else counts[:0, :0]
    if kernel_size < stride:
        verdict = (
            f"gaps: kernel {kernel_size} < stride {stride}, some outputs "
            "are never written (count 0)"
        )
    elif inner.size == 0:
        verdict = "too small to have an interior: make the input larger"
    elif inner.min() == inner.max():
        verdict = (
            "even inside: every interior output is written "
            f"{inner.max():g} times (stride divides kernel)"
        )
    else:
        verdict = (
            f"uneven inside: interior outputs are written between {inner.min():g} and "
            f"{inner.max():g} times: a checkerboard"
        )
    return png, verdict


def overlap_explorer(overlap_fn, input_size: int = 5, kernel_size: int = 3, stride: int = 2):
    """Sliders for kernel size (the main control), stride and input size
    over `overlap_fn`'s pattern.

    Args:
        overlap_fn: the notebook's `overlap_counts(input_size, kernel_size, stride)`.
    Returns:
        An `ipywidgets.VBox`: sliders, a verdict line and the redrawn image.
    """
    import ipywidgets as w

    k_slider = w.IntSlider(
        value=kernel_size, min=1, max=8, description="kernel size", continuous_update=True
    )
    s_slider = w.IntSlider(value=stride, min=1, max=4, description="stride", continuous_update=True)
    n_slider = w.IntSlider(
        value=input_size, min=2, max=7, description="input size", continuous_update=True
    )
    image = w.Image(format="png")
    verdict = w.HTML()
    cache: dict = {}

    def redraw(_=None):
        key = (n_slider.value, k_slider.value, s_slider.value)
        if key not in cache:
            try:
                cache[key] = overlap_pattern_png(overlap_fn, *key)
            except NotImplementedError:
                cache[key] = (b"", "overlap_counts is not written yet")
        png, text = cache[key]
        if png:
            image.value = png
        verdict.value = f"<b>{text}</b>"

    for slider in (k_slider, s_slider, n_slider):
        slider.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([k_slider, s_slider, n_slider]), verdict, image])


def log_spectrum(image) -> np.ndarray:
    """log10 |DFT| of one image `(H, W)` minus its mean, centred, Nyquist
    row/column on all sides: `(H+1, W+1)`."""
    image = np.asarray(image, dtype=np.float64)
    mag = np.fft.fftshift(np.abs(np.fft.fft2(image - image.mean())))
    return np.log10(np.pad(mag, ((0, 1), (0, 1)), mode="wrap") + 1e-3)


def _decoder_png(images, spectra, titles) -> bytes:
    from PIL import Image, ImageDraw

    cell, pad = 6, 14
    col_w = 29 * cell + 2 * pad
    canvas = Image.new("RGB", (col_w * len(images), 2 * (29 * cell + 24) + 10), "white")
    draw = ImageDraw.Draw(canvas)
    font = _font(11)
    for col, (im, spec, title) in enumerate(zip(images, spectra, titles, strict=False)):
        x = col * col_w + pad
        draw.text((x, 4), title, fill="black", font=font)
        _paste_array(canvas, _colour(im, "gray", 0.0, 1.0), (x, 22), cell)
        y = 22 + 29 * cell + 8
        draw.text((x, y), "log10 |DFT|, Nyquist = frame", fill="black", font=font)
        _paste_array(canvas, _colour(spec, "magma", -3.0, 1.5), (x, y + 18), cell)
    return _png(canvas)


def decoder_explorer(decoders: dict, z_pair: dict, score_fn, steps: int = 21):
    """A slider that walks the code from one held-out digit to another, decoded by several decoders.

    Args:
        decoders: name -> Keras decoder `(B, latent_dim) -> (B, 28, 28, 1)`.
        z_pair: name -> array `(2, latent_dim)`, the two end codes for that decoder's encoder.
        score_fn: the notebook's `checkerboard_score`, printed over each decoded image.
        steps: number of slider positions from the first code (0) to the second (1).
    Returns:
        An `ipywidgets.VBox`: the slider and the redrawn image (decoded images on top, their
        spectra below).
    """
    import ipywidgets as w

    t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
    decoded = {}
    for name, decoder in decoders.items():  # every step decoded at once, before any slider move
        z0, z1 = np.asarray(z_pair[name], np.float32)
        decoded[name] = np.asarray(decoder((1.0 - t) * z0 + t * z1, training=False))[..., 0]
    slider = w.FloatSlider(
        value=0.0,
        min=0.0,
        max=1.0,
        step=1.0 / (steps - 1),
        description="walk",
        readout_format=".2f",
        continuous_update=True,
    )
    image = w.Image(format="png")
    cache: dict = {}

    def redraw(_=None):
        i = int(round(slider.value * (steps - 1)))
        if i not in cache:
            names = list(decoders)
            images = [decoded[n][i] for n in names]
            try:
                titles = [f"{n}, score {score_fn(decoded[n][i : i + 1]):.1e}" for n in names]
            except NotImplementedError:
                titles = names
            cache[i] = _decoder_png(images, [log_spectrum(im) for im in images], titles)
        image.value = cache[i]

    slider.observe(redraw, names="value")
    redraw()
    return w.VBox([slider, image])
