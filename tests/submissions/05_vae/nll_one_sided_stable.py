"""A derivation that stops half-way: l - l*x + log(1 + exp(-l)) is exact, and finite for large positive logits, but exp(-l) overflows float32 for a logit below about -88."""
EXPECT_FAILED = ["test_bernoulli_nll"]  # the hidden test's logits reach +-45 only, where exp(45) is still finite
EXPECT_MESSAGE = {"test_bernoulli_nll": "NaN or inf"}

# %% bernoulli_nll
def bernoulli_nll(x, logits):
    x = tf.convert_to_tensor(x, tf.float32)
    per_pixel = logits - logits * x + tf.math.log(1.0 + tf.exp(-logits))  # (B, H, W, C)
    return tf.reduce_sum(per_pixel, axis=[1, 2, 3])
