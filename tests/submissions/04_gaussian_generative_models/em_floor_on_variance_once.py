"""EM that applies the floor only once, to the returned standard deviations, after the loop: the iterations themselves collapse (NaN on repeated values)."""
EXPECT_FAILED = ["test_fit_mixture_em"]
EXPECT_MESSAGE = {"test_fit_mixture_em": "NaN"}

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    x = np.asarray(x, dtype=float)
    k = n_components
    weights, means, stds = np.full(k, 1.0 / k), np.quantile(x, (np.arange(k) + 0.5) / k), np.full(k, x.std() / k)
    for _ in range(n_iter):
        resp = weights * np.exp(-0.5 * ((x[:, None] - means) / stds) ** 2) / stds  # densities, not logs
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0)
        weights, means = nk / len(x), resp.T @ x / nk
        stds = np.sqrt((resp * (x[:, None] - means) ** 2).sum(axis=0) / nk)
    return weights, means, np.maximum(stds, 1e-3 * x.std())
