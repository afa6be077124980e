"""Reconstruction loss averages over the pixels (Keras' MSE) instead of summing over each image."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_hidden"]
EXPECT_MESSAGE = {"test_reconstruction_loss": "averages over the pixels",
                  "test_reconstruction_loss_hidden": "averages over the pixels"}

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_mean(tf.square(x - x_hat))
