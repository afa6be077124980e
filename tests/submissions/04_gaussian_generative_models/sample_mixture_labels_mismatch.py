"""sample_mixture returns labels from a second, independent draw: they do not match the samples."""
EXPECT_FAILED = ["test_sample_mixture", "test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_sample_mixture": "drawn from", "test_sample_mixture_hidden": "drawn from"}

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    """Draws the labels twice."""
    chosen = rng.choice(len(weights), size=n, p=weights)
    samples = np.asarray(mus)[chosen] + rng.standard_normal(n) * np.asarray(sigmas)[chosen]
    labels = rng.choice(len(weights), size=n, p=weights)
    return samples, labels
