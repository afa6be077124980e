"""Explorer for notebook 02: how a transpose convolution stamps a scaled
kernel for every input pixel.

The notebook passes its own functions in (the student's `conv_transpose_scatter` and
`transpose_output_shapes`), so nothing here holds an exercise's answer: every picture is computed by
those functions (a one-hot input gives one pixel's stamp, an input of ones with a kernel of ones
gives how many stamps cover each output pixel). The kernel is 1, 2, 3, ... so its orientation shows
in every stamp. Nothing heavy runs on import. Pictures are drawn with PIL straight into PNG bytes
for an `ipywidgets.Image` (a few milliseconds per redraw) and cached.
"""

from __future__ import annotations

import numpy as np

from aekit.widgets.drawing import DARK, GREY
from aekit.widgets.drawing import caption as _caption
from aekit.widgets.drawing import font as _font
from aekit.widgets.drawing import grid as _grid
from aekit.widgets.drawing import message_png as _message_png
from aekit.widgets.drawing import outline as _outline
from aekit.widgets.drawing import png as _png
from aekit.widgets.geometry import Geometry, controls, int_slider


def _bbox(mask):
    """`(top, left, height, width)` of the non-zero cells of `mask`, or None."""
    rows, cols = np.nonzero(mask)
    if not len(rows):
        return None
    return (
        int(rows.min()),
        int(cols.min()),
        int(rows.max() - rows.min() + 1),
        int(cols.max() - cols.min() + 1),
    )


def ordinal_kernel(k: int) -> np.ndarray:
    """The lecture's kernel generalised: 1, 2, ..., k*k in row-major order, shape `(k, k)`."""
    return np.arange(1, k * k + 1, dtype=np.float64).reshape(k, k)


def scatter_figure_png(
    x, kernel, stamp, partial, coverage, pixel: int, stride: int, padding: str
) -> bytes:
    """Draw the input (`pixel` outlined), the kernel, that pixel's stamp,
    the sum so far and the stamps per pixel.

    Args:
        x: `(m, m)` input of the transpose convolution.
        kernel: `(k, k)`.
        stamp: `(H, W)`, the transpose convolution of `x` with every pixel but `pixel` set to zero.
        partial: `(H, W)`, the transpose convolution of `x` with the pixels
        after `pixel` set to zero. coverage: `(H, W)`, how many stamps write
        into each output pixel. pixel: the chosen input pixel, row-major index.
    """
    from PIL import Image, ImageDraw

    m = x.shape[1]
    i, j = divmod(pixel, m)
    out_h, out_w = stamp.shape
    cin, ck = 34, 24
    cell = max(14, min(30, 210 // max(out_h, out_w)))
    top = 62
    panels = [
        (x, cin, "Blues", float(x.max()) * 1.4, f"input x {x.shape[0]}x{m}", None),
        (
            kernel,
            ck,
            "Oranges",
            float(kernel.max()) * 1.3,
            f"kernel {kernel.shape[0]}x{kernel.shape[1]}",
            None,
        ),
        (
            stamp,
            cell,
            "Oranges",
            float(stamp.max()) * 1.3,
            f"stamp: x[{i}, {j}] * kernel",
            _bbox(stamp),
        ),
        (
            partial,
            cell,
            "Greens",
            float(partial.max()) * 1.3,
            f"sum of stamps 0..{pixel}",
            _bbox(stamp),
        ),
        (coverage, cell, "Purples", float(coverage.max()) * 1.6, "stamps per output pixel", None),
    ]
    widths = [a.shape[1] * c for a, c, *_ in panels]
    heights = [a.shape[0] * c for a, c, *_ in panels]
    width = 20 + sum(max(wd, 120) for wd in widths) + 24 * (len(panels) - 1) + 20
    title = (
        f"{x.shape[0]}x{m} -> {out_h}x{out_w}, stride {stride}, {padding}: input pixel ({i}, {j}) "
        f"adds x[{i}, {j}] * kernel at ({i}*{stride}, {j}*{stride}) of the uncropped canvas"
    )
    img = Image.new(
        "RGB",
        (max(width, int(_font(13, True).getlength(title)) + 30), top + max(heights) + 12),
        "white",
    )
    draw = ImageDraw.Draw(img)
    draw.text((img.width / 2, 14), title, anchor="mm", font=_font(13, True), fill=DARK)
    x0 = 20
    for (arr, c, cmap, vmax, name, box), wd in zip(panels, widths, strict=True):
        slot = max(wd, 120)
        left = x0 + (slot - wd) // 2
        _caption(draw, (x0 + slot / 2, top - 16), name)
        labels = c >= 20 or (arr is coverage) or float(np.max(np.abs(arr))) < 100
        _grid(draw, left, top, arr, c, c, cmap, vmax, labels=bool(labels))
        _outline(draw, left, top, c, c, 0, 0, arr.shape[0], arr.shape[1], width=1, color=GREY)
        if arr is x:
            _outline(draw, left, top, c, c, i, j, 1, 1)
        elif box is not None:
            _outline(draw, left, top, c, c, *box)
        x0 += slot + 24
    return _png(img)


# where the scatter explorer's sliders start
SCATTER_START = Geometry(kernel_size=3, input_size=3, stride=2, padding="VALID")


def scatter_explorer(scatter_fn, output_sizes_fn, start: Geometry = SCATTER_START):
    """Sliders over a transpose convolution's stamps; the first slider picks the input pixel.

    Args:
        scatter_fn: the notebook's `conv_transpose_scatter(x, kernel, output_shape,
        stride, padding)`. output_sizes_fn: the notebook's
        `transpose_output_shapes(input_size, k, stride, padding)`; the
            "output size" slider offers these sizes.
        start: the sizes the sliders start at.
    Returns:
        An `ipywidgets.VBox`: sliders, the padding buttons, a status line and the redrawn image.
    """
    import ipywidgets as w

    pixel = int_slider(0, 0, start.input_size**2 - 1, "input pixel")
    k_slider, n_slider, s_slider, pad = controls(start, kernel_max=4, input_min=1, input_max=4)
    size = w.SelectionSlider(
        options=[0], value=0, description="output size", continuous_update=True
    )
    image = w.Image(format="png")
    status = w.HTML()
    sizes: dict = {}
    pngs: dict = {}
    busy = [False]

    def sizes_for(key):
        if key not in sizes:
            try:
                sizes[key] = [int(v) for v in output_sizes_fn(*key)]
            except NotImplementedError:
                sizes[key] = "transpose_output_shapes is not written yet"
            if not isinstance(sizes[key], str) and not sizes[key]:
                sizes[key] = "transpose_output_shapes returned no size"
        return sizes[key]

    def render(n, k, s, p, out, idx):
        x = np.arange(n * n, dtype=np.float64).reshape(n, n) % 4 + 1
        kernel = ordinal_kernel(k)
        shape = (out, out)
        try:
            only = np.where(np.arange(n * n).reshape(n, n) == idx, x, 0.0)
            upto = np.where(np.arange(n * n).reshape(n, n) <= idx, x, 0.0)
            stamp = np.asarray(scatter_fn(only, kernel, shape, s, p), dtype=np.float64)
            partial = np.asarray(scatter_fn(upto, kernel, shape, s, p), dtype=np.float64)
            coverage = np.asarray(
                scatter_fn(np.ones((n, n)), np.ones((k, k)), shape, s, p), dtype=np.float64
            )
        except NotImplementedError:
            text = "conv_transpose_scatter is not written yet"
            return _message_png(text), text
        if stamp.shape != shape:
            text = f"conv_transpose_scatter returned shape {stamp.shape}, expected {shape}"
            return _message_png(text), text
        text = (
            f"output sizes whose convolution is {n}x{n}: {sizes_for((n, k, s, p))}; "
            f"each output pixel receives 0 to {int(coverage.max())} stamps"
        )
        return scatter_figure_png(x, kernel, stamp, partial, coverage, idx, s, p), text

    def redraw(_=None):
        if busy[0]:
            return
        busy[0] = True
        try:
            n, k, s, p = n_slider.value, k_slider.value, s_slider.value, pad.value
            if pixel.max != n * n - 1:
                pixel.max = n * n - 1  # may clamp the value
            choices = sizes_for((n, k, s, p))
            if isinstance(choices, str):
                image.value, status.value = _message_png(choices), f"<b>{choices}</b>"
                return
            if list(size.options) != choices:
                keep = size.value if size.value in choices else choices[-1 if p == "SAME" else 0]
                size.options = choices
                size.value = keep
            key = (n, k, s, p, int(size.value), min(pixel.value, n * n - 1))
            if key not in pngs:
                pngs[key] = render(*key)
            image.value, text = pngs[key]
            status.value = f"<b>{text}</b>"
        finally:
            busy[0] = False

    for control in (pixel, s_slider, k_slider, n_slider, pad, size):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox(
        [
            w.HBox([pixel, s_slider]),
            w.HBox([k_slider, n_slider]),
            w.HBox([pad, size]),
            status,
            image,
        ]
    )
