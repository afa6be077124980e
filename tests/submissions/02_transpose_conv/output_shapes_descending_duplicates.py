"""Unsorted, with a duplicate: candidates collected from the largest down, and the smallest added twice."""
EXPECT_FAILED = ["test_transpose_output_shapes", "test_transpose_output_shapes_hidden"]

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    lo = (input_size - 1) * stride + (1 if padding == "SAME" else k)
    sizes = [lo]  # the obvious one first
    for n in range(lo + stride - 1, lo - 1, -1):
        if conv_output_size(n, k, stride, padding) == input_size:
            sizes.append(n)
    return sizes
