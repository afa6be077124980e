"""Explorer for notebook 04: a Gaussian mixture's density and a histogram
of its samples, side by side.

The explorer holds no mixture mathematics of its own: it draws with the functions it is given,
so in the solution notebook it shows the reference answers and in a student's notebook the
student's own `mixture_pdf` and `sample_mixture`. A function that is not written yet (raises
`NotImplementedError`) or fails is reported inside the picture instead of crashing the widget.

    display(mixture_explorer(mixture_pdf, sample_mixture, data=prices))
"""

from __future__ import annotations

import numpy as np

from aekit.widgets.drawing import figure_png as _png

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c")


def _call(fn, *args):
    """`(result, None)` or `(None, message)` for a student's function that may not work yet."""
    name = getattr(fn, "__name__", "the function")
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, f"`{name}` is not written yet: fill it in above and run this cell again"
    except Exception as exc:  # noqa: BLE001  (a half-written exercise must not break the explorer: it says why)
        return None, f"`{name}` raised {type(exc).__name__}: {str(exc)[:80]}"


def mixture_explorer(
    pdf_fn,
    sample_fn,
    weights=(0.30, 0.45, 0.25),
    mus=(8.0, 15.0, 27.0),
    sigmas=(1.5, 2.0, 3.5),
    x_range=(0.0, 45.0),
    n_samples: int = 2000,
    seed: int = 0,
    data=None,
    dpi: int = 80,
):
    """Sliders for the weights, means and standard deviations of a 2- or 3-component mixture.

    Each move redraws the mixture density `pdf_fn(x, w, mu, sigma)`, each weighted component
    `w_k N(mu_k, sigma_k)` and a histogram of `n_samples` draws from `sample_fn` stacked by the
    component they came from. The samples always use the same seed, so moving one slider
    changes only what that parameter changes.

    Args:
        pdf_fn: `mixture_pdf(x, weights, mus, sigmas)` -> densities `(N,)`.
        sample_fn: `sample_mixture(weights, mus, sigmas, n, rng)` -> `(samples (n,), labels (n,))`.
        weights, mus, sigmas: the starting mixture, 2 or 3 components. The weight sliders are
            relative: the explorer divides them by their sum.
        x_range: `(low, high)`, the drawn interval and the range of the mean sliders.
        n_samples: how many samples the histogram shows.
        seed: the seed of the generator handed to `sample_fn` on every redraw.
        data: optional 1-D array; its mean log-likelihood under the current mixture is shown.
        dpi: resolution of the picture.
    Returns:
        An `ipywidgets.VBox`: one column of sliders per component above an `ipywidgets.Image`.
        `.sliders` lists the sliders (the first is the mean of component 1), `.image` is the
        picture and `.redraw()` draws it again.
    """
    import ipywidgets as widgets
    from matplotlib.figure import Figure

    k = len(mus)
    if k not in (2, 3) or len(weights) != k or len(sigmas) != k:
        raise ValueError(
            "mixture_explorer draws 2 or 3 components: give weights, mus, sigmas of one length"
        )
    lo, hi = float(x_range[0]), float(x_range[1])
    width = hi - lo
    grid = np.linspace(lo, hi, 400)
    edges = np.linspace(lo, hi, 61)
    data = None if data is None else np.asarray(data, dtype=float)

    def slider(value, low, high, step, label, shown):
        return widgets.FloatSlider(
            value=float(value),
            min=low,
            max=high,
            step=step,
            description=label,
            style={"description_width": "28px"},
            layout=widgets.Layout(width="230px"),
            readout_format=shown,
        )

    mean_s = [slider(mus[j], lo, hi, round(width / 90, 2), f"μ{j + 1}", ".1f") for j in range(k)]
    std_s = [
        slider(
            sigmas[j],
            round(width / 150, 2),
            round(width / 6, 1),
            round(width / 300, 2),
            f"σ{j + 1}",
            ".2f",
        )
        for j in range(k)
    ]
    weight_s = [slider(weights[j], 0.05, 1.0, 0.05, f"w{j + 1}", ".2f") for j in range(k)]
    columns = [
        widgets.VBox(
            [
                widgets.HTML(f"<b style='color:{COLORS[j]}'>component {j + 1}</b>"),
                mean_s[j],
                std_s[j],
                weight_s[j],
            ]
        )
        for j in range(k)
    ]

    # One figure, reused: every redraw only updates the artists' data
    fig = Figure(figsize=(7.6, 3.3))
    ax = fig.add_subplot()
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.88)
    zeros = np.zeros(len(edges) - 1)
    stairs = [
        ax.stairs(zeros, edges, baseline=zeros, fill=True, color=COLORS[j], alpha=0.35)
        for j in range(k)
    ]
    comp_lines = [
        ax.plot(grid, np.zeros_like(grid), "--", lw=1.2, color=COLORS[j])[0] for j in range(k)
    ]
    (total_line,) = ax.plot(grid, np.zeros_like(grid), "k", lw=2)
    message = ax.text(
        0.5,
        0.5,
        "",
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=10,
        color="firebrick",
        bbox={"facecolor": "white", "edgecolor": "firebrick", "alpha": 0.9},
    )
    ax.set_xlim(lo, hi)
    ax.set_xlabel("x")
    ax.set_ylabel("density")
    # The key is HTML beside the picture, not a matplotlib legend: laying out a legend costs a
    # third of every redraw
    key = widgets.HTML(
        "<span style='font-size:12px'><b>black</b>: mixture density &nbsp; <b>dashed</b>: weighted "
        "components w<sub>k</sub> N(μ<sub>k</sub>, σ<sub>k</sub>) &nbsp; <b>shaded</b>: histogram "
        f"of {n_samples} samples, stacked by the component they came from</span>"
    )
    image = widgets.Image(format="png")

    def redraw(_change=None):
        w = np.array([s.value for s in weight_s])
        w = w / w.sum()
        mu = np.array([s.value for s in mean_s])
        sd = np.array([s.value for s in std_s])
        problems, top = [], 0.0

        dens, err = _call(pdf_fn, grid, w, mu, sd)
        if err is None and np.shape(dens) != grid.shape:
            err = (
                f"`{getattr(pdf_fn, '__name__', 'pdf_fn')}` returned "
                f"shape {np.shape(dens)} for {grid.shape} points"
            )
        if err is None:
            comps = []
            for j in range(k):
                cj, err = _call(pdf_fn, grid, np.ones(1), mu[j : j + 1], sd[j : j + 1])
                if err is not None:
                    break
                comps.append(w[j] * np.asarray(cj, dtype=float).reshape(grid.shape))
        if err is None:
            total_line.set_ydata(np.asarray(dens, dtype=float))
            for line, cj in zip(comp_lines, comps, strict=False):
                line.set_ydata(cj)
            top = max(top, float(np.nanmax(dens)))
        else:
            problems.append(err)
            for line in (total_line, *comp_lines):
                line.set_ydata(np.full_like(grid, np.nan))

        out, err = _call(sample_fn, w, mu, sd, n_samples, np.random.default_rng(seed))
        if err is None:
            try:
                samples, labels = (np.asarray(a) for a in out)
                scale = 1.0 / (len(samples) * (edges[1] - edges[0]))
                bottom = zeros
                for j in range(k):
                    counts = np.histogram(samples[labels == j], bins=edges)[0] * scale
                    stairs[j].set_data(bottom + counts, baseline=bottom)
                    bottom = bottom + counts
                top = max(top, float(bottom.max()))
            except Exception as exc:  # noqa: BLE001  (a student's samples of any shape: shown, not raised)
                err = f"could not draw the samples: {type(exc).__name__}: {str(exc)[:60]}"
        if err is not None:
            problems.append(err)
            for st in stairs:
                st.set_data(zeros, baseline=zeros)

        ax.set_ylim(0, 1.15 * top if top > 0 else 1.0)
        message.set_text("\n".join(problems))
        title = "w = (" + ", ".join(f"{v:.2f}" for v in w) + ")"
        if data is not None and not problems:
            dens_data, err = _call(pdf_fn, data, w, mu, sd)
            if err is None and np.shape(dens_data) == data.shape:
                ll = np.log(np.maximum(np.asarray(dens_data, dtype=float), 1e-300)).mean()
                title += f"    mean log-likelihood of the data: {ll:.3f}"
        ax.set_title(title, fontsize=9)
        image.value = _png(fig, dpi)

    sliders = [s for j in range(k) for s in (mean_s[j], std_s[j], weight_s[j])]
    for s in sliders:
        s.observe(redraw, names="value")
    redraw()
    box = widgets.VBox([widgets.HBox(columns), key, image])
    box.sliders = sliders
    box.image = image
    box.redraw = redraw
    return box
