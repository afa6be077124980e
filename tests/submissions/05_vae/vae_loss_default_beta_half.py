"""The loss is right for every beta passed in, but the default is beta = 0.5, not 1.0 (the negative ELBO)."""
EXPECT_FAILED = ["test_vae_loss_hidden"]
EXPECT_MESSAGE = {"test_vae_loss_hidden": "default must be 1.0"}

# %% vae_loss
def vae_loss(x, logits, mu, log_var, beta=0.5):
    return tf.reduce_mean(bernoulli_nll(x, logits) + beta * kl_divergence(mu, log_var))
