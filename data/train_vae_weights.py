"""Train the pretrained VAEs of notebook 05 and write them to data/weights/.

    nice -n 15 .venv/bin/python data/train_vae_weights.py              # about 20 CPU-minutes on 2 cores
    nice -n 15 .venv/bin/python data/train_vae_weights.py --out DIR    # write somewhere else (a dry run)
    # stage 2 only, reusing the choice an earlier run wrote to DIR/vae_selection.json, four models at once:
    nice -n 15 .venv/bin/python data/train_vae_weights.py --selection DIR/vae_selection.json --jobs 4

The architectures, the sampling and the loss are the solution notebook's own functions
(`build_vae_encoder`, `build_vae_decoder`, `train_step`, `vae_loss`, `estimate_log_likelihood`,
loaded with `notebook_code.load_solution("05_vae")`), so the notebook and the weights cannot drift
apart. Data: the bundled MNIST subset (always the subset, never a Keras cache, so every machine
trains on the same 4,000 images), **binarised** at a grey value of 0.5, the same as in the
notebook: every pixel is a 0/1 Bernoulli target and every number below is a true log-probability.

Two stages, so that no setting is chosen by the held-out images:

1. **Selection, on a validation split.** The last VALIDATION_IMAGES of the 4,000 training images
   (the training split is already shuffled once with seed 1470, so these are a random ~50 per digit)
   are set aside; the 2-D `beta = 1` model (the course's demo model) is trained on the other 3,500
   and each setting in CANDIDATES is scored by its negative ELBO on the validation images, one stage
   after the other (the joint training's learning rate and epochs, then the encoder refit, then the
   decoder refit), each stage keeping the best of the stage before. Each figure is the mean over the
   two runs of SELECTION_SEEDS: one run's figure moves by a nat or two with the seed
   (data/README.md), more than some candidates differ, so a choice between candidates closer than
   about a nat is still close to a coin flip.
2. **The shipped models.** The chosen recipe trains all four models on all 4,000 training images,
   and the held-out figures are computed once, at the end, on the 1,000 held-out images, and
   recorded as they come out. The held-out images take no part in stage 1.

Writes, for each model, a full Keras model `vae_latent{D}_beta{B}.keras` whose layers "encoder"
(images -> [mu, log_var]) and "decoder" (codes -> logits) are the two networks, and one
`vae_metrics.json` with the settings, the selection's validation figures, the training curve and the
held-out metrics in nats per image: the negative ELBO (beta = 1, averaged over ELBO_DRAWS samples
per image) and the importance-weighted estimate of -log p(x) with K = IWAE_SAMPLES. Seeded;
rerunning gives models of the same quality up to floating-point differences between machines.

The recipe's parts (the same for every model, so the beta comparison is fair):
- the joint training: the notebook's `train_step`, Adam at a constant rate, KL
  warm-up (the weight of the KL term rises linearly from beta / WARMUP_EPOCHS
  to beta over the first WARMUP_EPOCHS epochs) and an exponential moving
  average of the weights (EMA_MOMENTUM; the saved weights are the average);
- the encoder refit (`refit_encoder`): the jointly trained encoder overfits 4,000 images, so a fresh
  encoder of the same architecture is fitted to the trained decoder, which
  stays frozen, with the same loss, on training images moved a little at
  random (and, in one variant, images drawn from the model);
- the decoder refit (`refit_decoder`): the decoder trained again with that encoder frozen, so that
  it adapts to the encoder's q(z|x).
Settings outside CANDIDATES (batch size, warm-up, the moving averages, the refit's steps, rates and
augmentation) are fixed from earlier rounds and not searched here.
"""  # noqa: E501  (a table or a command in the docstring, kept whole)

from __future__ import annotations

import argparse
import concurrent.futures
import dataclasses
import json
import pathlib
import shutil
import subprocess
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from notebook_code import load_solution

from aekit import data

OUT = HERE / "weights"
SEED = 1470
THRESHOLD = 0.5  # binarisation: ink where the grey value exceeds it
# the last 500 of the (shuffled) training images: the selection's validation split
VALIDATION_IMAGES = 500
BATCH_SIZE = 100
WARMUP_EPOCHS = 10
EMA_MOMENTUM = 0.995
# the encoder refit: Adam steps, cosine decay from ENCODER_LEARNING_RATE to 0
ENCODER_STEPS = 6000
ENCODER_LEARNING_RATE = 2e-3
ENCODER_EMA_MOMENTUM = 0.998
# training images per step (and, with drawn images, as many drawn from the model)
ENCODER_BATCH = 100
# the training images' random rotation, a fraction of a full turn (about +-11 degrees)
ROTATION = 0.03
SHIFT = 0.04  # and shift, a fraction of the side (about +-1 pixel)
ELBO_DRAWS = 10  # samples per image for the negative ELBO
IWAE_SAMPLES = 128  # K of the importance-weighted estimate
SELECTION_MODEL = (2, 1.0)  # (latent_dim, beta) of the model the selection trains
SELECTION_SEEDS = (SEED, SEED + 10)  # each candidate's figure is the mean over these seeds' runs
CANDIDATES = {  # every setting the selection chooses, and the values it tries
    "learning_rate": (1.5e-3, 3e-3),  # the joint training's Adam rate
    # the joint training's length (one run, scored at each)
    "epochs": (40, 60, 80),
    "encoder_refit": ("none", "moved", "moved+drawn"),  # none: keep the jointly trained encoder
    "decoder_learning_rate": (3e-4, 1e-3),  # the decoder refit's Adam rate
    # 0: no decoder refit (one run per rate, scored at each)
    "decoder_steps": (0, 1000, 2000, 3000, 4000),
}
ENCODER_REFITS = {  # the encoder refit's variants: what each step's batch holds
    "none": "the jointly trained encoder, kept",
    "moved": f"a fresh encoder; {ENCODER_BATCH} training images a step, rotated by up to "
    f"{ROTATION} of a turn and shifted by up to {SHIFT} of the side at random, binarised again",
    "moved+drawn": (
        f"the same plus {ENCODER_BATCH} images drawn from the model (z "
        "from the prior, pixels from p(x|z))"
    ),
}
MODELS = [  # (file, latent_dim, beta)
    ("vae_latent2_beta0.5.keras", 2, 0.5),
    ("vae_latent2_beta1.keras", 2, 1.0),
    ("vae_latent2_beta4.keras", 2, 4.0),
    ("vae_latent16_beta1.keras", 16, 1.0),
]


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The settings the selection chooses (see CANDIDATES)."""

    learning_rate: float
    epochs: int
    encoder_refit: str
    decoder_learning_rate: float
    decoder_steps: int


def split_validation(x_train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fit, validation): the training images without, and with only, their
    last VALIDATION_IMAGES."""
    return x_train[:-VALIDATION_IMAGES], x_train[-VALIDATION_IMAGES:]


def elbo_terms(ns, encoder, decoder, x):
    """Each image's reconstruction term (averaged over ELBO_DRAWS samples) and KL term, nats."""
    recon, kl = [], []
    for i in range(0, len(x), 250):
        batch = x[i : i + 250]
        mu, log_var = encoder(batch, training=False)
        kl.append(ns["kl_divergence"](mu, log_var).numpy())
        recon.append(
            np.mean(
                [
                    ns["bernoulli_nll"](
                        batch, decoder(ns["reparameterize"](mu, log_var), training=False)
                    ).numpy()
                    for _ in range(ELBO_DRAWS)
                ],
                axis=0,
            )
        )
    return np.concatenate(recon), np.concatenate(kl)


def neg_elbo(ns, encoder, decoder, x) -> float:
    """The negative ELBO (beta = 1) in nats per image, averaged over the images `x`."""
    return float(sum(elbo_terms(ns, encoder, decoder, x)).mean())


def heldout_metrics(ns, encoder, decoder, x):
    """Negative ELBO (with its two terms) and importance-weighted -log p(x), nats per image."""
    tf = ns["tf"]
    recon, kl = elbo_terms(ns, encoder, decoder, x)
    estimate = tf.function(tf.autograph.experimental.do_not_convert(ns["estimate_log_likelihood"]))
    log_px = np.concatenate(
        [
            estimate(encoder, decoder, tf.constant(x[i : i + 50]), IWAE_SAMPLES).numpy()
            for i in range(0, len(x), 50)
        ]
    )
    return {
        "heldout_reconstruction": float(recon.mean()),
        "heldout_kl": float(kl.mean()),
        "heldout_neg_elbo": float((recon + kl).mean()),
        "heldout_neg_log_likelihood_iwae": float(-log_px.mean()),
        "iwae_samples": IWAE_SAMPLES,
    }


def with_average(optimizer, variables, score):
    """`score()` with the optimizer's moving average of `variables` swapped
    in; the training weights are put back."""
    current = [v.numpy() for v in variables]
    optimizer.finalize_variable_values(variables)
    try:
        return score()
    finally:
        for v, value in zip(variables, current, strict=True):
            v.assign(value)


def train_joint(ns, latent_dim, beta, x_train, learning_rate, epochs, score=None, seed=SEED):
    """Train one VAE with the notebook's train_step for max(`epochs`) epochs (an int or a tuple);
    return encoder, decoder (holding the weights' moving average), the loss per epoch and {epoch:
    score(encoder, decoder)} at each epoch of `epochs`, scored on the moving average."""
    tf = ns["tf"]
    epochs = (epochs,) if isinstance(epochs, int) else tuple(epochs)
    tf.keras.utils.set_random_seed(seed)
    encoder, decoder = ns["build_vae_encoder"](latent_dim), ns["build_vae_decoder"](latent_dim)
    variables = encoder.trainable_variables + decoder.trainable_variables
    optimizer = tf.keras.optimizers.Adam(learning_rate, use_ema=True, ema_momentum=EMA_MOMENTUM)
    # the notebook's step, compiled
    step = tf.function(tf.autograph.experimental.do_not_convert(ns["train_step"]))
    rng = np.random.default_rng(seed)
    curve, scores = [], {}
    for epoch in range(1, max(epochs) + 1):
        weight = tf.constant(beta * min(1.0, epoch / WARMUP_EPOCHS), tf.float32)
        order = rng.permutation(len(x_train))
        losses = [
            float(
                step(
                    encoder,
                    decoder,
                    optimizer,
                    tf.constant(x_train[order[i : i + BATCH_SIZE]]),
                    weight,
                )
            )
            for i in range(0, len(x_train), BATCH_SIZE)
        ]
        curve.append(float(np.mean(losses)))
        if score is not None and epoch in epochs and epoch < max(epochs):
            scores[epoch] = with_average(optimizer, variables, lambda: score(encoder, decoder))
    optimizer.finalize_variable_values(variables)  # the averaged weights replace the last iterate
    if score is not None:
        scores[max(epochs)] = score(encoder, decoder)
    return encoder, decoder, curve, scores


def fit_alone(
    ns,
    trained,
    encoder,
    decoder,
    optimizer,
    beta,
    x_train,
    steps,
    batch_size,
    seed,
    inputs=None,
    score=None,
):
    """Train `trained` (the encoder or the decoder) with the other network frozen, on
    batches of `batch_size` training images drawn at random (`inputs` turns a batch
    into the images of the step), with the notebook's `vae_loss`, for max(`steps`)
    steps (an int or a tuple); then keep its weights' moving average. Returns {step:
    score()} at each step of `steps`, scored on the moving average."""
    tf = ns["tf"]
    steps = (steps,) if isinstance(steps, int) else tuple(steps)
    beta = tf.constant(beta, tf.float32)

    @tf.function
    def step(batch):
        x = batch if inputs is None else inputs(batch)
        with tf.GradientTape() as tape:
            mu, log_var = encoder(x, training=trained is encoder)
            logits = decoder(ns["reparameterize"](mu, log_var), training=trained is decoder)
            loss = ns["vae_loss"](x, logits, mu, log_var, beta)
        grads = tape.gradient(loss, trained.trainable_variables)
        optimizer.apply_gradients(zip(grads, trained.trainable_variables, strict=True))

    rng = np.random.default_rng(seed)
    scores = {}
    for n in range(1, max(steps) + 1):
        step(tf.constant(x_train[rng.choice(len(x_train), batch_size, replace=False)]))
        if score is not None and n in steps and n < max(steps):
            scores[n] = with_average(optimizer, trained.trainable_variables, score)
    optimizer.finalize_variable_values(trained.trainable_variables)
    if score is not None:
        scores[max(steps)] = score()
    return scores


def refit_encoder(ns, encoder, decoder, latent_dim, beta, x_train, variant, seed=SEED + 1):
    """The encoder of the refit `variant` (see ENCODER_REFITS) on the
    frozen `decoder`: `encoder` itself for "none"."""
    if variant == "none":
        return encoder
    tf = ns["tf"]
    layers = tf.keras.layers
    tf.keras.utils.set_random_seed(seed)
    encoder = ns["build_vae_encoder"](latent_dim)
    augment = tf.keras.Sequential(
        [
            layers.RandomRotation(ROTATION, fill_mode="constant"),
            layers.RandomTranslation(SHIFT, SHIFT, fill_mode="constant"),
        ]
    )
    schedule = tf.keras.optimizers.schedules.CosineDecay(ENCODER_LEARNING_RATE, ENCODER_STEPS)
    optimizer = tf.keras.optimizers.Adam(schedule, use_ema=True, ema_momentum=ENCODER_EMA_MOMENTUM)

    def moved(batch):
        # (B, 28, 28, 1)
        return tf.cast(augment(batch, training=True) > THRESHOLD, tf.float32)

    def moved_and_drawn(batch):
        drawn = tf.sigmoid(decoder(tf.random.normal((ENCODER_BATCH, latent_dim)), training=False))
        # x ~ p(x | z), z ~ p(z)
        drawn = tf.cast(tf.random.uniform(tf.shape(drawn)) < drawn, tf.float32)
        # (2B, 28, 28, 1)
        return tf.concat([moved(batch), drawn], axis=0)

    inputs = {"moved": moved, "moved+drawn": moved_and_drawn}[variant]
    fit_alone(
        ns,
        encoder,
        encoder,
        decoder,
        optimizer,
        beta,
        x_train,
        ENCODER_STEPS,
        ENCODER_BATCH,
        seed,
        inputs=inputs,
    )
    return encoder


def refit_decoder(
    ns, encoder, decoder, beta, x_train, learning_rate, steps, score=None, seed=SEED + 2
):
    """Train `decoder` in place with `encoder` frozen for max(`steps`)
    steps; {step: score()} as in `fit_alone`."""
    if max(steps if isinstance(steps, tuple) else (steps,)) == 0:
        return {0: score()} if score is not None else {}
    optimizer = ns["tf"].keras.optimizers.Adam(
        learning_rate, use_ema=True, ema_momentum=EMA_MOMENTUM
    )
    return fit_alone(
        ns,
        decoder,
        encoder,
        decoder,
        optimizer,
        beta,
        x_train,
        steps,
        BATCH_SIZE,
        seed,
        score=score,
    )


def select_recipe(ns, x_train) -> tuple[Recipe, dict]:
    """Choose each setting of CANDIDATES by the negative ELBO on the validation
    split (never the held-out images), averaged over SELECTION_SEEDS; return
    the recipe and every candidate's validation figure."""
    latent_dim, beta = SELECTION_MODEL
    x_fit, x_val = split_validation(x_train)
    log = {
        "model": {"latent_dim": latent_dim, "beta": beta},
        "fit_images": len(x_fit),
        "validation_images": len(x_val),
        "validation_split": f"the last {len(x_val)} of the 4,000 shuffled training images",
        "figure": "negative ELBO (beta = 1) on the validation images, nats per image, the "
        f"mean over seeds {list(SELECTION_SEEDS)} (each seed trains its "
        "own model through every stage)",
        "seeds": list(SELECTION_SEEDS),
        "candidates": {k: list(v) for k, v in CANDIDATES.items()},
    }
    start = time.time()

    def score(encoder, decoder):
        return neg_elbo(ns, encoder, decoder, x_val)

    def pick(stage: str, figures: dict):
        """The candidate of the best mean figure; logs the mean and each seed's figure."""
        means = {
            k: float(np.mean([per_seed[k] for per_seed in figures.values()]))
            for k in next(iter(figures.values()))
        }
        best = min(means, key=means.get)
        log[stage] = {str(k): round(v, 3) for k, v in means.items()}
        log[f"{stage}_per_seed"] = {
            str(seed): {str(k): round(v, 3) for k, v in f.items()} for seed, f in figures.items()
        }
        print(
            f"selection, {stage}: "
            + ", ".join(f"{k} {v:.1f}" for k, v in means.items())
            + f"; chose {best}",
            flush=True,
        )
        return best

    figures, runs = {seed: {} for seed in SELECTION_SEEDS}, {}
    for seed in SELECTION_SEEDS:
        for rate in CANDIDATES["learning_rate"]:
            encoder, decoder, _, scores = train_joint(
                ns, latent_dim, beta, x_fit, rate, CANDIDATES["epochs"], score=score, seed=seed
            )
            runs[seed, rate] = (encoder, decoder)
            figures[seed].update({(rate, epochs): v for epochs, v in scores.items()})
    rate, epochs = pick("joint", figures)
    pairs = {}
    # each seed's model of the chosen rate, trained again if shorter than the run
    for seed in SELECTION_SEEDS:
        pairs[seed] = (
            runs[seed, rate]
            if epochs == max(CANDIDATES["epochs"])
            else train_joint(ns, latent_dim, beta, x_fit, rate, epochs, seed=seed)[:2]
        )
    del runs

    figures, refits = {seed: {} for seed in SELECTION_SEEDS}, {}
    for seed, (encoder, decoder) in pairs.items():
        for variant in CANDIDATES["encoder_refit"]:
            refits[seed, variant] = refit_encoder(
                ns, encoder, decoder, latent_dim, beta, x_fit, variant, seed + 1
            )
            figures[seed][variant] = score(refits[seed, variant], decoder)
    variant = pick("encoder_refit", figures)
    before = {seed: f[variant] for seed, f in figures.items()}

    figures = {seed: {} for seed in SELECTION_SEEDS}
    steps = tuple(s for s in CANDIDATES["decoder_steps"] if s > 0)
    for seed, (_, decoder) in pairs.items():
        encoder, saved = refits[seed, variant], decoder.get_weights()
        for rate_d in CANDIDATES["decoder_learning_rate"]:
            decoder.set_weights(saved)
            scores = refit_decoder(
                ns,
                encoder,
                decoder,
                beta,
                x_fit,
                rate_d,
                steps,
                seed=seed + 2,
                score=lambda: score(encoder, decoder),  # noqa: B023 (called inside the loop)
            )
            figures[seed].update({(rate_d, s): v for s, v in scores.items()})
        if 0 in CANDIDATES["decoder_steps"]:
            figures[seed][(0.0, 0)] = before[seed]
    rate_d, steps = pick("decoder_refit", figures)

    recipe = Recipe(
        learning_rate=rate,
        epochs=epochs,
        encoder_refit=variant,
        decoder_learning_rate=rate_d,
        decoder_steps=steps,
    )
    log["chosen"] = dataclasses.asdict(recipe)
    log["validation_neg_elbo"] = log["decoder_refit"][str((rate_d, steps))]
    log["seconds"] = round(time.time() - start, 1)
    print(
        f"selection: {recipe}, validation -ELBO "
        f"{log['validation_neg_elbo']:.1f}, {log['seconds']:.0f} s",
        flush=True,
    )
    return recipe, log


def save(ns, encoder, decoder, path):
    """One Keras model holding both networks as layers "encoder" and
    "decoder" (image -> logits of decoder(mu))."""
    tf = ns["tf"]
    if (encoder.name, decoder.name) != ("encoder", "decoder"):
        raise SystemExit(
            "the notebook's models must be named encoder/decoder, not "
            f"{encoder.name}/{decoder.name}"
        )
    images = tf.keras.Input(shape=(28, 28, 1))
    mu, _ = encoder(images)
    model = tf.keras.Model(images, decoder(mu), name=path.stem.replace(".", "_"))
    model.save(path)


def train_shipped(ns, recipe: Recipe, latent_dim, beta, x_train, x_test):
    """One shipped model with `recipe` on all the training images; its
    metrics, held-out figures computed once."""
    start = time.time()
    encoder, decoder, curve, _ = train_joint(
        ns, latent_dim, beta, x_train, recipe.learning_rate, recipe.epochs
    )
    # each part's held-out figure, computed once, after the choice
    joint = neg_elbo(ns, encoder, decoder, x_test)
    refitted = refit_encoder(ns, encoder, decoder, latent_dim, beta, x_train, recipe.encoder_refit)
    before_decoder_refit = (
        neg_elbo(ns, refitted, decoder, x_test) if refitted is not encoder else joint
    )
    refit_decoder(
        ns, refitted, decoder, beta, x_train, recipe.decoder_learning_rate, recipe.decoder_steps
    )
    seconds = time.time() - start
    info = {
        "latent_dim": latent_dim,
        "beta": beta,
        "epochs": recipe.epochs,
        "batch_size": BATCH_SIZE,
        "steps_per_epoch": int(np.ceil(len(x_train) / BATCH_SIZE)),
        "learning_rate": recipe.learning_rate,
        "schedule": "constant",
        "kl_warmup_epochs": WARMUP_EPOCHS,
        "ema_momentum": EMA_MOMENTUM,
        "optimizer": "Adam",
        "seed": SEED,
        "binarise_threshold": THRESHOLD,
        "train_images": len(x_train),
        "heldout_images": len(x_test),
        "train_loss_per_epoch": [round(v, 3) for v in curve],
        "train_seconds": round(seconds, 1),
        "encoder_refit": {
            "variant": recipe.encoder_refit,
            "batch": ENCODER_REFITS[recipe.encoder_refit],
        }
        | (
            {}
            if recipe.encoder_refit == "none"
            else {
                "steps": ENCODER_STEPS,
                "learning_rate": ENCODER_LEARNING_RATE,
                "schedule": "cosine to 0",
                "ema_momentum": ENCODER_EMA_MOMENTUM,
                "seed": SEED + 1,
            }
        ),
        "decoder_refit": {
            "steps": recipe.decoder_steps,
            "learning_rate": recipe.decoder_learning_rate,
            "ema_momentum": EMA_MOMENTUM,
            "batch_size": BATCH_SIZE,
            "seed": SEED + 2,
        },
        "heldout_neg_elbo_joint_encoder": joint,
        "heldout_neg_elbo_before_decoder_refit": before_decoder_refit,
    }
    info.update(heldout_metrics(ns, refitted, decoder, x_test))
    return refitted, decoder, info


def train_and_save(ns, recipe: Recipe, filename, latent_dim, beta, x_train, x_test, out) -> dict:
    """Train one shipped model, save it to `out` and return its metrics (rounded)."""
    encoder, decoder, info = train_shipped(ns, recipe, latent_dim, beta, x_train, x_test)
    save(ns, encoder, decoder, out / filename)
    print(
        f"{filename}: latent_dim {latent_dim}, beta {beta:g}, trained in "
        f"{info['train_seconds']:.0f} s; train loss {info['train_loss_per_epoch'][-1]:.1f}; "
        f"held-out -ELBO {info['heldout_neg_elbo']:.1f} nats per image (reconstruction "
        f"{info['heldout_reconstruction']:.1f} + KL {info['heldout_kl']:.2f}), -log p(x) <= "
        f"{info['heldout_neg_log_likelihood_iwae']:.1f} (importance-weighted, K = {IWAE_SAMPLES}), "
        f"{(out / filename).stat().st_size / 1e3:.0f} kB",
        flush=True,
    )
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in info.items()}


def train_in_processes(models, out: pathlib.Path, selection_file: pathlib.Path, jobs: int) -> dict:
    """Train `models` with this script in up to `jobs` processes at once
    (each reusing `selection_file`, in a folder of its own); move their
    models into `out` and return their metrics."""
    parts = {filename: out / f".part-{filename}" for filename, _, _ in models}

    def run(filename):
        subprocess.run(  # noqa: S603
            [
                sys.executable,
                str(pathlib.Path(__file__).resolve()),
                "--selection",
                str(selection_file),
                "--model",
                filename,
                "--out",
                str(parts[filename]),
            ],
            check=True,
        )

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        list(pool.map(run, parts))  # raises if any process failed
    metrics = {}
    for filename, part in parts.items():
        metrics[filename] = json.loads((part / "vae_metrics.json").read_text(encoding="utf-8"))[
            filename
        ]
        (part / filename).replace(out / filename)
        shutil.rmtree(part)
    return metrics


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=pathlib.Path, default=OUT, help=f"folder to write to (default {OUT})"
    )
    parser.add_argument(
        "--selection",
        type=pathlib.Path,
        help="skip stage 1: reuse the choice recorded in this "
        "file (the vae_selection.json an earlier run wrote)",
    )
    parser.add_argument(
        "--model",
        action="append",
        choices=[m[0] for m in MODELS],
        help="train only this model (repeat for more; default: all four)",
    )
    parser.add_argument(
        "--jobs", type=int, default=1, help="train the models in this many processes at once"
    )
    args = parser.parse_args(argv)
    selection = recipe = None
    if args.selection:
        try:
            selection = json.loads(args.selection.read_text(encoding="utf-8"))
            recipe = Recipe(**selection["chosen"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            parser.error(
                f"--selection {args.selection}: not a vae_selection.json this script wrote "
                f"({exc!r}); run without --selection to choose again"
            )
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (x_train, _), (x_test, _) = data.load_mnist(source="bundled", verbose=False)
    x_train = (x_train > THRESHOLD).astype(np.float32)
    x_test = (x_test > THRESHOLD).astype(np.float32)
    ns = load_solution("05_vae")
    selection_file = out / "vae_selection.json"
    if recipe is None:
        recipe, selection = select_recipe(ns, x_train)  # sees only x_train
        selection_file.write_text(json.dumps(selection, indent=1) + "\n", encoding="utf-8")
    models = [m for m in MODELS if not args.model or m[0] in args.model]
    if args.jobs > 1:
        if not args.selection:
            args.selection = selection_file
        metrics = train_in_processes(models, out, args.selection.resolve(), args.jobs)
    else:
        metrics = {
            filename: train_and_save(ns, recipe, filename, latent_dim, beta, x_train, x_test, out)
            for filename, latent_dim, beta in models
        }
    metrics["selection"] = selection
    (out / "vae_metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(models)} models and vae_metrics.json to {out}")


if __name__ == "__main__":
    main()
