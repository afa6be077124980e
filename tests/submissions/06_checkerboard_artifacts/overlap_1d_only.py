"""overlap_counts returns the 1-D counts of one row, not their 2-D outer product."""
EXPECT_FAILED = ["test_overlap_counts", "test_overlap_counts_hidden"]
EXPECT_MESSAGE = {"test_overlap_counts": "outer product", "test_overlap_counts_hidden": "outer product"}

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    counts = np.zeros((input_size - 1) * stride + max(kernel_size, stride), dtype=int)
    for i in range(input_size):
        counts[i * stride:i * stride + kernel_size] += 1
    return counts
