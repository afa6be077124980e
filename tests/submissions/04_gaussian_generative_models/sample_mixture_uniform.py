"""sample_mixture ignores the weights: every component is chosen with probability 1/K."""
EXPECT_FAILED = ["test_sample_mixture", "test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_sample_mixture": "weights", "test_sample_mixture_hidden": "equally often"}

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    """Uniform choice of component."""
    labels = rng.integers(0, len(weights), size=n)
    samples = np.asarray(mus)[labels] + rng.standard_normal(n) * np.asarray(sigmas)[labels]
    return samples, labels
