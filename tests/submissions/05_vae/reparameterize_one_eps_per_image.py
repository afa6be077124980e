"""Draws one noise number per image and lets it broadcast over the latent dimensions: the dimensions of a sample move together."""
EXPECT_FAILED = ["test_reparameterize_hidden"]
EXPECT_MESSAGE = {"test_reparameterize_hidden": "correlated across dimensions"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal((tf.shape(mu)[0], 1))  # (B, 1), broadcast over the dimensions
    return mu + tf.exp(0.5 * log_var) * eps
