"""Explorer for notebook 01: the unrolled convolution matrix (notebook 02's is in `transpose.py`).

The notebook passes its own functions in (the student's `conv_matrix` and `conv_output_size`),
so nothing here holds an exercise's answer:
which input pixels an output pixel reads is read off the matrix row itself (the kernel is 1, 2,
3, ... so every weight is non-zero and names its tap). Nothing heavy runs on import. Pictures are
drawn with PIL straight into PNG bytes for an `ipywidgets.Image` (a few milliseconds per redraw,
where a matplotlib figure with a few hundred labels takes a few hundred), and cached.
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


def ordinal_kernel(k: int) -> np.ndarray:
    """The lecture's kernel generalised: 1, 2, ..., k*k in row-major order, shape `(k, k)`."""
    return np.arange(1, k * k + 1, dtype=np.float64).reshape(k, k)


# ---- notebook 01: the unrolled matrix ------------------------------------------------------------


def matrix_figure_png(
    matrix, input_size: int, kernel_size: int, out_shape, pixel: int, stride: int, padding: str
) -> bytes:
    """Draw the input (pixels read by output `pixel` outlined), the matrix
    (its row outlined) and the output.

    Args:
        matrix: `(out_h * out_w, n * n)`, the unrolled matrix of `ordinal_kernel(kernel_size)`.
        input_size: `n`, the input is `(n, n)`.
        kernel_size: `k`.
        out_shape: `(out_h, out_w)`.
        pixel: row of `matrix`, i.e. output pixel `(pixel // out_w, pixel % out_w)`.
    """
    from PIL import Image, ImageDraw

    n, k = input_size, kernel_size
    out_h, out_w = out_shape
    rows, cols_n = matrix.shape
    row = matrix[pixel]
    cols = np.flatnonzero(row)
    taps = np.rint(row[cols]).astype(int) - 1  # weight v sits at tap v - 1 of the 1..k*k kernel

    # sizes: input panel with a margin of k - 1 cells (where SAME padding
    # lives), matrix up to 520 x 300
    margin = k - 1
    cin = max(14, min(40, 250 // (n + 2 * margin)))
    mw = max(3, min(34, 520 // cols_n))
    mh = max(3, min(34, 300 // rows))
    cout = max(14, min(40, 160 // max(out_h, out_w)))
    in_px = (n + 2 * margin) * cin
    width = 20 + in_px + 30 + cols_n * mw + 30 + out_w * cout + 20
    height = 50 + max(in_px, rows * mh, out_h * cout) + 30
    title = (
        f"kernel {k}x{k} = 1..{k * k}, stride {stride}, {padding}: output pixel "
        f"({pixel // out_w}, {pixel % out_w}) = row {pixel} reads {len(cols)} input "
        f"pixel{'' if len(cols) == 1 else 's'}"
    )
    img = Image.new(
        "RGB", (max(width, int(_font(13, True).getlength(title)) + 30), height), "white"
    )
    draw = ImageDraw.Draw(img)
    draw.text((img.width / 2, 12), title, anchor="mm", font=_font(13, True), fill=DARK)

    # input: margin cells grey, image cells labelled with their column
    # index, read pixels coloured by weight
    x0, y0 = 20, 50
    _caption(draw, (x0 + in_px / 2, y0 - 14), f"input {n}x{n}: column index, x weight")
    draw.rectangle((x0, y0, x0 + in_px - 1, y0 + in_px - 1), fill=(238, 238, 238))
    weights = np.zeros((n, n))
    weights.flat[cols] = taps + 1
    labels = [[str(i * n + j) for j in range(n)] for i in range(n)]
    for c, t in zip(cols, taps, strict=False):
        labels[c // n][c % n] = f"x{t + 1}"
    ix0, iy0 = x0 + margin * cin, y0 + margin * cin
    _grid(draw, ix0, iy0, weights, cin, cin, "Oranges", k * k * 1.3, labels=labels)
    _outline(draw, ix0, iy0, cin, cin, 0, 0, n, n, width=1, color=GREY)
    if len(cols):
        i0, j0 = divmod(int(cols[0]), n)
        a0, b0 = divmod(int(taps[0]), k)
        # the window, maybe over padding
        _outline(draw, ix0, iy0, cin, cin, i0 - a0, j0 - b0, k, k, width=3)
    if margin:
        _caption(
            draw,
            (x0 + in_px / 2, y0 + in_px + 12),
            "grey: outside the image (SAME pads zeros there)",
            10,
            color=GREY,
        )

    # matrix: heat map, chosen row outlined
    x1 = x0 + in_px + 30
    _caption(
        draw,
        (x1 + cols_n * mw / 2, y0 - 14),
        f"conv_matrix: {rows} x {cols_n}, row {pixel} outlined",
    )
    _grid(
        draw,
        x1,
        y0,
        matrix,
        mw,
        mh,
        "Oranges",
        k * k * 1.3,
        labels=mw >= 14 and mh >= 14,
        font_size=max(8, min(11, mw // 2)),
    )
    _outline(draw, x1, y0, mw, mh, 0, 0, rows, cols_n, width=1, color=GREY)
    _outline(draw, x1, y0, mw, mh, pixel, 0, 1, cols_n, width=3 if mh >= 10 else 2)

    # output grid: row index of each output pixel, chosen one outlined
    x2 = x1 + cols_n * mw + 30
    _caption(draw, (x2 + out_w * cout / 2, y0 - 14), f"output {out_h}x{out_w}")
    olabels = [[str(r * out_w + c) for c in range(out_w)] for r in range(out_h)]
    chosen = np.zeros(out_shape)
    chosen.flat[pixel] = 1
    _grid(draw, x2, y0, chosen, cout, cout, "Greens", 2.0, labels=olabels)
    _outline(draw, x2, y0, cout, cout, pixel // out_w, pixel % out_w, 1, 1, width=3)
    return _png(img)


# where the matrix explorer's sliders start
MATRIX_START = Geometry(kernel_size=3, input_size=4, stride=1, padding="VALID")


def matrix_explorer(conv_matrix_fn, output_size_fn, start: Geometry = MATRIX_START):
    """Sliders over the unrolled matrix of `conv_matrix_fn`; the first
    slider picks the output pixel.

    Args:
        conv_matrix_fn: the notebook's `conv_matrix(kernel, input_shape, stride, padding)`.
        output_size_fn: the notebook's `conv_output_size(n, k, stride, padding)`.
        start: the sizes the sliders start at.
    Returns:
        An `ipywidgets.VBox`: sliders, the padding buttons, a status line and the redrawn image.
    """
    import ipywidgets as w

    pixel = int_slider(0, 0, 3, "output pixel")
    k_slider, n_slider, s_slider, pad = controls(start, kernel_max=5, input_min=2, input_max=8)
    image = w.Image(format="png")
    status = w.HTML()
    matrices: dict = {}
    pngs: dict = {}

    def matrix_for(key):
        if key not in matrices:
            n, k, s, p = key
            if p == "VALID" and k > n:
                matrices[key] = "the kernel is larger than the input: VALID has no output"
                return matrices[key]
            try:
                out = (int(output_size_fn(n, k, s, p)),) * 2
                m = np.asarray(conv_matrix_fn(ordinal_kernel(k), (n, n), s, p), dtype=np.float64)
            except NotImplementedError:
                matrices[key] = "conv_matrix or conv_output_size is not written yet"
                return matrices[key]
            if m.shape != (out[0] * out[1], n * n):
                matrices[key] = (
                    f"conv_matrix returned shape {m.shape}, expected {(out[0] * out[1], n * n)}"
                )
            else:
                matrices[key] = (m, out)
        return matrices[key]

    def redraw(_=None):
        key = (n_slider.value, k_slider.value, s_slider.value, pad.value)
        entry = matrix_for(key)
        if isinstance(entry, str):
            status.value = f"<b>{entry}</b>"
            image.value = _message_png(entry)
            return
        m, out = entry
        if pixel.max != m.shape[0] - 1:
            pixel.max = m.shape[0] - 1  # may clamp the value, which redraws by itself
        idx = min(pixel.value, m.shape[0] - 1)
        if key + (idx,) not in pngs:
            pngs[key + (idx,)] = matrix_figure_png(m, key[0], key[1], out, idx, key[2], key[3])
        nnz = np.count_nonzero(m)
        status.value = (
            f"matrix {m.shape[0]} x {m.shape[1]}: {nnz} non-zeros of {m.size} ({nnz / m.size:.0%})"
        )
        image.value = pngs[key + (idx,)]

    for control in (pixel, k_slider, n_slider, s_slider, pad):
        control.observe(redraw, names="value")
    redraw()
    return w.VBox([w.HBox([pixel, k_slider]), w.HBox([n_slider, s_slider]), pad, status, image])
