"""Keras size with the signature's default output_padding=0 instead of None: right whenever output_padding is passed, wrong when it is left out and Keras infers the size."""
EXPECT_FAILED = ["test_keras_transpose_output_size_hidden"]
EXPECT_MESSAGE = {"test_keras_transpose_output_size_hidden": "default output_padding is None"}

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=0):
    if output_padding is None:
        if padding == "SAME":
            return input_size * stride
        return (input_size - 1) * stride + max(k, stride)
    pad = k // 2 if padding == "SAME" else 0
    return (input_size - 1) * stride + k - 2 * pad + output_padding
