"""conv_output_size divides without rounding for SAME (n / stride): 5 / 2 = 2.5, a float that is not a whole number; the message must say it is a float, not "one window too few" (int(2.5) is 2)."""
EXPECT_FAILED = ["test_conv_output_size", "test_conv_output_size_hidden", "test_conv2d_naive",
                 "test_conv2d_naive_hidden", "test_conv_matrix", "test_conv_matrix_hidden", "test_conv2d_as_matmul",
                 "test_conv2d_as_matmul_hidden", "test_im2col", "test_im2col_hidden", "test_conv2d_im2col",
                 "test_conv2d_im2col_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size": "a float where an int is expected",
                  "test_conv_output_size_hidden": "a float where an int is expected"}

# %% conv_output_size
def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return n / stride
    return (n - k) // stride + 1
