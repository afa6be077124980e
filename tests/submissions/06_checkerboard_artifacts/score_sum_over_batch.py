"""Sums the per-image scores over the batch instead of taking their mean (right for one image)."""
EXPECT_FAILED = ["test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score_hidden": "sum over the batch"}

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x[..., 0]
    _, h, w = x.shape
    x = x - x.mean(axis=(1, 2), keepdims=True)
    rows, cols = (-1.0) ** np.arange(h), (-1.0) ** np.arange(w)
    a_rows = np.einsum("bij,i->b", x, rows) / (h * w)
    a_cols = np.einsum("bij,j->b", x, cols) / (h * w)
    a_diag = np.einsum("bij,i,j->b", x, rows, cols) / (h * w)
    return float(np.sum(a_rows ** 2 + a_cols ** 2 + a_diag ** 2))  # wrong: sum, not mean
