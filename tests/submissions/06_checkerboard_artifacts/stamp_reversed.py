"""resize_conv_stamp returns the right taps in the wrong order: (w0, w0 + w1, w1 + w2, w2), the stamp read as a convolution rather than as a transpose convolution's scatter."""
EXPECT_FAILED = ["test_resize_conv_stamp", "test_resize_conv_stamp_hidden"]
EXPECT_MESSAGE = {"test_resize_conv_stamp": "reversed", "test_resize_conv_stamp_hidden": "reversed"}

# %% resize_conv_stamp
def resize_conv_stamp(w):
    w0, w1, w2 = np.asarray(w, dtype=np.float64).reshape(3)
    return np.array([w0, w0 + w1, w1 + w2, w2])
