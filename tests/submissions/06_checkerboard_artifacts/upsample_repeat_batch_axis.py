"""upsample_nearest repeats along axes 0 and 1 (as for one (H, W) image), i.e. the batch axis and the height."""
EXPECT_FAILED = ["test_upsample_nearest", "test_upsample_nearest_hidden"]
EXPECT_MESSAGE = {"test_upsample_nearest": "batch axis", "test_upsample_nearest_hidden": "batch (0)"}

# %% upsample_nearest
def upsample_nearest(x, factor):
    return np.repeat(np.repeat(x, factor, axis=0), factor, axis=1)
