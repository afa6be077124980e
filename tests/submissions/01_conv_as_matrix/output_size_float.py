"""conv_output_size returns a float for SAME (np.ceil(n / stride)): the right number, the wrong type; every later shape built from it breaks."""
EXPECT_FAILED = ["test_conv_output_size", "test_conv_output_size_hidden", "test_conv2d_naive",
                 "test_conv2d_naive_hidden", "test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden", "test_im2col", "test_im2col_hidden", "test_conv2d_im2col",
                 "test_conv2d_im2col_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size": "expected 3"}

# %% conv_output_size
def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return np.ceil(n / stride)
    return (n - k) // stride + 1
