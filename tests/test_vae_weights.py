"""Were notebook 05's pretrained VAEs chosen on a validation split, never on the held-out images?

data/train_vae_weights.py chooses every setting of its CANDIDATES on 500 validation images carved
from the 4,000 training images, then trains the shipped models and computes the held-out figures
once. The fast test reads what the shipped vae_metrics.json records; the slow one reruns the script
with tiny settings and watches which images the selection scores.
"""

import importlib.util
import json
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from aekit import data

REPO = pathlib.Path(__file__).resolve().parent.parent
VAES = (
    "vae_latent2_beta0.5.keras",
    "vae_latent2_beta1.keras",
    "vae_latent2_beta4.keras",
    "vae_latent16_beta1.keras",
)


def _script():
    """data/train_vae_weights.py as a module (it imports no TensorFlow until it runs)."""
    spec = importlib.util.spec_from_file_location(
        "train_vae_weights", REPO / "data" / "train_vae_weights.py"
    )
    script = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = script  # its dataclass looks its module up there
    spec.loader.exec_module(script)
    return script


def _check_selection(selection, candidates, models):
    """The recorded choice is the best validation figure of each stage, from the stated candidates,
    and every shipped model was trained with it."""
    chosen = selection["chosen"]
    assert selection["candidates"] == {k: list(v) for k, v in candidates.items()}
    assert selection["validation_images"] == 500 and selection["fit_images"] == 3500
    joint = selection["joint"]
    assert len(joint) == len(candidates["learning_rate"]) * len(candidates["epochs"])
    assert min(joint, key=joint.get) == str((chosen["learning_rate"], chosen["epochs"]))
    encoders = selection["encoder_refit"]
    assert sorted(encoders) == sorted(candidates["encoder_refit"])
    assert min(encoders, key=encoders.get) == chosen["encoder_refit"]
    decoders = selection["decoder_refit"]
    assert min(decoders, key=decoders.get) == str(
        (chosen["decoder_learning_rate"], chosen["decoder_steps"])
    )
    # "no decoder refit" is the stage before
    assert decoders[str((0.0, 0))] == encoders[chosen["encoder_refit"]]
    assert selection["validation_neg_elbo"] == pytest.approx(min(decoders.values()), abs=1e-3)
    for name, m in models.items():
        assert (m["learning_rate"], m["epochs"]) == (chosen["learning_rate"], chosen["epochs"]), (
            name
        )
        assert m["encoder_refit"]["variant"] == chosen["encoder_refit"], name
        assert (m["decoder_refit"]["learning_rate"], m["decoder_refit"]["steps"]) == (
            chosen["decoder_learning_rate"],
            chosen["decoder_steps"],
        ), name
        assert m["train_images"] == 4000 and m["heldout_images"] == 1000, name


def test_shipped_vaes_record_a_choice_made_on_the_validation_split():
    """Does vae_metrics.json record every candidate's validation figure, the
    choice as the best of each stage (from the candidates the script
    states), and the four shipped models trained with that choice?"""
    metrics = json.loads(data.weights_path("vae_metrics.json").read_text())
    _check_selection(
        metrics["selection"], _script().CANDIDATES, {name: metrics[name] for name in VAES}
    )


@pytest.mark.slow
@pytest.mark.long  # about a minute of training: make test-long
def test_weights_script_scores_only_validation_images_while_choosing(tmp_path, monkeypatch):
    """Does data/train_vae_weights.py run end to end on the solution notebook's code (tiny settings,
    into a temp dir), score every candidate on the 500 validation images only (never a held-out or a
    fitted image), and record its choice as the best of each stage?"""
    script = _script()
    candidates = {
        "learning_rate": (3e-3, 1e-3),
        "epochs": (1, 2),
        "encoder_refit": ("none", "moved", "moved+drawn"),
        "decoder_learning_rate": (1e-3,),
        "decoder_steps": (0, 20, 40),
    }
    monkeypatch.setattr(script, "CANDIDATES", candidates)
    monkeypatch.setattr(script, "ENCODER_STEPS", 30)
    monkeypatch.setattr(script, "MODELS", [("vae_latent2_beta1.keras", 2, 1.0)])
    monkeypatch.setattr(script, "IWAE_SAMPLES", 4)
    scored, selecting = [], []
    neg_elbo, select_recipe = script.neg_elbo, script.select_recipe

    def spy_neg_elbo(ns, encoder, decoder, x):
        scored.append((bool(selecting), np.asarray(x).copy()))
        return neg_elbo(ns, encoder, decoder, x)

    def spy_select_recipe(ns, x_train):
        selecting.append(True)
        try:
            return select_recipe(ns, x_train)
        finally:
            selecting.clear()

    monkeypatch.setattr(script, "neg_elbo", spy_neg_elbo)
    monkeypatch.setattr(script, "select_recipe", spy_select_recipe)
    script.main(["--out", str(tmp_path)])

    (x_train, _), (x_test, _) = data.load_mnist(source="bundled", verbose=False)
    validation = (x_train[-500:] > 0.5).astype(np.float32)
    during = [x for in_selection, x in scored if in_selection]
    # per seed: each (rate, epochs), each encoder variant, each decoder step count of the one rate
    assert len(during) == len(script.SELECTION_SEEDS) * (2 * 2 + 3 + 2 * 1)
    assert all(np.array_equal(x, validation) for x in during)
    after = [x for in_selection, x in scored if not in_selection]
    assert after and all(np.array_equal(x, (x_test > 0.5).astype(np.float32)) for x in after)

    metrics = json.loads((tmp_path / "vae_metrics.json").read_text())
    _check_selection(
        metrics["selection"],
        candidates,
        {"vae_latent2_beta1.keras": metrics["vae_latent2_beta1.keras"]},
    )
    m = metrics["vae_latent2_beta1.keras"]
    assert m["epochs"] == len(m["train_loss_per_epoch"]) == metrics["selection"]["chosen"]["epochs"]
    assert (
        np.isfinite(m["heldout_neg_elbo"])
        and m["heldout_neg_log_likelihood_iwae"] <= m["heldout_neg_elbo"] + 1
    )
    import tensorflow as tf

    model = tf.keras.models.load_model(tmp_path / "vae_latent2_beta1.keras", compile=False)
    mu, log_var = model.get_layer("encoder")(np.zeros((1, 28, 28, 1), np.float32))
    assert tuple(mu.shape) == tuple(log_var.shape) == (1, 2)
    assert tuple(model.get_layer("decoder")(mu).shape) == (1, 28, 28, 1)


@pytest.mark.slow
@pytest.mark.long  # about a minute of training: make test-long
def test_weights_script_reuses_a_recorded_choice_in_parallel_processes(tmp_path):
    """Does `--selection FILE --jobs 2 --model A --model B` skip the choice,
    train the two models in two processes of their own with the recorded recipe
    (one short epoch, no refits), and gather both models and their metrics in
    --out? Does a missing selection file give a one-line usage error?"""
    selection = {
        "chosen": {
            "learning_rate": 3e-3,
            "epochs": 1,
            "encoder_refit": "none",
            "decoder_learning_rate": 0.0,
            "decoder_steps": 0,
        }
    }
    (tmp_path / "choice.json").write_text(json.dumps(selection))
    names = ["vae_latent2_beta4.keras", "vae_latent16_beta1.keras"]
    command = [
        sys.executable,
        str(REPO / "data" / "train_vae_weights.py"),
        "--selection",
        str(tmp_path / "choice.json"),
        "--jobs",
        "2",
        "--out",
        str(tmp_path / "out"),
    ] + [a for name in names for a in ("--model", name)]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    metrics = json.loads((tmp_path / "out" / "vae_metrics.json").read_text())
    assert sorted(metrics) == sorted(names + ["selection"]) and metrics["selection"] == selection
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        names + ["vae_metrics.json"]
    )
    for name in names:
        assert metrics[name]["epochs"] == len(metrics[name]["train_loss_per_epoch"]) == 1
        assert (
            metrics[name]["encoder_refit"]["variant"] == "none"
            and metrics[name]["decoder_refit"]["steps"] == 0
        )
        assert (
            metrics[name]["heldout_neg_elbo_before_decoder_refit"]
            == metrics[name]["heldout_neg_elbo_joint_encoder"]
        )
        assert np.isfinite(metrics[name]["heldout_neg_elbo"]) and metrics[name][
            "latent_dim"
        ] == int(name[10:12].rstrip("_b"))

    proc = subprocess.run(
        command[:2] + ["--selection", str(tmp_path / "missing.json"), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert (
        proc.returncode == 2 and "run without --selection" in proc.stderr.strip().splitlines()[-1]
    )
