"""Derives the map the wrong way round: standardises the draws, (r - mu) / sigma, so N(mu, sigma) would go to N(0, 1)."""
EXPECT_FAILED = ["test_sample_gaussian", "test_sample_gaussian_hidden"]
EXPECT_MESSAGE = {"test_sample_gaussian": "wrong way", "test_sample_gaussian_hidden": "wrong way"}

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    r = rng.standard_normal(n)
    return (r - mu) / sigma
