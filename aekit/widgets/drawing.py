"""Drawing helpers shared by the explorers: fonts, colours and PNG encoding.

Every explorer draws with PIL (or matplotlib's Agg canvas) straight into PNG bytes for an
`ipywidgets.Image`. The helpers they all need live here, once. Nothing heavy runs on import:
PIL and matplotlib are imported inside the functions.
"""

from __future__ import annotations

import functools
import io

import numpy as np

RED = (214, 39, 40)
GREY = (150, 150, 150)
DARK = (40, 40, 40)


@functools.lru_cache(maxsize=None)
def font(size: int = 12, bold: bool = False):
    """matplotlib's DejaVu Sans (bold if asked) at `size` pixels, or PIL's
    bitmap font without FreeType."""
    import matplotlib
    from PIL import ImageFont

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(f"{matplotlib.get_data_path()}/fonts/ttf/{name}", size)
    except OSError:  # no FreeType: PIL's bitmap font
        return ImageFont.load_default()


@functools.lru_cache(maxsize=None)
def lut(cmap: str) -> np.ndarray:
    """The 256-entry uint8 RGB lookup table `(256, 3)` of a matplotlib colour map."""
    import matplotlib

    return (matplotlib.colormaps[cmap](np.linspace(0, 1, 256))[:, :3] * 255).astype(np.uint8)


def colors(values, cmap: str, vmax: float) -> np.ndarray:
    """RGB uint8 colours `(..., 3)` of `values` scaled to [0, vmax] (values <= 0 are white)."""
    values = np.asarray(values, dtype=np.float64)
    idx = np.clip(np.rint(values / max(vmax, 1e-12) * 255), 0, 255).astype(int)
    rgb = lut(cmap)[idx]
    rgb[values <= 0] = 255
    return rgb


def colour(values, cmap: str, vmin: float, vmax: float) -> np.ndarray:
    """Map an array to uint8 RGB with a matplotlib colour map over [vmin,
    vmax], `(...) -> (..., 3)`."""
    import matplotlib

    scaled = np.clip((np.asarray(values, np.float64) - vmin) / max(vmax - vmin, 1e-12), 0.0, 1.0)
    return (matplotlib.colormaps[cmap](scaled)[..., :3] * 255).astype(np.uint8)


def text_color(rgb) -> tuple:
    """White or dark grey, whichever reads better on the background colour `rgb`."""
    return (255, 255, 255) if sum(int(c) for c in rgb) < 330 else DARK


def grid(
    draw, x0: int, y0: int, values, cell_w: int, cell_h: int, cmap: str, vmax: float, **text
) -> None:
    """Draw a matrix of coloured cells at (x0, y0), each `cell_w` x `cell_h` pixels.

    `text`: `labels`, what to write in the cells (an array of strings; True: the values that
    are not 0; None, the default: nothing), and `font_size` (default: from the cell width)."""
    values = np.asarray(values, dtype=np.float64)
    labels = text.get("labels")
    if labels is True:
        labels = [[f"{v:g}" if v else "" for v in row] for row in values]
    elif labels is False:
        labels = None
    rgb = colors(values, cmap, vmax)
    face = font(text.get("font_size") or max(8, min(12, cell_w // 3 + 1)))
    for (r, c), _ in np.ndenumerate(values):
        box = (
            x0 + c * cell_w,
            y0 + r * cell_h,
            x0 + (c + 1) * cell_w - 1,
            y0 + (r + 1) * cell_h - 1,
        )
        draw.rectangle(
            box,
            fill=tuple(int(v) for v in rgb[r, c]),
            outline=(215, 215, 215) if min(cell_w, cell_h) >= 6 else None,
        )
        if labels is not None and labels[r][c]:
            draw.text(
                (box[0] + cell_w / 2, box[1] + cell_h / 2),
                labels[r][c],
                anchor="mm",
                font=face,
                fill=text_color(rgb[r, c]),
            )


def caption(draw, center: tuple[float, float], text: str, size: int = 11, color=DARK) -> None:
    """Write `text` centred on `center`."""
    draw.text(center, text, anchor="mm", font=font(size), fill=color)


def outline(draw, x0, y0, cell_w, cell_h, top, left, h, w, width=3, color=RED) -> None:
    """Outline the `h` x `w` cells from (`top`, `left`) of a `grid` drawn at (x0, y0)."""
    grow = 0 if min(cell_w, cell_h) >= 10 else width  # thin cells: draw around them, not over them
    draw.rectangle(
        (
            x0 + left * cell_w - 1 - grow,
            y0 + top * cell_h - 1 - grow,
            x0 + (left + w) * cell_w + grow,
            y0 + (top + h) * cell_h + grow,
        ),
        outline=color,
        width=width,
    )


def png(image) -> bytes:
    """PNG bytes of a PIL image (fast compression: the pictures are redrawn
    on every slider move)."""
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def array_png(array) -> bytes:
    """PNG bytes of a uint8 image `(H, W)` (grey) or `(H, W, 3)` (RGB)."""
    from PIL import Image

    return png(Image.fromarray(np.ascontiguousarray(array)))


def figure_png(fig, dpi: int) -> bytes:
    """PNG bytes of a matplotlib figure at `dpi`."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def message_png(text: str) -> bytes:
    """A white strip with one line of `text`: what an explorer shows
    instead of a picture it cannot draw."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (760, 40), "white")
    ImageDraw.Draw(img).text((10, 12), text, fill=DARK, font=font(14))
    return png(img)
