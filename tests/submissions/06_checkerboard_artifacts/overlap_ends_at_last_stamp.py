"""overlap_counts ends the output where the last stamp ends, (input_size - 1) * stride + kernel_size: right when the kernel is at least the stride, but Keras's VALID output keeps the gap after a shorter last stamp (notebooks 02 and 03), so it is short for kernel_size < stride."""
EXPECT_FAILED = ["test_overlap_counts_hidden"]
EXPECT_MESSAGE = {"test_overlap_counts_hidden": "gap after the last stamp"}

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n_out = (input_size - 1) * stride + kernel_size
    c = np.zeros(n_out, dtype=int)
    for i in range(input_size):
        c[i * stride:i * stride + kernel_size] += 1
    return np.outer(c, c)
