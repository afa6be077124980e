"""The variance exp(log_var) where the standard deviation exp(log_var / 2) belongs."""
EXPECT_FAILED = ["test_reparameterize", "test_reparameterize_hidden", "test_reparameterize_gradient"]
EXPECT_MESSAGE = {"test_reparameterize": "variance", "test_reparameterize_hidden": "variance"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu))
    return mu + tf.exp(log_var) * eps
