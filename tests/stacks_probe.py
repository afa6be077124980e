"""Run inside one stack's Python (tests/test_stacks.py): what the course
does there, as a JSON report.

    <stack python> tests/stacks_probe.py --solutions DIR --notebook-code DIR --out DIR [--only weights,widgets,notebooks]

- versions: the TensorFlow, Keras, NumPy, ipywidgets and aekit it runs, and
  where aekit's data comes from;
- weights: every shipped .keras file loaded with `aekit.data.load_pretrained` and its held-out
  figures recomputed (the checks against the recorded figures are in tests/test_stacks.py);
- widgets: every explorer built with the reference functions and pretrained models, drawn, one
  control moved and drawn again;
- notebooks: every solution notebook run top to bottom ungraded with nbclient (the instructor's run
  with explorers: no NBGRADER_EXECUTION), widget state stored, written to DIR/<name>.ipynb.

It imports nothing from the checkout: aekit is whatever this Python has installed (the wheel, as the
Colab setup cell installs it). `--notebook-code` is the folder of data/notebook_code.py, which runs
a solution notebook's setup and exercise cells to get the reference functions.
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("NBGRADER_EXECUTION", None)

PNG = b"\x89PNG\r\n\x1a\n"
# samples per held-out image for the VAEs' -ELBO (the same NumPy draws in every stack)
ELBO_DRAWS = 20


def versions() -> dict:
    from importlib import metadata

    import aekit
    from aekit import data

    out = {
        "python": sys.version.split()[0],
        "aekit_file": aekit.__file__,
        "data_dir": str(data.data_dir()),
    }
    for dist in (
        "tensorflow",
        "tensorflow-cpu",
        "keras",
        "numpy",
        "ipywidgets",
        "ipykernel",
        "ipython",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def weights(load_solution) -> dict:
    """Each shipped model's held-out figures, computed as its training script computed them."""
    import numpy as np

    from aekit import data

    _, (x_test, _) = data.load_mnist("bundled", verbose=False)
    binary = (x_test > 0.5).astype(np.float32)
    out = {}
    for path in sorted((data.data_dir() / "weights").glob("*.keras")):
        model = data.load_pretrained(path.name)
        encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
        if path.name.startswith("ae_"):
            # data/train_autoencoder_weights.py: reconstruction_loss
            # (summed squared error per image) per 500
            recon = np.concatenate(
                [
                    np.asarray(decoder(encoder(x_test[i : i + 500])))
                    for i in range(0, len(x_test), 500)
                ]
            )
            out[path.name] = {
                "heldout_loss": float(((x_test - recon) ** 2).sum(axis=(1, 2, 3)).mean())
            }
        elif path.name.startswith("vae_"):
            mu, log_var = (np.asarray(t, np.float64) for t in encoder(binary, training=False))
            kl = 0.5 * (np.exp(log_var) + mu**2 - 1.0 - log_var).sum(axis=1)
            rng = np.random.default_rng(0)
            nll = np.zeros(len(binary))
            for _ in range(ELBO_DRAWS):
                z = mu + np.exp(log_var / 2) * rng.standard_normal(mu.shape)
                logits = np.asarray(decoder(z.astype(np.float32), training=False), np.float64)
                nll += (
                    np.maximum(logits, 0) - logits * binary + np.log1p(np.exp(-np.abs(logits)))
                ).sum(axis=(1, 2, 3))
            nll /= ELBO_DRAWS
            out[path.name] = {
                "heldout_kl": float(kl.mean()),
                "heldout_reconstruction": float(nll.mean()),
                "heldout_neg_elbo": float((nll + kl).mean()),
            }
        else:
            # data/train_checkerboard_weights.py: mean squared error, and
            # the notebook's checkerboard_score
            recon = np.concatenate(
                [
                    np.asarray(model(x_test[i : i + 250], training=False))
                    for i in range(0, len(x_test), 250)
                ]
            )
            score = load_solution("06_checkerboard_artifacts")["checkerboard_score"]
            out[path.name] = {
                "heldout_loss": float(((x_test - recon) ** 2).mean()),
                "heldout_checkerboard_score": float(score(recon)),
            }
    return out


def _images(widget) -> list:
    import ipywidgets as w

    if isinstance(widget, w.Image):
        return [widget]
    return [i for child in getattr(widget, "children", ()) for i in _images(child)]


def _controls(widget) -> list:
    import ipywidgets as w

    if isinstance(widget, (w.IntSlider, w.FloatSlider, w.SelectionSlider)):
        return [widget]
    return [c for child in getattr(widget, "children", ()) for c in _controls(child)]


def _move(control) -> None:
    import ipywidgets as w

    if isinstance(control, w.SelectionSlider):
        options = list(control.options)
        labels = [o[0] if isinstance(o, tuple) else o for o in options]
        i = labels.index(control.label) if control.label in labels else 0
        control.index = (i + 1) % len(options)
    elif control.value + control.step <= control.max:
        control.value = control.value + control.step
    else:
        control.value = control.value - control.step


def widgets(load_solution) -> dict:
    """Build each explorer with the reference functions and pretrained
    models; draw; move; draw again."""
    import numpy as np

    from aekit import data
    from aekit.widgets import checkerboard, conv, latent, mixture, transpose

    n01, n02 = load_solution("01_conv_as_matrix"), load_solution("02_transpose_conv")
    n04, n06 = (
        load_solution("04_gaussian_generative_models"),
        load_solution("06_checkerboard_artifacts"),
    )
    _, (x_test, y_test) = data.load_mnist("bundled", verbose=False)
    binary = (x_test[:50] > 0.5).astype(np.float32)
    vae = data.load_pretrained("vae_latent2_beta1.keras")
    enc2, dec2 = vae.get_layer("encoder"), vae.get_layer("decoder")
    vae16 = data.load_pretrained("vae_latent16_beta1.keras")
    enc16, dec16 = vae16.get_layer("encoder"), vae16.get_layer("decoder")
    codes = np.asarray(enc2(binary, training=False)[0])
    betas = {}
    for b in ("0.5", "1", "4"):
        m = data.load_pretrained(f"vae_latent2_beta{b}.keras")
        betas[f"beta = {b}"] = (m.get_layer("encoder"), m.get_layer("decoder"))
    boards = {k: data.load_pretrained(f"checkerboard_{k}.keras") for k in ("transpose", "resize")}
    ends = {
        k: np.asarray(m.get_layer("encoder")(x_test[[3, 7]], training=False))
        for k, m in boards.items()
    }
    explorers = {
        "conv.matrix_explorer": lambda: conv.matrix_explorer(
            n01["conv_matrix"], n01["conv_output_size"]
        ),
        "transpose.scatter_explorer": lambda: transpose.scatter_explorer(
            n02["conv_transpose_scatter"], n02["transpose_output_shapes"]
        ),
        "mixture.mixture_explorer": lambda: mixture.mixture_explorer(
            n04["mixture_pdf"], n04["sample_mixture"]
        ),
        "latent.latent_sliders": lambda: latent.latent_sliders(dec2, codes, y_test[:50]),
        "latent.latent_grid": lambda: latent.latent_grid(dec2, codes, y_test[:50]),
        "latent.interpolation": lambda: latent.interpolation(enc16, dec16, binary, 3, 7),
        "latent.variants": lambda: latent.variants(enc16, dec16, binary),
        "latent.beta_comparison": lambda: latent.beta_comparison(betas, binary, y_test[:50]),
        "checkerboard.overlap_explorer": lambda: checkerboard.overlap_explorer(
            n06["overlap_counts"]
        ),
        "checkerboard.decoder_explorer": lambda: checkerboard.decoder_explorer(
            {k: m.get_layer("decoder") for k, m in boards.items()}, ends, n06["checkerboard_score"]
        ),
    }
    out = {}
    for name, build in explorers.items():
        try:
            box = build()
            images, controls = _images(box), _controls(box)
            before = [bytes(i.value) for i in images]
            _move(controls[0])
            after = [bytes(i.value) for i in images]
            # every other control once: each must redraw without an error
            for control in controls[1:]:
                _move(control)
            last = [bytes(i.value) for i in images]
            out[name] = {
                "images": len(images),
                "controls": len(controls),
                "drawn": all(b.startswith(PNG) for b in before),
                "redrawn": all(a.startswith(PNG) for a in after) and after != before,
                "every_control_drawn": all(b.startswith(PNG) for b in last),
            }
        except Exception as exc:  # noqa: BLE001  (the probe reports any error of an explorer)
            out[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return out


def notebooks(solutions: pathlib.Path, out: pathlib.Path, timeout: int) -> dict:
    """Run each solution notebook top to bottom, ungraded, in a copy of its
    folder; keep the executed notebook."""
    import shutil
    import tempfile

    import nbformat
    from nbclient import NotebookClient

    report = {}
    for src in sorted(solutions.glob("*/*.ipynb")):
        nb = nbformat.read(str(src), as_version=4)
        with tempfile.TemporaryDirectory(prefix="aekit-stack-") as tmp:
            work = pathlib.Path(tmp) / src.parent.name
            shutil.copytree(src.parent, work)
            start = time.perf_counter()
            try:
                NotebookClient(
                    nb,
                    timeout=timeout,
                    kernel_name="python3",
                    store_widget_state=True,
                    resources={"metadata": {"path": str(work)}},
                ).execute()
                error = None
            except Exception as exc:  # noqa: BLE001  (CellExecutionError names the cell and the traceback)
                error = f"{type(exc).__name__}: {str(exc)[-3000:]}"
            seconds = time.perf_counter() - start
        nbformat.write(nb, str(out / src.name))
        report[src.stem] = {"seconds": round(seconds, 1), "error": error}
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--solutions", type=pathlib.Path, required=True)
    parser.add_argument("--notebook-code", type=pathlib.Path, required=True)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--only", default="weights,widgets,notebooks")
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()
    parts = args.only.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    sys.path.append(str(args.notebook_code))  # after site-packages: aekit stays the installed one
    from notebook_code import load_solution as _load

    cache: dict = {}

    def load_solution(name):
        if name not in cache:
            cache[name] = _load(name)
        return cache[name]

    report = {"versions": versions()}
    start = time.perf_counter()
    if "weights" in parts:
        report["weights"] = weights(load_solution)
    if "widgets" in parts:
        report["widgets"] = widgets(load_solution)
    report["probe_seconds"] = round(time.perf_counter() - start, 1)
    if "notebooks" in parts:
        report["notebooks"] = notebooks(args.solutions, args.out, args.timeout)
    (args.out / "report.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
