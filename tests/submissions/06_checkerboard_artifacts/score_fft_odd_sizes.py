"""checkerboard_score read off np.fft.fft2 at index H // 2, W // 2: right for even sizes only (odd sizes have no (-1)**i frequency)."""
EXPECT_FAILED = ["test_checkerboard_score", "test_checkerboard_score_hidden"]
EXPECT_MESSAGE = {"test_checkerboard_score": "of shape (1, 3, 5)"}

# %% checkerboard_score
def checkerboard_score(images):
    x = np.asarray(images, dtype=np.float64).reshape(np.shape(images)[:3])
    h, w = x.shape[1:]
    f = np.fft.fft2(x - x.mean(axis=(1, 2), keepdims=True), axes=(1, 2)) / (h * w)
    e = np.abs(f[:, h // 2, 0]) ** 2 + np.abs(f[:, 0, w // 2]) ** 2 + np.abs(f[:, h // 2, w // 2]) ** 2
    return float(e.mean())
