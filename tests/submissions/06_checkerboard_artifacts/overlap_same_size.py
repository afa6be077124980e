"""overlap_counts with the output size of a SAME transpose convolution, input_size * stride."""
EXPECT_FAILED = ["test_overlap_counts", "test_overlap_counts_hidden"]
EXPECT_MESSAGE = {"test_overlap_counts": "SAME", "test_overlap_counts_hidden": "SAME"}

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n_out = input_size * stride
    c = np.zeros(n_out + kernel_size, dtype=int)
    for i in range(input_size):
        c[i * stride:i * stride + kernel_size] += 1
    c = c[:n_out]
    return np.outer(c, c)
