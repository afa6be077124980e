"""EM computes responsibilities and new parameters in every iteration but never keeps them."""
EXPECT_FAILED = ["test_fit_mixture_em", "test_fit_mixture_em_hidden"]
EXPECT_MESSAGE = {"test_fit_mixture_em": "update the parameters", "test_fit_mixture_em_hidden": "update the parameters"}

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    """The M-step's results go to new names that are then thrown away."""
    x = np.asarray(x, dtype=float)
    k = n_components
    weights = np.full(k, 1.0 / k)
    means = np.quantile(x, (np.arange(k) + 0.5) / k)
    stds = np.full(k, x.std() / k)
    for _ in range(n_iter):
        a = np.log(weights) - np.log(stds) - 0.5 * ((x[:, None] - means) / stds) ** 2
        resp = np.exp(a - a.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0)
        new_weights = nk / len(x)
        new_means = resp.T @ x / nk
        new_stds = np.sqrt((resp * (x[:, None] - new_means) ** 2).sum(axis=0) / nk)
    return weights, means, stds
