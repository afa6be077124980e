"""The loss summed over the batch instead of averaged."""
EXPECT_FAILED = ["test_vae_loss", "test_vae_loss_hidden"]
EXPECT_MESSAGE = {"test_vae_loss": "sums over the batch", "test_vae_loss_hidden": "sums over the batch"}

# %% vae_loss
def vae_loss(x, logits, mu, log_var, beta=1.0):
    return tf.reduce_sum(bernoulli_nll(x, logits) + beta * kl_divergence(mu, log_var))
