"""Keras size wrong for SAME: uses the VALID formula (m - 1) * stride + k (+ output_padding) for both paddings."""
EXPECT_FAILED = ["test_keras_transpose_output_size", "test_keras_transpose_output_size_hidden"]
EXPECT_MESSAGE = {"test_keras_transpose_output_size": "that is the VALID size",
                  "test_keras_transpose_output_size_hidden": "that is the VALID size"}

# %% keras_transpose_output_size
def keras_transpose_output_size(input_size, k, stride=1, padding="VALID", output_padding=None):
    if output_padding is None:
        return (input_size - 1) * stride + max(k, stride)
    return (input_size - 1) * stride + k + output_padding
