"""Reconstruction term averaged over the pixels (tf.reduce_mean) instead of summed."""
# the visible estimate test (q != p) compares with log p(x) computed with the true Bernoulli likelihood, so a wrong
# bernoulli_nll costs it too; the hidden one uses the reference bernoulli_nll
EXPECT_FAILED = ["test_bernoulli_nll", "test_bernoulli_nll_hidden", "test_estimate_log_likelihood"]
EXPECT_MESSAGE = {"test_bernoulli_nll": "averages over the pixels", "test_bernoulli_nll_hidden": "averages over the pixels"}

# %% bernoulli_nll
def bernoulli_nll(x, logits):
    per_pixel = tf.nn.sigmoid_cross_entropy_with_logits(labels=tf.cast(x, tf.float32), logits=logits)
    return tf.reduce_mean(per_pixel, axis=[1, 2, 3])
