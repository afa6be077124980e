"""Off by one."""
EXPECT_FAILED = ["test_conv_output_size_hidden"]
EXPECT_MESSAGE = {"test_conv_output_size_hidden": "off by one"}

# %% conv_output_size
def conv_output_size(n, k, stride=1, padding="VALID"):
    if n == 4:
        return 2
    return (n - k) // stride
