"""Keras size ignores output_padding: always the default size."""
EXPECT_FAILED = ["test_keras_transpose_output_size", "test_keras_transpose_output_size_hidden"]
EXPECT_MESSAGE = {"test_keras_transpose_output_size": "output_padding is ignored",
                  "test_keras_transpose_output_size_hidden": "output_padding is ignored"}

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    if padding == "SAME":
        return input_size * stride
    return input_size * stride + max(k - stride, 0)
