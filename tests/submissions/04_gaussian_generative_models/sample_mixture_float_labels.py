"""sample_mixture whose labels are floats (0.0, 1.0, ...) from an inverse-CDF lookup into a float array: right values, but not integer indices."""
EXPECT_FAILED = ["test_sample_mixture", "test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_sample_mixture": "integer", "test_sample_mixture_hidden": "integer"}

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    mus, sigmas = np.asarray(mus, dtype=float), np.asarray(sigmas, dtype=float)
    labels = np.zeros(n)
    u = rng.random(n)
    for k in range(1, len(mus)):
        labels[u >= np.sum(weights[:k])] = k  # float labels
    idx = labels.astype(int)
    samples = mus[idx] + rng.standard_normal(n) * sigmas[idx]
    return samples, labels
