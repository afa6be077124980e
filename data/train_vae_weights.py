"""Train the pretrained VAEs of notebook 05 and write them to data/weights/.

    .venv/bin/python data/train_vae_weights.py            # about 12 minutes on a 2-core CPU

The architectures, the sampling and the loss are the solution notebook's own functions
(`build_vae_encoder`, `build_vae_decoder`, `train_step`, `vae_loss`, `estimate_log_likelihood`,
loaded with `notebook_code.load_solution("05_vae")`), so the notebook and the weights cannot drift
apart. Data: the bundled MNIST subset (always the subset, never a Keras cache, so every machine
trains on the same 4,000 images), **binarised** at a grey value of 0.5, the same as in the
notebook: every pixel is a 0/1 Bernoulli target and every number below is a true log-probability.

Writes, for each model, a full Keras model `vae_latent{D}_beta{B}.keras` whose layers "encoder"
(images -> [mu, log_var]) and "decoder" (codes -> logits) are the two networks, and one
`vae_metrics.json` with the settings, the training curve and held-out metrics in nats per image:
the negative ELBO (beta = 1, averaged over 10 samples per image) and the importance-weighted
estimate of -log p(x) with K = 128. Seeded; rerunning gives the same models up to floating-point
differences between machines.

Training recipe (the same for every model, so the beta comparison is fair): Adam with a cosine
learning-rate schedule from LEARNING_RATE to FINAL_LEARNING_RATE (equal here, so the rate is
constant: with decaying schedules the 2-D model overfit the 4,000 images and ended at 159 to 161
nats held-out, against 157.9), KL warm-up (the weight of the KL
term rises linearly from beta / WARMUP_EPOCHS to beta over the first WARMUP_EPOCHS epochs, which
keeps the early KL pull from squashing the codes before the decoder can use them), and an
exponential moving average of the weights (EMA_MOMENTUM; the saved weights are the average), which
generalises better on 4,000 images than the last iterate. beta is passed to train_step as a tensor,
so tf.function traces the step once.

Then the encoder is trained again (`refit_encoder`): a fresh encoder of the same architecture, fitted
to the trained decoder, which stays frozen, with the same loss. On 4,000 images the jointly trained
encoder overfits: on the held-out images its q(z|x) is 7.5 nats worse than the best Gaussian q found
per image by gradient descent, on the training images only 1.7 (the amortisation gap of the 2-D
`beta = 1` model). The refit sees more kinds of input: each batch holds ENCODER_BATCH training images,
each rotated and shifted a little at random and binarised again, and as many images drawn from the
model itself (z from the prior, pixels from p(x | z)). Last, the decoder is trained again
(`refit_decoder`, DECODER_STEPS steps on batches of the training images, the new encoder frozen,
with a moving average of its weights): it adapts to the refitted encoder's q(z|x).
"""
from __future__ import annotations

import json
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from notebook_code import load_solution  # noqa: E402

from aekit import data  # noqa: E402

SEED = 1470
THRESHOLD = 0.5          # binarisation: ink where the grey value exceeds it
EPOCHS = 40
BATCH_SIZE = 100
LEARNING_RATE = 3e-3
FINAL_LEARNING_RATE = 3e-3  # the end of the cosine schedule
WARMUP_EPOCHS = 10
EMA_MOMENTUM = 0.995
ENCODER_STEPS = 6000     # the encoder refit: Adam steps, cosine decay from ENCODER_LEARNING_RATE to 0
ENCODER_LEARNING_RATE = 2e-3
ENCODER_EMA_MOMENTUM = 0.998
ENCODER_BATCH = 100      # training images per step, and as many drawn from the model
ROTATION = 0.03          # the training images' random rotation, a fraction of a full turn (about +-11 degrees)
SHIFT = 0.04             # and shift, a fraction of the side (about +-1 pixel)
DECODER_STEPS = 3000     # then the decoder refit: Adam steps at DECODER_LEARNING_RATE, the refitted encoder frozen
DECODER_LEARNING_RATE = 1e-3
ELBO_DRAWS = 10          # samples per held-out image for the negative ELBO
IWAE_SAMPLES = 128       # K of the importance-weighted estimate
MODELS = [               # (file, latent_dim, beta)
    ("vae_latent2_beta0.5.keras", 2, 0.5),
    ("vae_latent2_beta1.keras", 2, 1.0),
    ("vae_latent2_beta4.keras", 2, 4.0),
    ("vae_latent16_beta1.keras", 16, 1.0),
]


def elbo_terms(ns, encoder, decoder, x):
    """Each image's reconstruction term (averaged over ELBO_DRAWS samples) and KL term, nats."""
    recon, kl = [], []
    for i in range(0, len(x), 250):
        batch = x[i:i + 250]
        mu, log_var = encoder(batch, training=False)
        kl.append(ns["kl_divergence"](mu, log_var).numpy())
        recon.append(np.mean([ns["bernoulli_nll"](batch, decoder(ns["reparameterize"](mu, log_var),
                                                                 training=False)).numpy()
                              for _ in range(ELBO_DRAWS)], axis=0))
    return np.concatenate(recon), np.concatenate(kl)


def heldout_metrics(ns, encoder, decoder, x):
    """Negative ELBO (with its two terms) and importance-weighted -log p(x), nats per image."""
    tf = ns["tf"]
    recon, kl = elbo_terms(ns, encoder, decoder, x)
    estimate = tf.function(tf.autograph.experimental.do_not_convert(ns["estimate_log_likelihood"]))
    log_px = np.concatenate([estimate(encoder, decoder, tf.constant(x[i:i + 50]), IWAE_SAMPLES).numpy()
                             for i in range(0, len(x), 50)])
    return {"heldout_reconstruction": float(recon.mean()), "heldout_kl": float(kl.mean()),
            "heldout_neg_elbo": float((recon + kl).mean()), "heldout_neg_log_likelihood_iwae": float(-log_px.mean()),
            "iwae_samples": IWAE_SAMPLES}


def train_one(ns, latent_dim, beta, x_train):
    """Train one VAE with the notebook's train_step; return encoder, decoder and the loss per epoch."""
    tf = ns["tf"]
    tf.keras.utils.set_random_seed(SEED)
    encoder, decoder = ns["build_vae_encoder"](latent_dim), ns["build_vae_decoder"](latent_dim)
    optimizer = tf.keras.optimizers.Adam(LEARNING_RATE, use_ema=EMA_MOMENTUM is not None,
                                         ema_momentum=EMA_MOMENTUM or 0.99)
    step = tf.function(tf.autograph.experimental.do_not_convert(ns["train_step"]))  # the notebook's step, compiled
    rng = np.random.default_rng(SEED)
    curve = []
    for epoch in range(EPOCHS):
        cosine = 0.5 * (1.0 + np.cos(np.pi * epoch / max(1, EPOCHS - 1)))
        optimizer.learning_rate.assign(FINAL_LEARNING_RATE + (LEARNING_RATE - FINAL_LEARNING_RATE) * cosine)
        weight = tf.constant(beta * min(1.0, (epoch + 1) / WARMUP_EPOCHS), tf.float32)
        order = rng.permutation(len(x_train))
        losses = [float(step(encoder, decoder, optimizer, tf.constant(x_train[order[i:i + BATCH_SIZE]]), weight))
                  for i in range(0, len(x_train), BATCH_SIZE)]
        curve.append(float(np.mean(losses)))
    if EMA_MOMENTUM is not None:  # the averaged weights replace the last iterate
        optimizer.finalize_variable_values(encoder.trainable_variables + decoder.trainable_variables)
    return encoder, decoder, curve


def fit_alone(ns, trained, encoder, decoder, optimizer, beta, x_train, steps, batch_size, seed, inputs=None) -> None:
    """Train `trained` (the encoder or the decoder) with the other network frozen, on `steps` batches of `batch_size`
    training images drawn at random (`inputs` turns a batch into the images of the step), with the notebook's
    `vae_loss`; then keep its weights' moving average."""
    tf = ns["tf"]
    beta = tf.constant(beta, tf.float32)

    @tf.function
    def step(batch):
        x = batch if inputs is None else inputs(batch)
        with tf.GradientTape() as tape:
            mu, log_var = encoder(x, training=trained is encoder)
            logits = decoder(ns["reparameterize"](mu, log_var), training=trained is decoder)
            loss = ns["vae_loss"](x, logits, mu, log_var, beta)
        optimizer.apply_gradients(zip(tape.gradient(loss, trained.trainable_variables), trained.trainable_variables))

    rng = np.random.default_rng(seed)
    for _ in range(steps):
        step(tf.constant(x_train[rng.choice(len(x_train), batch_size, replace=False)]))
    optimizer.finalize_variable_values(trained.trainable_variables)


def refit_encoder(ns, decoder, latent_dim, beta, x_train):
    """A fresh encoder trained on the frozen `decoder` (see the module docstring)."""
    tf = ns["tf"]
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(SEED + 1)
    encoder = ns["build_vae_encoder"](latent_dim)
    augment = tf.keras.Sequential([layers.RandomRotation(ROTATION, fill_mode="constant"),
                                   layers.RandomTranslation(SHIFT, SHIFT, fill_mode="constant")])
    schedule = tf.keras.optimizers.schedules.CosineDecay(ENCODER_LEARNING_RATE, ENCODER_STEPS)
    optimizer = tf.keras.optimizers.Adam(schedule, use_ema=True, ema_momentum=ENCODER_EMA_MOMENTUM)

    def moved_and_drawn(batch):
        moved = tf.cast(augment(batch, training=True) > THRESHOLD, tf.float32)          # (B, 28, 28, 1)
        drawn = tf.sigmoid(decoder(tf.random.normal((ENCODER_BATCH, latent_dim)), training=False))
        drawn = tf.cast(tf.random.uniform(tf.shape(drawn)) < drawn, tf.float32)         # x ~ p(x | z), z ~ p(z)
        return tf.concat([moved, drawn], axis=0)                                        # (2B, 28, 28, 1)

    fit_alone(ns, encoder, encoder, decoder, optimizer, beta, x_train, ENCODER_STEPS, ENCODER_BATCH, SEED + 1,
              inputs=moved_and_drawn)
    return encoder


def refit_decoder(ns, encoder, decoder, beta, x_train) -> None:
    """Train `decoder` in place with `encoder` frozen (see the module docstring)."""
    optimizer = ns["tf"].keras.optimizers.Adam(DECODER_LEARNING_RATE, use_ema=True, ema_momentum=EMA_MOMENTUM)
    fit_alone(ns, decoder, encoder, decoder, optimizer, beta, x_train, DECODER_STEPS, BATCH_SIZE, SEED + 2)


def save(ns, encoder, decoder, path):
    """One Keras model holding both networks as layers "encoder" and "decoder" (image -> logits of decoder(mu))."""
    tf = ns["tf"]
    assert encoder.name == "encoder" and decoder.name == "decoder", (encoder.name, decoder.name)
    images = tf.keras.Input(shape=(28, 28, 1))
    mu, _ = encoder(images)
    model = tf.keras.Model(images, decoder(mu), name=path.stem.replace(".", "_"))
    model.save(path)


def main():
    ns = load_solution("05_vae")
    (x_train, _), (x_test, _) = data.load_mnist(source="bundled")
    x_train = (x_train > THRESHOLD).astype(np.float32)
    x_test = (x_test > THRESHOLD).astype(np.float32)
    out = data.data_dir() / "weights"
    out.mkdir(parents=True, exist_ok=True)
    metrics = {}
    for filename, latent_dim, beta in MODELS:
        start = time.time()
        encoder, decoder, curve = train_one(ns, latent_dim, beta, x_train)
        joint = float(sum(elbo_terms(ns, encoder, decoder, x_test)).mean())
        encoder = refit_encoder(ns, decoder, latent_dim, beta, x_train)
        refit_encoder_only = float(sum(elbo_terms(ns, encoder, decoder, x_test)).mean())
        refit_decoder(ns, encoder, decoder, beta, x_train)
        seconds = time.time() - start
        save(ns, encoder, decoder, out / filename)
        info = {"latent_dim": latent_dim, "beta": beta, "epochs": EPOCHS, "batch_size": BATCH_SIZE,
                "steps_per_epoch": int(np.ceil(len(x_train) / BATCH_SIZE)), "learning_rate": LEARNING_RATE,
                "final_learning_rate": FINAL_LEARNING_RATE, "schedule": "cosine", "kl_warmup_epochs": WARMUP_EPOCHS,
                "ema_momentum": EMA_MOMENTUM, "optimizer": "Adam", "seed": SEED, "binarise_threshold": THRESHOLD,
                "train_images": len(x_train), "heldout_images": len(x_test),
                "train_loss_per_epoch": [round(v, 3) for v in curve], "train_seconds": round(seconds, 1),
                "encoder_refit": {"steps": ENCODER_STEPS, "learning_rate": ENCODER_LEARNING_RATE, "schedule": "cosine to 0",
                                  "ema_momentum": ENCODER_EMA_MOMENTUM, "batch": f"{ENCODER_BATCH} training images "
                                  f"(rotated by up to {ROTATION} of a turn, shifted by up to {SHIFT} of the side, "
                                  f"binarised again) + {ENCODER_BATCH} drawn from the model", "seed": SEED + 1},
                "decoder_refit": {"steps": DECODER_STEPS, "learning_rate": DECODER_LEARNING_RATE,
                                  "ema_momentum": EMA_MOMENTUM, "batch_size": BATCH_SIZE, "seed": SEED + 2},
                "heldout_neg_elbo_joint_encoder": joint, "heldout_neg_elbo_before_decoder_refit": refit_encoder_only}
        info.update(heldout_metrics(ns, encoder, decoder, x_test))
        metrics[filename] = {k: round(v, 3) if isinstance(v, float) else v for k, v in info.items()}
        print(f"{filename}: latent_dim {latent_dim}, beta {beta:g}, {EPOCHS} epochs and both refits in "
              f"{seconds:.0f} s; train loss {curve[-1]:.1f}; held-out -ELBO {info['heldout_neg_elbo']:.1f} nats per "
              f"image (jointly trained encoder: {joint:.1f}, refitted encoder only: {refit_encoder_only:.1f}) "
              f"(reconstruction {info['heldout_reconstruction']:.1f} + KL {info['heldout_kl']:.2f}), "
              f"-log p(x) <= {info['heldout_neg_log_likelihood_iwae']:.1f} (importance-weighted, "
              f"K = {IWAE_SAMPLES}), {(out / filename).stat().st_size / 1e3:.0f} kB", flush=True)
    (out / "vae_metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(MODELS)} models and vae_metrics.json to {out}")


if __name__ == "__main__":
    main()
