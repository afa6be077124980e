"""Variance for standard deviation twice: samples mu + r * sigma**2, and EM returns the variances."""
EXPECT_FAILED = ["test_sample_gaussian", "test_sample_gaussian_hidden", "test_fit_mixture_em", "test_fit_mixture_em_hidden"]
EXPECT_MESSAGE = {"test_sample_gaussian": "variance", "test_sample_gaussian_hidden": "variance",
                  "test_fit_mixture_em": "variances", "test_fit_mixture_em_hidden": "variances"}

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    """Scales by the variance."""
    r = rng.standard_normal(n)
    return mu + r * sigma**2

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    """Correct EM that keeps and returns variances."""
    x = np.asarray(x, dtype=float)
    k = n_components
    weights = np.full(k, 1.0 / k)
    means = np.quantile(x, (np.arange(k) + 0.5) / k)
    variances = np.full(k, (x.std() / k) ** 2)
    for _ in range(n_iter):
        a = np.log(weights) - 0.5 * np.log(variances) - 0.5 * (x[:, None] - means) ** 2 / variances
        resp = np.exp(a - a.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0)
        weights = nk / len(x)
        means = resp.T @ x / nk
        variances = (resp * (x[:, None] - means) ** 2).sum(axis=0) / nk
    return weights, means, variances
