"""Always drops a last channel axis (x[..., 0]): right for (B, H, W, 1), wrong for the (B, H, W) batches the docstring also accepts."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float64)[..., 0]  # wrong for (B, H, W): drops the last column axis
    _, h, w = x.shape
    x = x - x.mean(axis=(1, 2), keepdims=True)
    rows, cols = (-1.0) ** np.arange(h), (-1.0) ** np.arange(w)
    a_rows = np.einsum("bij,i->b", x, rows) / (h * w)
    a_cols = np.einsum("bij,j->b", x, cols) / (h * w)
    a_diag = np.einsum("bij,i,j->b", x, rows, cols) / (h * w)
    return float(np.mean(a_rows ** 2 + a_cols ** 2 + a_diag ** 2))
