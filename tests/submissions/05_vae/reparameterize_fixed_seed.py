"""Noise from tf.random with a fixed seed on every call (stateless): the same eps for the whole run."""
# the same eps at every call: also the same under tf.function, and train_step's visible test sees a deterministic bottleneck
EXPECT_FAILED = ["test_reparameterize", "test_reparameterize_hidden", "test_reparameterize_compiled", "test_train_step"]
EXPECT_MESSAGE = {"test_reparameterize_hidden": "fixed seed"}

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.stateless_normal(tf.shape(mu), seed=[1470, 0])
    return mu + tf.exp(0.5 * log_var) * eps
