"""The noise term is wrapped in tf.stop_gradient: the right sample, but no gradient reaches log_var."""
EXPECT_FAILED = ["test_reparameterize_gradient"]
EXPECT_MESSAGE = {"test_reparameterize_gradient": "no gradient reaches log_var"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu))
    return mu + tf.stop_gradient(tf.exp(0.5 * log_var) * eps)
