"""Correct, written differently: the Keras sizes as candidates of transpose_output_shapes, raising ValueError for the one case TensorFlow refuses to run (SAME, an even kernel, output_padding=0), the natural reading of "refuses"; no test asks for that case, so it earns full marks."""
EXPECT_FAILED = []

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    candidates = list(transpose_output_shapes(input_size, k, stride, padding))
    if output_padding is None:
        if padding == "SAME":
            return int(candidates[-1])
        return int(candidates[0]) + max(stride - k, 0)  # a kernel shorter than the stride keeps the last gap
    if padding == "SAME" and k % 2 == 0 and output_padding == 0:
        raise ValueError("TensorFlow refuses to run this layer: its length is no candidate")
    return int(candidates[0]) + output_padding - (1 if padding == "SAME" and k % 2 == 0 else 0)
