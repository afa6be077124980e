"""Noise drawn with NumPy: right in eager mode, but under tf.function the draw runs once, at tracing, and every call reuses it."""
EXPECT_FAILED = ["test_reparameterize_compiled"]
EXPECT_MESSAGE = {"test_reparameterize_compiled": "tf.random.normal"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = np.random.standard_normal(tuple(mu.shape)).astype(np.float32)
    return mu + tf.exp(0.5 * log_var) * eps
