"""Offline data: the bundled MNIST subset and pretrained weights.

Nothing here touches the network. `load_mnist` uses the subset shipped in
`data/mnist_subset.npz` (see `data/README.md`), so that every notebook's numbers
match its text. An instructor who wants the full MNIST (from the Keras cache on
this machine) asks for it: `load_mnist(full=True)`, or the environment variable
`AEKIT_FULL_MNIST=1` for every notebook at once.
"""

from __future__ import annotations

import os
import pathlib
import zipfile

import numpy as np

REPO_DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"
# an installed wheel (pip install of the course or of the student kit) carries data/ as aekit/_data
PACKAGE_DATA_DIR = pathlib.Path(__file__).resolve().parent / "_data"
BUNDLED_NAME = "mnist_subset.npz"
_KEYS = ("x_train", "y_train", "x_test", "y_test")
FULL_ENV = "AEKIT_FULL_MNIST"  # set to 1 to use the full MNIST (Keras cache) everywhere


class DataError(RuntimeError):
    """A data or weights file is missing or unreadable; the message says what to do."""


def data_dir() -> pathlib.Path:
    """The folder holding bundled data and weights (`AEKIT_DATA_DIR` overrides it)."""
    if "AEKIT_DATA_DIR" in os.environ:
        return pathlib.Path(os.environ["AEKIT_DATA_DIR"])
    if not (REPO_DATA_DIR / BUNDLED_NAME).is_file() and (PACKAGE_DATA_DIR / BUNDLED_NAME).is_file():
        return PACKAGE_DATA_DIR
    return REPO_DATA_DIR


def keras_mnist_path() -> pathlib.Path:
    """Where `tf.keras.datasets.mnist.load_data()` caches the full MNIST."""
    keras_home = os.environ.get("KERAS_HOME", os.path.join(os.path.expanduser("~"), ".keras"))
    return pathlib.Path(keras_home) / "datasets" / "mnist.npz"


def _read_npz(path: pathlib.Path, what: str, fix: str) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DataError(f"{what} not found at {path}: {fix}")
    try:
        with np.load(path, allow_pickle=False) as f:
            missing = [k for k in _KEYS if k not in f.files]
            if missing:
                raise DataError(f"{what} at {path} lacks {', '.join(missing)}: {fix}")
            arrays = {k: f[k] for k in _KEYS}
    except DataError:
        raise
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise DataError(f"{what} at {path} is corrupt ({type(exc).__name__}): {fix}") from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y):
            raise DataError(f"{what} at {path} has unexpected shapes {x.shape}, {y.shape}: {fix}")
    return arrays


def _to_float(x: np.ndarray) -> np.ndarray:
    return (x.astype(np.float32) / 255.0)[..., None]


def full_mnist_requested() -> bool:
    """Whether the environment asks for the full MNIST (`AEKIT_FULL_MNIST`
    set to 1, true or yes)."""
    return os.environ.get(FULL_ENV, "").strip().lower() in ("1", "true", "yes")


def load_mnist(source: str = "auto", verbose: bool = True, full: bool | None = None):
    """Load MNIST digits without touching the network.

    Args:
        source: "auto" uses the bundled subset unless the full MNIST is asked for
            (`full=True`, or `AEKIT_FULL_MNIST=1` when `full` is None); then it uses
            Keras' cached copy, or the subset (and says so) when there is none.
            "bundled" always uses the subset; "keras" requires the Keras cache.
        verbose: print one line saying which data set was used.
        full: ask for the full MNIST (True) or the subset (False) with source "auto";
            None leaves it to the `AEKIT_FULL_MNIST` environment variable.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: images float32 in [0, 1] of
        shape `(N, 28, 28, 1)`, labels uint8 of shape `(N,)`. The bundled
        subset has 4,000 training and 1,000 held-out images, 10 % per digit.

    Raises:
        DataError: the file is missing or corrupt (the message says how to fix it).
        ValueError: `source` is not one of the three names.
    """
    if source not in ("auto", "bundled", "keras"):
        raise ValueError(f"source must be 'auto', 'bundled' or 'keras', not {source!r}")
    want_full = full_mnist_requested() if full is None else bool(full)
    note = ""
    if source == "keras" or (source == "auto" and want_full):
        keras_path = keras_mnist_path()
        try:
            arrays = _read_npz(
                keras_path,
                "Keras' cached MNIST",
                "run tf.keras.datasets.mnist.load_data() once online, or use the bundled subset",
            )
            return _finish(arrays, f"full MNIST from the Keras cache ({keras_path})", verbose)
        except DataError as exc:
            if source == "keras":
                raise
            note = f" (full MNIST was asked for, but {exc})"
    path = data_dir() / BUNDLED_NAME
    arrays = _read_npz(
        path,
        "The bundled MNIST subset",
        "restore it with `git checkout data/mnist_subset.npz` or rebuild it with "
        "`python data/make_mnist_subset.py`",
    )
    return _finish(arrays, f"bundled MNIST subset ({path.name}){note}", verbose)


def _finish(arrays, name, verbose):
    x_train, x_test = _to_float(arrays["x_train"]), _to_float(arrays["x_test"])
    y_train, y_test = arrays["y_train"].astype(np.uint8), arrays["y_test"].astype(np.uint8)
    if verbose:
        print(f"Using {name}: {len(x_train)} training and {len(x_test)} held-out images")
    return (x_train, y_train), (x_test, y_test)


def weights_path(filename: str) -> pathlib.Path:
    """Path of a pretrained model file in `data/weights/`, e.g. "vae_beta1.keras".

    Raises:
        DataError: the file is missing (the message says how to get it back).
    """
    path = data_dir() / "weights" / filename
    if not path.is_file():
        raise DataError(
            f"pretrained model {path} not found: restore it with `git checkout data/weights` "
            f"or rebuild it with the training script named in data/README.md"
        )
    return path


# Keys that Keras versions newer than Colab's 3.10 write into a saved model's
# config.json, with the value that means "as before" (the models here never set
# them): an older Keras refuses the whole file ("unexpected keyword argument
# 'input_axes'"), so `load_pretrained` drops them when the first load fails.
NEWER_KERAS_DEFAULTS = {"input_axes": None, "output_axes": None, "quantization_config": None}


def _without_newer_defaults(config):
    """A saved model's config with every `NEWER_KERAS_DEFAULTS` key that
    holds its default value removed."""
    if isinstance(config, dict):
        return {
            k: _without_newer_defaults(v)
            for k, v in config.items()
            if not (k in NEWER_KERAS_DEFAULTS and v == NEWER_KERAS_DEFAULTS[k])
        }
    if isinstance(config, list):
        return [_without_newer_defaults(v) for v in config]
    return config


def _for_older_keras(path: pathlib.Path, out: pathlib.Path) -> bool:
    """Write to `out` a copy of the `.keras` file `path` whose config an
    older Keras reads; False if nothing changes."""
    import json

    with zipfile.ZipFile(path) as src:
        config = json.loads(src.read("config.json"))
        plain = _without_newer_defaults(config)
        if plain == config:
            return False
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in src.infolist():
                body = (
                    json.dumps(plain).encode() if info.filename == "config.json" else src.read(info)
                )
                dst.writestr(info, body)
    return True


def load_pretrained(filename: str):
    """Load a pretrained Keras model (architecture and weights) from `data/weights/`.

    The files are saved by the Keras of constraints.txt; an older Keras of
    the supported range (Colab's 3.10) reads them once the config keys it
    does not know, all at their defaults, are dropped.

    Raises:
        DataError: the file is missing or cannot be read as a Keras model.
    """
    import tempfile

    import tensorflow as tf

    path = weights_path(filename)
    try:
        return tf.keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001  (Keras raises many kinds for a file it cannot read: retried below)
        first = exc
    try:
        with tempfile.TemporaryDirectory(prefix="aekit-model-") as tmp:
            older = pathlib.Path(tmp) / path.name
            if _for_older_keras(path, older):
                return tf.keras.models.load_model(older, compile=False)
    except Exception as exc:  # noqa: BLE001  (any failure: reported as DataError below, with the fix)
        first = exc
    keras_version = getattr(tf.keras, "__version__", "?")
    raise DataError(
        f"pretrained model {path} is unreadable ({type(first).__name__}, Keras {keras_version}): "
        f"restore it with `git checkout data/weights` or rebuild it with the script named in "
        f"data/README.md"
    ) from None
