"""sample_mixture that counts the components with rng.multinomial and lays the samples out component by component: the right shares and labels, but samples[0] is almost always from component 0."""
EXPECT_FAILED = ["test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_sample_mixture_hidden": "order"}

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    mus, sigmas = np.asarray(mus, dtype=float), np.asarray(sigmas, dtype=float)
    counts = rng.multinomial(n, weights)  # (K,) how many samples each component gets
    labels = np.repeat(np.arange(len(mus)), counts)  # (n,) sorted by component
    samples = mus[labels] + rng.standard_normal(n) * sigmas[labels]
    return samples, labels
