"""resize_conv_stamp returns the right four numbers as a (2, 2) table of phases, not the (4,) kernel the docstring asks for."""
EXPECT_FAILED = ["test_resize_conv_stamp", "test_resize_conv_stamp_hidden"]
EXPECT_MESSAGE = {"test_resize_conv_stamp": "shape", "test_resize_conv_stamp_hidden": "shape"}

# %% resize_conv_stamp
def resize_conv_stamp(w):
    w0, w1, w2 = np.asarray(w, dtype=np.float64).reshape(3)
    return np.array([[w2, w0 + w1], [w1 + w2, w0]])  # even taps, odd taps
