"""Are notebook 03's pretrained autoencoders present, loadable and as good as their metrics say?"""

import json
import pathlib

import numpy as np
import pytest

from aekit import data

NAMES = ("ae_latent2.keras", "ae_latent16.keras")


def _metrics():
    return json.loads(data.weights_path("ae_metrics.json").read_text())


def test_weights_and_metrics_are_there_and_small():
    """Do both models and their metrics exist, stay small and record how they were trained?"""
    metrics = _metrics()
    total = 0
    for name in NAMES:
        total += data.weights_path(name).stat().st_size
        m = metrics[name]
        assert m["epochs"] == len(m["train_loss_per_epoch"]) > 0
        assert m["train_loss_per_epoch"][-1] < m["train_loss_per_epoch"][0]
        assert 0 < m["train_loss"] < m["heldout_loss"] * 1.5
    assert total < 3e6, f"the pretrained autoencoders take {total / 1e6:.1f} MB"


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_pretrained_model_loads_and_reconstructs(name):
    """Does each model load, hold an encoder and a decoder of the right
    shapes, and reach its recorded held-out loss?"""
    model = data.load_pretrained(name)
    encoder, decoder = model.get_layer("encoder"), model.get_layer("decoder")
    latent_dim = _metrics()[name]["latent_dim"]
    _, (x_test, _) = data.load_mnist("bundled", verbose=False)
    codes = np.asarray(encoder(x_test[:500]))
    assert codes.shape == (500, latent_dim)
    recon = np.asarray(decoder(codes))
    assert recon.shape == (500, 28, 28, 1) and recon.min() >= 0 and recon.max() <= 1
    loss = float(((x_test[:500] - recon) ** 2).sum(axis=(1, 2, 3)).mean())
    assert loss == pytest.approx(_metrics()[name]["heldout_loss"], rel=0.1)
    # held-out PCA error with as many components (notebook 03)
    pca_error = {2: 45.0, 16: 22.0}[latent_dim]
    assert loss < pca_error


@pytest.mark.slow
def test_weights_script_reruns_with_the_notebook_code(tmp_path, monkeypatch):
    """Does data/train_autoencoder_weights.py still run end to end on the solution notebook's code
    (one short epoch, into a temp dir)?"""
    import importlib.util

    path = pathlib.Path(__file__).resolve().parent.parent / "data" / "train_autoencoder_weights.py"
    spec = importlib.util.spec_from_file_location("train_autoencoder_weights", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    monkeypatch.setattr(script, "OUT", tmp_path)
    monkeypatch.setattr(script, "EPOCHS", {2: 1})
    script.main()
    metrics = json.loads((tmp_path / "ae_metrics.json").read_text())["ae_latent2.keras"]
    assert metrics["epochs"] == 1 and len(metrics["train_loss_per_epoch"]) == 1
    import tensorflow as tf

    model = tf.keras.models.load_model(tmp_path / "ae_latent2.keras", compile=False)
    codes = model.get_layer("encoder")(np.zeros((1, 28, 28, 1), np.float32))
    assert tuple(codes.shape) == (1, 2)
    assert np.isfinite(metrics["heldout_loss"]) and metrics["heldout_loss"] < 80
