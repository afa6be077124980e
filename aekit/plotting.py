"""Plotting helpers shared by the notebooks. Nothing runs on import."""
from __future__ import annotations

import numpy as np


def setup(dpi: int = 90) -> None:
    """Apply the notebooks' matplotlib style; call it from a notebook's setup cell."""
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": dpi,
        "image.cmap": "gray",
        "axes.grid": False,
        "figure.autolayout": True,
    })


def show_images(images, titles=None, ncols: int = 8, size: float = 1.3, cmap: str = "gray",
                vmin: float | None = 0.0, vmax: float | None = 1.0, suptitle: str | None = None):
    """Draw a grid of images `(N, H, W)` or `(N, H, W, 1)`; return the figure."""
    import matplotlib.pyplot as plt

    images = np.asarray(images)
    if images.ndim == 4:
        images = images[..., 0]
    n = len(images)
    ncols = max(1, min(ncols, n))
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.set_xticks([])  # no ticks to lay out: a hidden axis still places its ticks at every draw (half the
        ax.set_yticks([])  # time of a 16-image figure; the picture is the same)
        ax.axis("off")
        if i < n:
            ax.imshow(images[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(str(titles[i]), fontsize=8)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def annotated_matrix(ax, matrix, fmt: str = "{:g}", cmap: str = "Blues", fontsize: int = 7,
                     highlight=None):
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

        for i, j in zip(*np.nonzero(highlight)):
            ax.add_patch(patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=1.5))
    ax.set_xticks([])
    ax.set_yticks([])
    return ax
