"""checkerboard_score divided by each image's variance: a pure checkerboard scores 1 whatever its amplitude."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score": "variance", "test_checkerboard_score_hidden": "does not grow"}

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
    energy = a_rows ** 2 + a_cols ** 2 + a_diag ** 2
    return float(np.mean(energy / (x.var(axis=(1, 2)) + 1e-12)))
