"""Plotting helpers shared by the notebooks. Nothing runs on import."""

from __future__ import annotations

import numpy as np


def setup(dpi: int = 90) -> None:
    """Apply the notebooks' matplotlib style; call it from a notebook's setup cell."""
    import matplotlib as mpl

    mpl.rcParams.update(
        {
            "figure.dpi": dpi,
            "image.cmap": "gray",
            "axes.grid": False,
            "figure.autolayout": True,
        }
    )


def show_images(
    images,
    titles=None,
    ncols: int = 8,
    size: float = 1.3,
    cmap: str = "gray",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    suptitle: str | None = None,
    row_labels=None,
):
    """Draw a grid of images `(N, H, W)` or `(N, H, W, 1)`; return the figure.

    Each image is drawn at `size` inches with its own title above it (when `titles`
    is given); `row_labels` puts a label above the left end of each row of the
    grid. With `vmin` or `vmax` None, each image is scaled to its own range. The
    grid is one picture on one set of axes (a tile per image, a blank gap between
    tiles): a matplotlib axes per image made a 20-image figure cost about 0.2 s.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    images = np.asarray(images, dtype=np.float64)
    if images.ndim == 4:
        images = images[..., 0]
    n, h, w = images.shape
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    lo = np.nanmin(images, axis=(1, 2)) if vmin is None else np.full(n, float(vmin))
    hi = np.nanmax(images, axis=(1, 2)) if vmax is None else np.full(n, float(vmax))
    gap = max(1, round(h / 10))
    title_room = round(h * 0.28) if titles is not None or row_labels is not None else 0
    cell_h, cell_w = h + gap + title_room, w + gap
    canvas = np.full((nrows * cell_h, ncols * cell_w), np.nan)
    for i in range(n):
        r, c = divmod(i, ncols)
        top, left = r * cell_h + title_room, c * cell_w
        span = hi[i] - lo[i]
        canvas[top : top + h, left : left + w] = (images[i] - lo[i]) / (span if span > 0 else 1.0)
    height = size * nrows * cell_h / cell_w
    title_inches = 0.4 if suptitle else 0.0  # above the grid
    fig = plt.figure(figsize=(size * ncols, height + title_inches))
    ax = fig.add_axes((0, 0, 1, height / (height + title_inches)))
    colours = matplotlib.colormaps[cmap].with_extremes(bad="white")
    ax.imshow(canvas, cmap=colours, vmin=0.0, vmax=1.0, interpolation="nearest", aspect="auto")
    ax.set_axis_off()
    if titles is not None:
        for i in range(n):
            r, c = divmod(i, ncols)
            ax.text(
                c * cell_w + w / 2 - 0.5,
                r * cell_h + title_room - 1.5,
                str(titles[i]),
                fontsize=8,
                ha="center",
                va="bottom",
            )
    for r, label in enumerate(row_labels or []):
        ax.text(-0.5, r * cell_h + title_room - 1.5, str(label), fontsize=8, ha="left", va="bottom")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def annotated_matrix(
    ax, matrix, fmt: str = "{:g}", cmap: str = "Blues", fontsize: int = 7, highlight=None
):
    """Draw a small matrix as a heat map with its numbers written in the cells.

    `highlight`, a boolean array of the same shape, outlines the marked cells.
    """
    matrix = np.asarray(matrix)
    ax.imshow(matrix, cmap=cmap)
    if matrix.size <= 400:
        for (i, j), v in np.ndenumerate(matrix):
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize)
    if highlight is not None:
        import matplotlib.patches as patches

        for i, j in zip(*np.nonzero(highlight), strict=True):
            ax.add_patch(patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
