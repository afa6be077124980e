"""Wrong stride arithmetic: VALID size ceil((n - k) / stride) + 1 (a window that does not fit is kept)."""
EXPECT_FAILED = ["test_conv_output_size", "test_conv_output_size_hidden", "test_conv2d_naive_hidden",
                 "test_conv_matrix_hidden", "test_conv2d_as_matmul_hidden", "test_im2col_hidden", "test_conv2d_im2col_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size": "one window too many", "test_conv_output_size_hidden": "too many"}

# %% conv_output_size
import math


def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(n / stride)
    return math.ceil((n - k) / stride) + 1
