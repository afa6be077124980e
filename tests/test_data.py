"""Does the data loader work offline and fail clearly?"""

import numpy as np
import pytest

from aekit import data


def test_bundled_subset_loads_as_documented(monkeypatch, tmp_path):
    """Does the bundled subset load as float32 in [0, 1], (N, 28, 28, 1), 4,000 + 1,000 images?"""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no Keras cache here
    (x_tr, y_tr), (x_te, y_te) = data.load_mnist()
    assert x_tr.shape == (4000, 28, 28, 1) and x_te.shape == (1000, 28, 28, 1)
    assert x_tr.dtype == np.float32 and 0.0 <= x_tr.min() and x_tr.max() <= 1.0
    assert np.bincount(y_tr).tolist() == [400] * 10 and np.bincount(y_te).tolist() == [100] * 10
    assert len(set(map(bytes, x_tr[:50].reshape(50, -1)))) == 50


def test_loader_says_which_data_it_used(monkeypatch, tmp_path, capsys):
    """Does the loader print one line naming the data set?"""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    data.load_mnist()
    assert "bundled MNIST subset" in capsys.readouterr().out


def test_keras_cache_is_preferred_when_present(monkeypatch, tmp_path):
    """Does "auto" use the full MNIST when Keras has it cached?"""
    cache = tmp_path / "datasets"
    cache.mkdir()
    rng = np.random.default_rng(0)
    np.savez(
        cache / "mnist.npz",
        x_train=rng.integers(0, 255, (7, 28, 28), dtype=np.uint8),
        y_train=np.arange(7, dtype=np.uint8),
        x_test=np.zeros((3, 28, 28), np.uint8),
        y_test=np.zeros(3, np.uint8),
    )
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (x_tr, _), (x_te, _) = data.load_mnist(full=True)
    assert x_tr.shape == (7, 28, 28, 1) and x_te.shape == (3, 28, 28, 1)
    (x_tr, _), _ = data.load_mnist(source="bundled")
    assert len(x_tr) == 4000


def test_missing_file_gives_a_clear_error(monkeypatch, tmp_path):
    """Does a missing bundled file raise DataError saying how to restore it?"""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("AEKIT_DATA_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(data.DataError, match="git checkout data/mnist_subset.npz"):
        data.load_mnist()


@pytest.mark.parametrize("content", [b"", b"this is not a zip file", b"PK\x03\x04truncated"])
def test_corrupt_file_gives_a_clear_error(monkeypatch, tmp_path, content):
    """Does a corrupt file raise DataError (not a NumPy traceback)?"""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("AEKIT_DATA_DIR", str(tmp_path))
    (tmp_path / "mnist_subset.npz").write_bytes(content)
    with pytest.raises(data.DataError, match="corrupt|lacks"):
        data.load_mnist()


def test_wrong_arrays_give_a_clear_error(monkeypatch, tmp_path):
    """Does an npz with the wrong arrays raise DataError?"""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setenv("AEKIT_DATA_DIR", str(tmp_path))
    np.savez(tmp_path / "mnist_subset.npz", x_train=np.zeros((2, 5)))
    with pytest.raises(data.DataError, match="lacks"):
        data.load_mnist()


def test_bad_source_name_is_rejected():
    """Is a misspelt source a ValueError?"""
    with pytest.raises(ValueError):
        data.load_mnist(source="internet")


def test_missing_pretrained_model_gives_a_clear_error():
    """Does a missing weights file raise DataError naming the fix?"""
    with pytest.raises(data.DataError, match="git checkout data/weights"):
        data.weights_path("no_such_model.keras")
