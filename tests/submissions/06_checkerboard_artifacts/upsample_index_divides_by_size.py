"""upsample_nearest with a wrong index map: output row i copies input row i // H (the input's size, not the factor), column j // W; right only when the factor equals the image size."""
EXPECT_FAILED = ["test_upsample_nearest", "test_upsample_nearest_hidden"]

# %% upsample_nearest
def upsample_nearest(x, factor):
    x = np.asarray(x)
    h, w = x.shape[1], x.shape[2]
    rows = np.arange(h * factor) // h
    cols = np.arange(w * factor) // w
    return x[:, rows][:, :, cols]
