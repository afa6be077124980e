"""Keras size tests output_padding for truth (`if not output_padding`): output_padding=0 is taken for None, so Keras's inferred size comes back where the formula with 0 belongs."""
EXPECT_FAILED = ["test_keras_transpose_output_size", "test_keras_transpose_output_size_hidden"]
EXPECT_MESSAGE = {"test_keras_transpose_output_size": "output_padding is ignored",
                  "test_keras_transpose_output_size_hidden": "output_padding is ignored"}

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    if not output_padding:
        if padding == "SAME":
            return input_size * stride
        return (input_size - 1) * stride + max(k, stride)
    pad = k // 2 if padding == "SAME" else 0
    return (input_size - 1) * stride + k - 2 * pad + output_padding
