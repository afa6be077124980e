"""sample_gaussian that ignores `rng` and draws from its own generator seeded with 0: reproducible, but every seed gives the same samples."""
EXPECT_FAILED = ["test_sample_gaussian_hidden"]
EXPECT_MESSAGE = {"test_sample_gaussian_hidden": "different seeds"}

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    r = np.random.default_rng(0).standard_normal(n)
    return mu + r * sigma
