"""Explorers of a VAE's latent space (notebook 05), built from ipywidgets, NumPy and PIL.

Every explorer takes trained Keras models as arguments: an `encoder` mapping images
`(B, 28, 28, 1)` to `[mu, log_var]`, each `(B, latent_dim)`, and a `decoder` mapping codes
`(B, latent_dim)` to logits `(B, 28, 28, 1)`. Slider moves only call the models directly
(`model(z, training=False)`) and draw with PIL into an `ipywidgets.Image`, so a move redraws in a
few milliseconds; anything that does not depend on the slider is computed once when the explorer is
built. Nothing runs on import.
"""

from __future__ import annotations

import numpy as np

from aekit.widgets.drawing import array_png as png

# matplotlib's tab10, so the colours match the notebook's scatter plots
TAB10 = np.array(
    [
        (31, 119, 180),
        (255, 127, 14),
        (44, 160, 44),
        (214, 39, 40),
        (148, 103, 189),
        (140, 86, 75),
        (227, 119, 194),
        (127, 127, 127),
        (188, 189, 34),
        (23, 190, 207),
    ],
    dtype=np.uint8,
)
HIGHLIGHT = (220, 30, 30)


# ---------------------------------------------------------------- model calls


def decode(decoder, z) -> np.ndarray:
    """Pixel probabilities `(N, 28, 28)` of the codes `z` `(N,
    latent_dim)`: sigmoid of the decoder's logits."""
    logits = np.asarray(
        decoder(np.asarray(z, dtype=np.float32).reshape(-1, _latent_dim(decoder)), training=False),
        dtype=np.float64,
    )
    return (1.0 / (1.0 + np.exp(-logits)))[..., 0]


def encode(encoder, images) -> tuple[np.ndarray, np.ndarray]:
    """The means and log-variances `(N, latent_dim)` of q(z | x) for `images` `(N, 28, 28, 1)`."""
    mu, log_var = encoder(np.asarray(images, dtype=np.float32), training=False)
    return np.asarray(mu, dtype=np.float64), np.asarray(log_var, dtype=np.float64)


def _latent_dim(decoder) -> int:
    return int(decoder.inputs[0].shape[-1])


# ---------------------------------------------------------------- drawing


def tile(prob, scale: int = 1) -> np.ndarray:
    """A probability image `(28, 28)` in [0, 1] as uint8 RGB, ink dark on
    white, upscaled by `scale` (nearest)."""
    grey = (255.0 * (1.0 - np.clip(prob, 0.0, 1.0))).astype(np.uint8)
    if scale > 1:
        grey = grey.repeat(scale, axis=0).repeat(scale, axis=1)
    return np.repeat(grey[..., None], 3, axis=2)


def mosaic(probs, ncols: int, scale: int = 1, gap: int = 2, frame: int | None = None) -> np.ndarray:
    """Tiles `(N, 28, 28)` in rows of `ncols` on a light grey background;
    `frame` outlines one tile in red."""
    n = len(probs)
    nrows = int(np.ceil(n / ncols))
    side = 28 * scale
    out = np.full((nrows * (side + gap) + gap, ncols * (side + gap) + gap, 3), 200, np.uint8)
    for i, prob in enumerate(probs):
        r, c = divmod(i, ncols)
        y, x = gap + r * (side + gap), gap + c * (side + gap)
        out[y : y + side, x : x + side] = tile(prob, scale)
        if frame == i:
            _outline(out, y - gap, x - gap, side + 2 * gap, side + 2 * gap, width=gap)
    return out


def _outline(canvas, y, x, h, w, width: int = 2, colour=HIGHLIGHT):
    canvas[max(y, 0) : y + width, max(x, 0) : x + w] = colour
    canvas[max(y + h - width, 0) : y + h, max(x, 0) : x + w] = colour
    canvas[max(y, 0) : y + h, max(x, 0) : x + width] = colour
    canvas[max(y, 0) : y + h, max(x + w - width, 0) : x + w] = colour


class LatentMap:
    """A square picture of the 2-D latent plane [-limit, limit]^2 with codes drawn as coloured dots.

    Built once; `draw_point` and `draw_box` return a fresh copy with a marker, for a slider move.
    """

    def __init__(self, codes=None, labels=None, limit: float = 3.0, size: int = 196):
        self.limit, self.size = float(limit), int(size)
        canvas = np.full((self.size, self.size, 3), 255, np.uint8)
        c0, c1 = self.to_pixel(0.0, 0.0)
        canvas[c1, :] = 215  # axes through the origin
        canvas[:, c0] = 215
        if codes is not None:
            codes = np.asarray(codes, dtype=np.float64)[:, :2]
            colours = (
                TAB10[np.asarray(labels, dtype=int) % 10]
                if labels is not None
                else np.tile(np.array([[90, 90, 90]], np.uint8), (len(codes), 1))
            )
            px, py = self.to_pixel(codes[:, 0], codes[:, 1])
            inside = (px >= 1) & (px < self.size - 1) & (py >= 1) & (py < self.size - 1)
            for dy in (-1, 0, 1):  # 3x3 dots
                for dx in (-1, 0, 1):
                    canvas[py[inside] + dy, px[inside] + dx] = colours[inside]
        _outline(canvas, 0, 0, self.size, self.size, width=1, colour=(120, 120, 120))
        self.background = canvas

    def to_pixel(self, z1, z2):
        """Pixel column and row of the latent point (z1, z2): z1 grows to the right, z2 upwards."""
        scale = (self.size - 1) / (2 * self.limit)
        px = np.rint((np.asarray(z1) + self.limit) * scale).astype(int)
        py = np.rint((self.limit - np.asarray(z2)) * scale).astype(int)
        return px, py

    def draw_point(self, z1: float, z2: float, radius: int = 5) -> np.ndarray:
        canvas = self.background.copy()
        px, py = (int(v) for v in self.to_pixel(z1, z2))
        for r in (radius, radius - 1):  # a ring two pixels wide
            angle = np.linspace(0, 2 * np.pi, 8 * r, endpoint=False)
            xs, ys = (
                np.rint(px + r * np.cos(angle)).astype(int),
                np.rint(py + r * np.sin(angle)).astype(int),
            )
            ok = (xs >= 0) & (xs < self.size) & (ys >= 0) & (ys < self.size)
            canvas[ys[ok], xs[ok]] = (0, 0, 0)
        return canvas

    def draw_box(self, lo1: float, hi1: float, lo2: float, hi2: float) -> np.ndarray:
        canvas = self.background.copy()
        x0, y0 = (int(v) for v in self.to_pixel(lo1, hi2))
        x1, y1 = (int(v) for v in self.to_pixel(hi1, lo2))
        x0, y0 = max(x0, 0), max(y0, 0)
        x1, y1 = min(x1, self.size - 1), min(y1, self.size - 1)
        if x1 > x0 and y1 > y0:
            _outline(canvas, y0, x0, y1 - y0 + 1, x1 - x0 + 1, width=2, colour=(0, 0, 0))
        return canvas


def _legend_html() -> str:
    items = "".join(
        f'<span style="color:rgb{tuple(int(v) for v in TAB10[d])};font-weight:bold">{d}</span> '
        for d in range(10)
    )
    return f'<div style="font-size:12px">colour = digit: {items}</div>'


def _image(array, **layout):
    import ipywidgets as w

    return w.Image(value=png(array), format="png", layout=w.Layout(**layout))


def _caption(text: str):
    import ipywidgets as w

    return w.HTML(f'<div style="font-size:12px;color:#444">{text}</div>')


# ---------------------------------------------------------------- explorers


def latent_sliders(
    decoder, codes=None, labels=None, limit: float = 3.0, step: float = 0.1, size: int = 196
):
    """Two sliders (z1 first, then z2) over a 2-D latent plane; the decoded
    digit redraws as they move.

    Args:
        decoder: Keras model, codes `(B, 2)` -> logits `(B, 28, 28, 1)`.
        codes, labels: optional held-out codes `(N, 2)` and digits `(N,)`, drawn as a map beside the
            digit with the current point marked.
        limit: the sliders run over [-limit, limit].
    Returns:
        An `ipywidgets.VBox`.
    """
    import ipywidgets as w

    if _latent_dim(decoder) != 2:
        raise ValueError(
            f"latent_sliders needs a decoder with a 2-D latent space, got {_latent_dim(decoder)}"
        )
    scale = max(1, size // 28)
    z1 = w.FloatSlider(
        value=0.0, min=-limit, max=limit, step=step, description="z1", continuous_update=True
    )
    z2 = w.FloatSlider(
        value=0.0, min=-limit, max=limit, step=step, description="z2", continuous_update=True
    )
    latent_map = LatentMap(codes, labels, limit=limit, size=size)
    digit = _image(tile(decode(decoder, [[0.0, 0.0]])[0], scale))
    where = _image(latent_map.draw_point(0.0, 0.0))

    def redraw(_=None):
        digit.value = png(tile(decode(decoder, [[z1.value, z2.value]])[0], scale))
        where.value = png(latent_map.draw_point(z1.value, z2.value))

    z1.observe(redraw, names="value")
    z2.observe(redraw, names="value")
    return w.VBox(
        [
            w.HBox([z1, z2]),
            w.HBox(
                [
                    w.VBox([_caption("decoder(z): pixel probabilities"), digit]),
                    w.VBox(
                        [
                            _caption(
                                "where z is: held-out codes (means)"
                                if codes is not None
                                else "where z is"
                            ),
                            where,
                        ]
                    ),
                ]
            ),
            w.HTML(_legend_html()) if labels is not None else w.HTML(""),
        ]
    )


def latent_grid(decoder, codes=None, labels=None, limit: float = 3.0, n: int = 13, size: int = 196):
    """A decoded grid over a window of the 2-D latent plane; sliders set
    the window's half-width and centre.

    Args:
        decoder: Keras model, codes `(B, 2)` -> logits `(B, 28, 28, 1)`.
        codes, labels: optional held-out codes `(N, 2)` and digits `(N,)`, drawn as a map with the
        window. limit: the extent of the map; `n`: tiles per side.
    Returns:
        An `ipywidgets.VBox`.
    """
    import ipywidgets as w

    if _latent_dim(decoder) != 2:
        raise ValueError(
            f"latent_grid needs a decoder with a 2-D latent space, got {_latent_dim(decoder)}"
        )
    span = w.FloatSlider(value=2.0, min=0.2, max=limit, step=0.1, description="half-width")
    c1 = w.FloatSlider(value=0.0, min=-limit, max=limit, step=0.1, description="centre z1")
    c2 = w.FloatSlider(value=0.0, min=-limit, max=limit, step=0.1, description="centre z2")
    latent_map = LatentMap(codes, labels, limit=limit, size=size)

    def pictures():
        lo1, hi1 = c1.value - span.value, c1.value + span.value
        lo2, hi2 = c2.value - span.value, c2.value + span.value
        # top row = large z2
        g1, g2 = np.meshgrid(np.linspace(lo1, hi1, n), np.linspace(hi2, lo2, n))
        probs = decode(decoder, np.stack([g1.ravel(), g2.ravel()], axis=1))
        return mosaic(probs, ncols=n, gap=1), latent_map.draw_box(lo1, hi1, lo2, hi2)

    grid_array, map_array = pictures()
    grid, where = _image(grid_array, width="400px"), _image(map_array)

    def redraw(_=None):
        grid_array, map_array = pictures()
        grid.value, where.value = png(grid_array), png(map_array)

    for slider in (span, c1, c2):
        slider.observe(redraw, names="value")
    return w.VBox(
        [
            w.HBox([span, c1, c2]),
            w.HBox(
                [
                    w.VBox(
                        [_caption(f"decoded {n} x {n} grid (z1 to the right, z2 upwards)"), grid]
                    ),
                    w.VBox(
                        [
                            _caption("the window on the latent plane"),
                            where,
                            w.HTML(_legend_html()) if labels is not None else w.HTML(""),
                        ]
                    ),
                ]
            ),
        ]
    )


def interpolation(
    encoder, decoder, images, start: int = 0, end: int = 1, steps: int = 9, scale: int = 4
):
    """Walk from one encoded image to another: a slider over t in [0, 1]
    (first), two sliders pick the pair.

    Shows the decoding of (1 - t) mu_a + t mu_b large, the whole latent path as a strip with the
    current t framed, and below it the pixel-space blend (1 - t) x_a + t x_b for comparison.

    Args:
        encoder, decoder: Keras models (see the module docstring).
        images: float32 `(N, 28, 28, 1)`, the images to pick from.
    Returns:
        An `ipywidgets.VBox`.
    """
    import ipywidgets as w

    images = np.asarray(images, dtype=np.float32)
    t = w.FloatSlider(
        value=0.0,
        min=0.0,
        max=1.0,
        step=1.0 / (steps - 1) / 2,
        description="t",
        readout_format=".3f",
    )
    first = w.IntSlider(value=start, min=0, max=len(images) - 1, description="from image")
    last = w.IntSlider(value=end, min=0, max=len(images) - 1, description="to image")
    state = {}

    def prepare():
        mu, _ = encode(encoder, images[[first.value, last.value]])
        ts = np.linspace(0.0, 1.0, steps)
        state["mu"] = mu
        state["latent"] = decode(decoder, (1 - ts)[:, None] * mu[0] + ts[:, None] * mu[1])
        a, b = images[first.value, ..., 0], images[last.value, ..., 0]
        state["pixels"] = (1 - ts)[:, None, None] * a + ts[:, None, None] * b
        state["ends"] = (a, b)

    def pictures():
        mu, ts = state["mu"], np.linspace(0.0, 1.0, steps)
        z = (1 - t.value) * mu[0] + t.value * mu[1]
        now = tile(decode(decoder, z[None])[0], 4)
        nearest = int(np.argmin(np.abs(ts - t.value)))
        strips = np.concatenate(
            [
                mosaic(state["latent"], steps, 2, frame=nearest),
                mosaic(state["pixels"], steps, 2, frame=nearest),
            ],
            axis=0,
        )
        ends = np.concatenate(
            [
                tile(state["ends"][0], scale),
                np.full((28 * scale, 8, 3), 255, np.uint8),
                tile(state["ends"][1], scale),
            ],
            axis=1,
        )
        return now, strips, ends

    prepare()
    now_a, strips_a, ends_a = pictures()
    now, strips, ends = _image(now_a), _image(strips_a), _image(ends_a)

    def redraw(_=None):
        now_a, strips_a, _ = pictures()
        now.value, strips.value = png(now_a), png(strips_a)

    def new_pair(_=None):
        prepare()
        now_a, strips_a, ends_a = pictures()
        now.value, strips.value, ends.value = png(now_a), png(strips_a), png(ends_a)

    t.observe(redraw, names="value")
    first.observe(new_pair, names="value")
    last.observe(new_pair, names="value")
    return w.VBox(
        [
            w.HBox([t, first, last]),
            w.HBox(
                [
                    w.VBox([_caption("the two images"), ends]),
                    w.VBox([_caption("decoder((1 - t) mu_a + t mu_b)"), now]),
                ]
            ),
            _caption("top: the path through the latent space; bottom: the same t blending pixels"),
            strips,
        ]
    )


def variants(encoder, decoder, images, n_variants: int = 8, seed: int = 0, scale: int = 3):
    """Several decodes of one image's sampled codes z = mu + exp(log_var /
    2) * eps; a slider picks the image.

    Args:
        encoder, decoder: Keras models (see the module docstring).
        images: float32 `(N, 28, 28, 1)`.
        n_variants: samples per image; `seed`: NumPy seed of the first draw
        ("draw again" draws new ones).
    Returns:
        An `ipywidgets.VBox`.
    """
    import ipywidgets as w

    images = np.asarray(images, dtype=np.float32)
    rng = np.random.default_rng(seed)
    index = w.IntSlider(value=0, min=0, max=len(images) - 1, description="image")
    spread = w.FloatSlider(value=1.0, min=0.0, max=3.0, step=0.25, description="noise x")
    again = w.Button(description="draw again")
    info = w.HTML()
    state = {"eps": rng.standard_normal((n_variants, 1))}

    def pictures():
        mu, log_var = encode(encoder, images[index.value : index.value + 1])
        if state["eps"].shape[1] != mu.shape[1]:
            state["eps"] = rng.standard_normal((n_variants, mu.shape[1]))
        z = mu + spread.value * np.exp(log_var / 2) * state["eps"]
        probs = decode(decoder, np.concatenate([mu, z]))
        sd = np.exp(log_var[0] / 2)
        info.value = (
            f'<div style="font-size:12px">mu = {np.array2string(mu[0][:4], precision=2)}'
            f"{' ...' if mu.shape[1] > 4 else ''}, sigma = exp(log_var / 2) = "
            f"{np.array2string(sd[:4], precision=2)}{' ...' if mu.shape[1] > 4 else ''}</div>"
        )
        left = np.concatenate(
            [
                tile(images[index.value, ..., 0], scale),
                np.full((28 * scale, 6, 3), 255, np.uint8),
                tile(probs[0], scale),
            ],
            axis=1,
        )
        return left, mosaic(probs[1:], ncols=(n_variants + 1) // 2, scale=scale)

    left_a, right_a = pictures()
    left, right = _image(left_a), _image(right_a)

    def redraw(_=None):
        left_a, right_a = pictures()
        left.value, right.value = png(left_a), png(right_a)

    def draw_again(_=None):
        state["eps"] = rng.standard_normal(state["eps"].shape)
        redraw()

    index.observe(redraw, names="value")
    spread.observe(redraw, names="value")
    again.on_click(draw_again)
    return w.VBox(
        [
            w.HBox([index, spread, again]),
            w.HBox(
                [
                    w.VBox([_caption("input, and decoder(mu)"), left]),
                    w.VBox(
                        [_caption(f"decoder(z) for {n_variants} draws z = mu + sigma * eps"), right]
                    ),
                ]
            ),
            info,
        ]
    )


def beta_comparison(
    models,
    images,
    labels,
    n_show: int = 8,
    limit: float = 3.0,
    n_grid: int = 9,
    seed: int = 0,
    size: int = 196,
):
    """A slider over pretrained 2-D VAEs of different beta: held-out codes,
    decoded grid, reconstructions.

    Everything is computed when the explorer is built, so a move only swaps pictures.

    Args:
        models: dict `{label: (encoder, decoder)}` in slider order, e.g.
        `{"beta = 0.5": (enc, dec), ...}`;
            each with a 2-D latent space.
        images, labels: held-out images `(N, 28, 28, 1)` (binary or grey) and digits `(N,)`.
        n_show: reconstructions shown; `n_grid`: grid tiles per side over
        [-2.5, 2.5]^2 (the bulk of N(0, I)).
    Returns:
        An `ipywidgets.VBox`.
    """
    import ipywidgets as w

    images = np.asarray(images, dtype=np.float32)
    rng = np.random.default_rng(seed)
    pages = {}
    for label, (encoder, decoder) in models.items():
        mu, log_var = encode(encoder, images)
        z = mu + np.exp(log_var / 2) * rng.standard_normal(mu.shape)
        logits = np.asarray(decoder(z.astype(np.float32), training=False), dtype=np.float64)
        x = images.astype(np.float64)
        nll = (np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits)))).sum(
            axis=(1, 2, 3)
        )
        kl_per_dim = 0.5 * (np.exp(log_var) + mu**2 - 1.0 - log_var)
        kl = kl_per_dim.sum(axis=1)
        g1, g2 = np.meshgrid(np.linspace(-2.5, 2.5, n_grid), np.linspace(2.5, -2.5, n_grid))
        grid = mosaic(decode(decoder, np.stack([g1.ravel(), g2.ravel()], 1)), ncols=n_grid, gap=1)
        recon = mosaic(
            np.concatenate([images[:n_show, ..., 0], decode(decoder, mu[:n_show])]),
            ncols=n_show,
            scale=2,
        )
        pages[label] = {
            "map": png(
                LatentMap(mu, labels, limit=limit, size=size).draw_box(-2.5, 2.5, -2.5, 2.5)
            ),
            "grid": png(grid),
            "recon": png(recon),
            "text": (
                f'<div style="font-size:13px"><b>{label}</b>: reconstruction term '
                f"{nll.mean():.1f} nats, KL term {kl.mean():.2f} nats per image "
                f"(held-out, one sample each); KL per latent dimension "
                f"{np.array2string(kl_per_dim.mean(0), precision=2)}"
                f"</div>"
            ),
        }
    names = list(pages)
    choice = w.SelectionSlider(options=names, value=names[len(names) // 2], description="model")
    page = pages[choice.value]
    where, grid, recon, text = (
        _image_bytes(page["map"]),
        _image_bytes(page["grid"]),
        _image_bytes(page["recon"]),
        w.HTML(page["text"]),
    )

    def redraw(_=None):
        page = pages[choice.value]
        where.value, grid.value, recon.value, text.value = (
            page["map"],
            page["grid"],
            page["recon"],
            page["text"],
        )

    choice.observe(redraw, names="value")
    return w.VBox(
        [
            choice,
            text,
            w.HBox(
                [
                    w.VBox(
                        [
                            _caption("held-out codes (means); the box is [-2.5, 2.5]^2"),
                            where,
                            w.HTML(_legend_html()),
                        ]
                    ),
                    w.VBox([_caption("decoded grid over the box"), grid]),
                ]
            ),
            _caption("held-out digits (top) and decoder(mu) (bottom)"),
            recon,
        ]
    )


def _image_bytes(value: bytes):
    import ipywidgets as w

    return w.Image(value=value, format="png")
