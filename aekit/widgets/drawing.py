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
