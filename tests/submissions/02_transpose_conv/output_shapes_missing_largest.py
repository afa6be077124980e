"""Off by one: the range stops one size early, so the largest valid output size is missing."""
EXPECT_FAILED = ["test_transpose_output_shapes", "test_transpose_output_shapes_hidden"]
EXPECT_MESSAGE = {"test_transpose_output_shapes": "largest size is missing",
                  "test_transpose_output_shapes_hidden": "largest size is missing"}

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return list(range((input_size - 1) * stride + 1, input_size * stride))
    return list(range((input_size - 1) * stride + k, input_size * stride + k - 1))
