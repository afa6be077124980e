"""EM that starts its means evenly from min(x) to max(x), dividing by K - 1: a good start for K >= 2, NaN for one component."""
EXPECT_FAILED = ["test_fit_mixture_em_hidden"]
EXPECT_MESSAGE = {"test_fit_mixture_em_hidden": "1 component"}

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    x = np.asarray(x, dtype=float)
    k = n_components
    with np.errstate(invalid="ignore"):
        means = x.min() + (x.max() - x.min()) * np.arange(k) / (k - 1)
    weights, stds = np.full(k, 1.0 / k), np.full(k, x.std() / k)
    for _ in range(n_iter):
        a = np.log(weights) - np.log(stds) - 0.5 * ((x[:, None] - means) / stds) ** 2
        resp = np.exp(a - a.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0)
        weights, means = nk / len(x), resp.T @ x / nk
        stds = np.maximum(np.sqrt((resp * (x[:, None] - means) ** 2).sum(axis=0) / nk), 1e-3 * x.std())
    return weights, means, stds
