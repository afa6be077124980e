"""conv_output_size defaults to SAME padding (the signature's padding="SAME"): every call that passes all four arguments is right, a call that leaves the padding out is not."""
EXPECT_FAILED = ["test_conv_output_size_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size_hidden": "default padding is VALID"}

# %% conv_output_size
def conv_output_size(n, k, stride=1, padding="SAME"):
    if padding == "SAME":
        return -(-n // stride)
    return (n - k) // stride + 1
