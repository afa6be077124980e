"""upsample_nearest calls x.repeat on its argument as given: fine for NumPy arrays, fails for a tf.Tensor or nested lists (the docstring accepts both)."""
EXPECT_FAILED = ["test_upsample_nearest_hidden"]

# %% upsample_nearest
def upsample_nearest(x, factor):
    return x.repeat(factor, axis=1).repeat(factor, axis=2)
