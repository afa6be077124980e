"""Reconstruction loss sums over the batch instead of averaging the per-image sums."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_hidden"]
EXPECT_MESSAGE = {"test_reconstruction_loss": "sums over the batch",
                  "test_reconstruction_loss_hidden": "sums over the batch"}

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_sum(tf.square(x - x_hat))
