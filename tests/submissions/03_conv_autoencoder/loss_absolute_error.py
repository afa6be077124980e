"""Reconstruction loss uses the absolute error |x - x_hat| instead of the squared error."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_hidden"]
EXPECT_MESSAGE = {"test_reconstruction_loss": "absolute", "test_reconstruction_loss_hidden": "absolute"}

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_mean(tf.reduce_sum(tf.abs(x - x_hat), axis=[1, 2, 3]))
