"""checkerboard_score sums the signed coefficients instead of their squares: negative for an inverted checkerboard."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score": "not its square", "test_checkerboard_score_hidden": "negative"}

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
    return float(np.mean(a_rows + a_cols + a_diag))
