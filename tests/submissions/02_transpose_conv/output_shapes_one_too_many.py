"""Off by one the other way: brute force with <= instead of ==, one size too many at the end."""
EXPECT_FAILED = ["test_transpose_output_shapes", "test_transpose_output_shapes_hidden"]
EXPECT_MESSAGE = {"test_transpose_output_shapes": "too many", "test_transpose_output_shapes_hidden": "too many"}

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    lo = (input_size - 1) * stride + (1 if padding == "SAME" else k)
    return list(range(lo, lo + stride + 1))  # includes lo + stride, whose convolution is one longer
