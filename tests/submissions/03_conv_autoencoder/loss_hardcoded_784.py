"""Reconstruction loss as the mean over everything times a hard-coded 784: right for 28x28x1 images only."""
EXPECT_FAILED = ["test_reconstruction_loss_hidden"]

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_mean(tf.square(tf.cast(x, tf.float32) - x_hat)) * 784.0
