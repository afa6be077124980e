"""Noise drawn once per shape and kept in a module-level dict: every later call reuses the same eps."""
# the same eps at every call: also the same under tf.function, and train_step's visible test sees a deterministic bottleneck
EXPECT_FAILED = ["test_reparameterize", "test_reparameterize_hidden", "test_train_step"]
# test_reparameterize_compiled may pass: compiled, the first call caches a graph tensor, which is drawn afresh at
# each call of the compiled function; the uncompiled tests catch the cached noise
EXPECT_MESSAGE = {"test_reparameterize": "same sample", "test_reparameterize_hidden": "afresh"}

# %% reparameterize
_EPS = {}


def reparameterize(mu, log_var, eps=None):
    if eps is None:
        shape = tuple(mu.shape)
        if shape not in _EPS:
            _EPS[shape] = tf.random.normal(shape)
        eps = _EPS[shape]
    return mu + tf.exp(0.5 * log_var) * eps
