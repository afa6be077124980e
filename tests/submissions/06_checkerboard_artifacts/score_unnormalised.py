"""checkerboard_score with amplitudes sum((x - m) * p) not divided by sum(p**2): the derivative of the sum of squares set to 0 without its normalisation, so the score grows with the number of pixels."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score": "number of pixels", "test_checkerboard_score_hidden": "number of pixels"}

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float64)
    if x.ndim == 4:
        x = x[..., 0]
    _, h, w = x.shape
    x = x - x.mean(axis=(1, 2), keepdims=True)
    rows, cols = (-1.0) ** np.arange(h), (-1.0) ** np.arange(w)
    a_rows = np.einsum("bij,i->b", x, rows)
    a_cols = np.einsum("bij,j->b", x, cols)
    a_diag = np.einsum("bij,i,j->b", x, rows, cols)
    return float(np.mean(a_rows ** 2 + a_cols ** 2 + a_diag ** 2))
