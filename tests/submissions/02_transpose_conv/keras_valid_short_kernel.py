"""keras_transpose_output_size uses (m - 1) * stride + k for VALID even when the kernel is shorter than the stride (Keras uses max(k, stride))."""
EXPECT_FAILED = ["test_keras_transpose_output_size", "test_keras_transpose_output_size_hidden"]
EXPECT_MESSAGE = {"test_keras_transpose_output_size": "shorter than the stride"}

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    if output_padding is None:
        if padding == "SAME":
            return input_size * stride
        return (input_size - 1) * stride + k
    pad = k // 2 if padding == "SAME" else 0
    return (input_size - 1) * stride + k - 2 * pad + output_padding
