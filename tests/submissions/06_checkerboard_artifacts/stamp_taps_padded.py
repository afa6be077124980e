"""resize_conv_stamp pads the three taps to four, (w0, w1, w2, 0): it misses that each output reads two copies of one input, whose taps add up."""
EXPECT_FAILED = ["test_resize_conv_stamp", "test_resize_conv_stamp_hidden"]
EXPECT_MESSAGE = {"test_resize_conv_stamp": "transpose convolution of x", "test_resize_conv_stamp_hidden": "0 appended"}

# %% resize_conv_stamp
def resize_conv_stamp(w):
    return np.concatenate([np.asarray(w, dtype=np.float64).reshape(3), [0.0]])
