"""Train the two pretrained autoencoders of notebook 06 (deterministic,
about a minute on 2 CPU cores).

    .venv/bin/python data/train_checkerboard_weights.py

Writes to `data/weights/`:

| file | what |
| --- | --- |
| `checkerboard_transpose.keras` | autoencoder whose decoder upsamples with `Conv2DTranspose` |
| `checkerboard_resize.keras` | the same autoencoder with a resize-conv decoder (`UpSampling2D` +
SAME `Conv2D`) | | `checkerboard_metrics.json` | per model: epochs, batch size, learning rate, seed,
loss per epoch, held-out loss and checkerboard score, seconds |

Each `.keras` file is a full Keras model whose two layers are the models named "encoder" and
"decoder":

    ae = aekit.data.load_pretrained("checkerboard_transpose.keras")
    encoder, decoder = ae.get_layer("encoder"), ae.get_layer("decoder")

The comparison is fair by construction: both autoencoders have the same encoder (defined below,
the encoder of notebook 03), start from the same seed (so the encoders' initial weights are
identical), and are trained with the same loss (squared error per pixel, averaged), optimiser
(Adam), batch size, number of epochs and data (the 4,000 training images of the bundled MNIST
subset); only the decoder differs. The decoders have one source of truth: they are built by the
solution notebook's own `build_transpose_conv_decoder` / `build_resize_conv_decoder`, loaded through
`data/notebook_code.load_solution("06_checkerboard_artifacts")`, which also supplies the notebook's
`checkerboard_score` for the report. Seeds are fixed, so a rerun on the same machine and TensorFlow
version gives the same weights (the `.keras` zip records a save date, so its bytes differ).
"""

from __future__ import annotations

import json
import pathlib
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from notebook_code import load_solution

SEED = 1606
LATENT_DIM = 16
EPOCHS = 10
BATCH_SIZE = 128
LEARNING_RATE = 2e-3
OUT = HERE / "weights"
BUILDERS = {"transpose": "build_transpose_conv_decoder", "resize": "build_resize_conv_decoder"}


def build_encoder(latent_dim: int):
    """The shared encoder (notebook 03's): (B, 28, 28, 1) -> (B, latent_dim)."""
    import tensorflow as tf
    from tensorflow.keras import layers

    return tf.keras.Sequential(
        [
            tf.keras.Input(shape=(28, 28, 1)),
            layers.Conv2D(
                32, 3, strides=2, padding="same", activation="relu"
            ),  # -> (B, 14, 14, 32)
            layers.Conv2D(64, 3, strides=2, padding="same", activation="relu"),  # -> (B, 7, 7, 64)
            layers.Flatten(),  # -> (B, 3136)
            layers.Dense(latent_dim),  # -> (B, latent_dim)
        ],
        name="encoder",
    )


def train_one(ns: dict, kind: str, x_train, x_test) -> tuple[object, dict]:
    """Build the autoencoder with the notebook's `kind` decoder, train it,
    return it and its metrics."""
    import numpy as np
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED)  # same seed for both: identical initial encoders
    encoder = build_encoder(LATENT_DIM)
    built = ns[BUILDERS[kind]](LATENT_DIM)
    # a fixed name whatever the notebook calls its model, so `ae.get_layer("decoder")` works
    decoder = tf.keras.Sequential([tf.keras.Input(shape=(LATENT_DIM,)), built], name="decoder")
    model = tf.keras.Sequential(
        [tf.keras.Input(shape=(28, 28, 1)), encoder, decoder], name=f"checkerboard_{kind}"
    )
    model.compile(optimizer=tf.keras.optimizers.Adam(LEARNING_RATE), loss="mse")
    start = time.time()
    history = model.fit(
        x_train, x_train, epochs=EPOCHS, batch_size=BATCH_SIZE, shuffle=True, verbose=0
    )
    seconds = time.time() - start
    heldout_out = np.concatenate(
        [np.asarray(model(x_test[i : i + 250], training=False)) for i in range(0, len(x_test), 250)]
    )
    mse = tf.keras.losses.MeanSquaredError()
    score = ns["checkerboard_score"]
    metrics = {
        "decoder": BUILDERS[kind],
        "latent_dim": LATENT_DIM,
        "epochs": EPOCHS,
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "seed": SEED,
        "train_images": int(len(x_train)),
        "heldout_images": int(len(x_test)),
        "train_loss_per_epoch": [round(float(v), 5) for v in history.history["loss"]],
        "heldout_loss": round(float(mse(x_test, heldout_out)), 5),
        "heldout_checkerboard_score": float(f"{score(heldout_out):.4g}"),
        "parameters": int(model.count_params()),
        "decoder_parameters": int(decoder.count_params()),
        "seconds": round(seconds, 1),
    }
    return model, metrics


def main() -> None:
    import tensorflow as tf

    from aekit.data import load_mnist

    ns = load_solution("06_checkerboard_artifacts")
    (x_train, _), (x_test, _) = load_mnist("bundled")
    OUT.mkdir(exist_ok=True)
    all_metrics = {"script": "data/train_checkerboard_weights.py", "tensorflow": tf.__version__}
    score = ns["checkerboard_score"]
    print(f"held-out digits themselves: checkerboard_score {score(x_test):.3g}")
    for kind in BUILDERS:
        name = f"checkerboard_{kind}.keras"
        model, m = train_one(ns, kind, x_train, x_test)
        model.save(OUT / name)
        all_metrics[name] = m
        size = (OUT / name).stat().st_size
        print(
            f"{name}: {m['decoder']}({LATENT_DIM}), {EPOCHS} epochs of batch {BATCH_SIZE} (Adam "
            f"{LEARNING_RATE:g}, squared error) in {m['seconds']:.0f} s; loss first epoch "
            f"{m['train_loss_per_epoch'][0]:.4f}, last "
            f"{m['train_loss_per_epoch'][-1]:.4f}, held-out {m['heldout_loss']:.4f}; "
            f"held-out checkerboard_score {m['heldout_checkerboard_score']:.3g}; "
            f"{m['decoder_parameters']:,} decoder weights, {size / 1e6:.2f} MB"
        )
    (OUT / "checkerboard_metrics.json").write_text(json.dumps(all_metrics, indent=1) + "\n")
    print(f"wrote {OUT / 'checkerboard_metrics.json'}")


if __name__ == "__main__":
    main()
