"""upsample_nearest that interpolates bilinearly (tf.image.resize's default method)."""
EXPECT_FAILED = ["test_upsample_nearest", "test_upsample_nearest_hidden"]
EXPECT_MESSAGE = {"test_upsample_nearest": "bilinear", "test_upsample_nearest_hidden": "bilinear"}

# %% upsample_nearest
def upsample_nearest(x, factor):
    x = np.asarray(x)
    return tf.image.resize(x, (x.shape[1] * factor, x.shape[2] * factor)).numpy()
