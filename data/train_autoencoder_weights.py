"""Train the pretrained convolutional autoencoders of notebook 03
(deterministic, about two minutes on 2 CPU cores).

    .venv/bin/python data/train_autoencoder_weights.py

Writes to `data/weights/`:

| file | what |
| --- | --- |
| `ae_latent2.keras` | autoencoder with a 2-number code: the latent-space scatter and the decoded
grid | | `ae_latent16.keras` | autoencoder with a 16-number code: reconstructions and the baseline
table | | `ae_metrics.json` | per model: epochs, batch size, learning rate, seed, training loss per
epoch, final held-out loss, seconds |

Each `.keras` file is a full Keras model, `Sequential([encoder, decoder])`, whose two layers are
the models named "encoder" and "decoder":

    model = aekit.data.load_pretrained("ae_latent16.keras")
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")

The architecture has one source of truth: the models are built by the solution notebook's own
`build_encoder` / `build_decoder` and trained by its own `train_autoencoder` (Adam, batches of 32)
on the 4,000 training images of the bundled MNIST subset, loaded through
`data/notebook_code.load_solution("03_conv_autoencoder")`. The losses are the notebook's
`reconstruction_loss` (squared error summed over each image, averaged over images); the held-out
loss is measured on the subset's 1,000 held-out images. Seeds are fixed, so a rerun on the same
machine and TensorFlow version gives the same weights (the `.keras` zip records a save date, so
its bytes differ).
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

SEED = 1470
EPOCHS = {2: 40, 16: 20}  # latent_dim -> epochs
BATCH_SIZE = 32
LEARNING_RATE = 1e-3
OUT = HERE / "weights"


def train_one(ns: dict, latent_dim: int, x_train, x_test) -> tuple[object, dict]:
    """Build and train one autoencoder with the notebook's functions; return it and its metrics."""
    import numpy as np
    import tensorflow as tf

    tf.keras.utils.set_random_seed(SEED + latent_dim)
    encoder, decoder = ns["build_encoder"](latent_dim), ns["build_decoder"](latent_dim)
    if (encoder.name, decoder.name) != ("encoder", "decoder"):
        raise SystemExit(
            "the notebook's models must be named encoder/decoder, not "
            f"{encoder.name}/{decoder.name}"
        )
    start = time.time()
    history = ns["train_autoencoder"](
        encoder,
        decoder,
        x_train,
        epochs=EPOCHS[latent_dim],
        batch_size=BATCH_SIZE,
        learning_rate=LEARNING_RATE,
    )
    seconds = time.time() - start
    loss = ns["reconstruction_loss"]
    heldout = float(
        np.mean(
            [
                float(loss(x_test[i : i + 500], decoder(encoder(x_test[i : i + 500]))))
                for i in range(0, len(x_test), 500)
            ]
        )
    )
    train = float(
        np.mean(
            [
                float(loss(x_train[i : i + 500], decoder(encoder(x_train[i : i + 500]))))
                for i in range(0, len(x_train), 500)
            ]
        )
    )
    model = tf.keras.Sequential(
        [tf.keras.Input(shape=(28, 28, 1)), encoder, decoder], name=f"ae_latent{latent_dim}"
    )
    metrics = {
        "latent_dim": latent_dim,
        "epochs": EPOCHS[latent_dim],
        "batch_size": BATCH_SIZE,
        "learning_rate": LEARNING_RATE,
        "seed": SEED + latent_dim,
        "train_images": int(len(x_train)),
        "heldout_images": int(len(x_test)),
        "train_loss_per_epoch": [round(float(v), 4) for v in history],
        "train_loss": round(train, 4),
        "heldout_loss": round(heldout, 4),
        "parameters": int(model.count_params()),
        "seconds": round(seconds, 1),
    }
    return model, metrics


def main() -> None:
    import tensorflow as tf

    from aekit.data import load_mnist

    ns = load_solution("03_conv_autoencoder")
    (x_train, _), (x_test, _) = load_mnist("bundled")
    OUT.mkdir(exist_ok=True)
    all_metrics = {"script": "data/train_autoencoder_weights.py", "tensorflow": tf.__version__}
    for latent_dim in sorted(EPOCHS):
        name = f"ae_latent{latent_dim}.keras"
        model, metrics = train_one(ns, latent_dim, x_train, x_test)
        model.save(OUT / name)
        all_metrics[name] = metrics
        size = (OUT / name).stat().st_size
        print(
            f"{name}: latent_dim {latent_dim}, {metrics['epochs']} epochs of batch {BATCH_SIZE} "
            f"(Adam {LEARNING_RATE:g}) in {metrics['seconds']:.0f} s; loss per image: first epoch "
            f"{metrics['train_loss_per_epoch'][0]:.1f}, final train {metrics['train_loss']:.2f}, "
            f"held-out {metrics['heldout_loss']:.2f}; "
            f"{metrics['parameters']:,} weights, {size / 1e6:.2f} MB"
        )
    (OUT / "ae_metrics.json").write_text(json.dumps(all_metrics, indent=1) + "\n")
    print(f"wrote {OUT / 'ae_metrics.json'}")


if __name__ == "__main__":
    main()
