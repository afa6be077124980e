"""upsample_nearest with np.tile: the whole image repeated (1 2 1 2), not each pixel (1 1 2 2)."""
EXPECT_FAILED = ["test_upsample_nearest", "test_upsample_nearest_hidden"]
EXPECT_MESSAGE = {"test_upsample_nearest": "np.tile", "test_upsample_nearest_hidden": "interleaved"}

# %% upsample_nearest
def upsample_nearest(x, factor):
    return np.tile(x, (1, factor, factor, 1))
