"""The variance exp(log_var) where the standard deviation exp(log_var / 2) belongs."""
# the visible estimate test draws z with the student's reparameterize and weighs it as N(mu, exp(log_var)): wrong weights
EXPECT_FAILED = ["test_reparameterize", "test_reparameterize_hidden", "test_reparameterize_gradient", "test_estimate_log_likelihood"]
EXPECT_MESSAGE = {"test_reparameterize": "variance", "test_reparameterize_hidden": "variance"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu))
    return mu + tf.exp(log_var) * eps
