"""sample_gaussian draws from NumPy's global generator (np.random.standard_normal) instead of the `rng` passed in: right distribution, not reproducible."""
EXPECT_FAILED = ["test_sample_gaussian", "test_sample_gaussian_hidden"]
EXPECT_MESSAGE = {"test_sample_gaussian": "same seed", "test_sample_gaussian_hidden": "same seed"}

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    return mu + np.random.standard_normal(n) * sigma
