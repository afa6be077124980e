"""Reconstruction loss returns one sum per image (shape (B,)) instead of their mean over the batch."""
EXPECT_FAILED = ["test_reconstruction_loss", "test_reconstruction_loss_hidden", "test_reconstruction_loss_gradient",
                 "test_train_autoencoder"]
# the hidden training test puts the reference loss in place, so it grades train_autoencoder alone
EXPECT_MESSAGE = {"test_reconstruction_loss": "one loss per image"}

# %% reconstruction_loss
def reconstruction_loss(x, x_hat):
    return tf.reduce_sum(tf.square(x - x_hat), axis=[1, 2, 3])
