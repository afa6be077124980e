"""checkerboard_score uses NumPy methods on its argument as given (images.mean): fails on a tf.Tensor, which the docstring accepts."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score": "no attribute 'mean'"}

# %% checkerboard_score
def checkerboard_score(images):
    x = images[..., 0] if images.ndim == 4 else images
    x = x - x.mean(axis=(1, 2), keepdims=True)  # a tf.Tensor has no .mean
    h, w = x.shape[1], x.shape[2]
    rows, cols = (-1.0) ** np.arange(h), (-1.0) ** np.arange(w)
    a_rows = np.einsum("bij,i->b", x, rows) / (h * w)
    a_cols = np.einsum("bij,j->b", x, cols) / (h * w)
    a_diag = np.einsum("bij,i,j->b", x, rows, cols) / (h * w)
    return float(np.mean(a_rows ** 2 + a_cols ** 2 + a_diag ** 2))
