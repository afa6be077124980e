"""overlap_counts one output short per side (the last stamp's last tap dropped)."""
EXPECT_FAILED = ["test_overlap_counts", "test_overlap_counts_hidden"]
EXPECT_MESSAGE = {"test_overlap_counts": "one output short", "test_overlap_counts_hidden": "off by one"}

# %% overlap_counts
def overlap_counts(input_size, kernel_size, stride):
    n_out = (input_size - 1) * stride + max(kernel_size, stride) - 1
    c = np.zeros(n_out + 1, dtype=int)
    for i in range(input_size):
        c[i * stride:i * stride + kernel_size] += 1
    return np.outer(c[:n_out], c[:n_out])
