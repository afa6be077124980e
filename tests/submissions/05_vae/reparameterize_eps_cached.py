"""Noise drawn once per shape and kept in a module-level dict: every later call reuses the same eps."""
# the same eps at every call: also the same under tf.function, and train_step's visible test sees a deterministic bottleneck
EXPECT_FAILED = ["test_reparameterize", "test_reparameterize_hidden", "test_train_step"]
# test_reparameterize_compiled may go either way, depending on the shapes the grade seed draws: if a shape was first
# seen while tracing, the cache holds a graph tensor that is drawn afresh at each compiled call (passes); if it was
# first seen eagerly, the cached constant is baked into the graph (fails). The uncompiled tests always catch it.
# test_reparameterize_gradient draws its shape from the grade seed too: when it draws (2, 3), the compiled test's
# shape, the cache may hand it the graph tensor of that trace, which TensorFlow refuses outside it (a TypeError,
# about 1 seed in 25): the same bug, caught once more.
EXPECT_MAY_FAIL = ["test_reparameterize_compiled", "test_reparameterize_gradient"]
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
