"""Wrong stride arithmetic: VALID size ceil((n - k) / stride) + 1 (a window that does not fit is kept)."""
EXPECT_FAILED = ["test_conv_output_size", "test_conv_output_size_hidden", "test_conv2d_naive_hidden",
                 "test_conv_matrix_hidden", "test_conv2d_as_matmul_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size": "round down"}

# %% conv_output_size
import math


def conv_output_size(n, k, stride=1, padding="VALID"):
    if padding == "SAME":
        return math.ceil(n / stride)
    return math.ceil((n - k) / stride) + 1
