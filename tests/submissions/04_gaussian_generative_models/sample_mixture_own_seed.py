"""sample_mixture that ignores `rng` for the components (its own generator seeded with 0): reproducible, but every seed gives the same labels."""
EXPECT_FAILED = ["test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_sample_mixture_hidden": "different seeds"}

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    mus, sigmas = np.asarray(mus, dtype=float), np.asarray(sigmas, dtype=float)
    labels = np.random.default_rng(0).choice(len(mus), size=n, p=weights)
    samples = mus[labels] + rng.standard_normal(n) * sigmas[labels]
    return samples, labels
