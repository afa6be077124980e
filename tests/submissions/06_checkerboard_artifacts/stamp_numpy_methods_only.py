"""Uses NumPy methods on w (w.astype, w.reshape): right for arrays and float32, fails for the list and the tf.Tensor the docstring's tests pass."""
EXPECT_FAILED = ["test_resize_conv_stamp_hidden"]

# %% resize_conv_stamp
def resize_conv_stamp(w):
    w0, w1, w2 = w.astype(np.float64).reshape(3)  # wrong: a list or a tf.Tensor has no .astype
    return np.array([w2, w1 + w2, w0 + w1, w0])
