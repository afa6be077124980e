"""KL divergence with the wrong sign: 0.5 * sum(1 + log_var - mu^2 - exp(log_var)), the ELBO's term, not the KL."""
EXPECT_FAILED = ["test_kl_divergence", "test_kl_divergence_hidden"]
EXPECT_MESSAGE = {"test_kl_divergence": "wrong sign", "test_kl_divergence_hidden": "wrong sign"}

# %% kl_divergence
def kl_divergence(mu, log_var):
    return 0.5 * tf.reduce_sum(1.0 + log_var - tf.square(mu) - tf.exp(log_var), axis=1)
