"""transpose_output_shapes with the signature's default stride=2 (a decoder's usual stride): right whenever the stride is passed, wrong when it is left out."""
EXPECT_FAILED = ["test_transpose_output_shapes_hidden"]
EXPECT_MESSAGE = {"test_transpose_output_shapes_hidden": "default stride is 1"}

# %% transpose_output_shapes
def transpose_output_shapes(input_size, k, stride=2, padding="VALID"):
    if padding == "SAME":
        return list(range((input_size - 1) * stride + 1, input_size * stride + 1))
    smallest = (input_size - 1) * stride + k
    return list(range(smallest, smallest + stride))
