"""Rescales the draws to mean exactly 0 and standard deviation exactly 1 before using them: the samples are no longer independent."""
EXPECT_FAILED = ["test_sample_gaussian_hidden"]
EXPECT_MESSAGE = {"test_sample_gaussian_hidden": "without rescaling"}

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    r = rng.standard_normal(n)
    if n > 1:
        r = (r - r.mean()) / r.std()  # "exactly standard normal"
    return mu + r * sigma
