"""checkerboard_score in TensorFlow with float32 sign vectors: a float64 input fails (the docstring accepts float32 or float64)."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]

# %% checkerboard_score
def checkerboard_score(images):
    x = tf.convert_to_tensor(images)
    if len(x.shape) == 4:
        x = x[..., 0]
    h, w = int(x.shape[1]), int(x.shape[2])
    x = x - tf.reduce_mean(x, axis=[1, 2], keepdims=True)
    rows = tf.constant((-1.0) ** np.arange(h), tf.float32)
    cols = tf.constant((-1.0) ** np.arange(w), tf.float32)
    a_rows = tf.einsum("bij,i->b", x, rows) / (h * w)
    a_cols = tf.einsum("bij,j->b", x, cols) / (h * w)
    a_diag = tf.einsum("bij,i,j->b", x, rows, cols) / (h * w)
    return float(tf.reduce_mean(a_rows ** 2 + a_cols ** 2 + a_diag ** 2))
