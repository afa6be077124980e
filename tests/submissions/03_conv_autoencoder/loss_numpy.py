"""Reconstruction loss computed with NumPy: right value, but tf.GradientTape cannot differentiate it."""
EXPECT_FAILED = ["test_reconstruction_loss_gradient", "test_train_autoencoder"]
# the hidden training test puts the reference loss in place, so it grades train_autoencoder alone
EXPECT_MESSAGE = {"test_reconstruction_loss_gradient": "not NumPy"}

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    x, x_hat = np.asarray(x), np.asarray(x_hat)
    return np.float32(((x - x_hat) ** 2).sum(axis=(1, 2, 3)).mean())
