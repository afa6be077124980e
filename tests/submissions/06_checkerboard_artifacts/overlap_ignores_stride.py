"""overlap_counts places the stamps one pixel apart whatever the stride (the stride-1 pattern)."""
EXPECT_FAILED = ["test_overlap_counts", "test_overlap_counts_hidden"]
EXPECT_MESSAGE = {"test_overlap_counts": "ignore the stride", "test_overlap_counts_hidden": "ignore the stride"}

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n_out = (input_size - 1) * stride + max(kernel_size, stride)
    c = np.zeros(n_out, dtype=int)
    for i in range(input_size):
        c[i:i + kernel_size] += 1
    return np.outer(c, c)
