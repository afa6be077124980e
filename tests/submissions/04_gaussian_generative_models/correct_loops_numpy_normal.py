"""Correct but different: rng.normal, Python loops over components, np.logaddexp.reduce, a looped EM, inverse-CDF sampling."""
EXPECT_FAILED = []

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """Density of N(mu, sigma)."""
    import math
    var = sigma * sigma
    return np.array([math.exp(-(xi - mu) ** 2 / (2 * var)) / math.sqrt(2 * math.pi * var) for xi in x])

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    """Samples of N(mu, sigma)."""
    return rng.normal(mu, sigma, n)

# %% mixture_pdf
def mixture_pdf(x, weights, mus, sigmas):
    """Mixture density."""
    total = np.zeros(len(x))
    for w, m, s in zip(weights, mus, sigmas):
        total = total + w * gaussian_pdf(x, m, s)
    return total

# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    """Mixture log-density with np.logaddexp.reduce."""
    terms = []
    for w, m, s in zip(weights, mus, sigmas):
        terms.append(np.log(w) - np.log(s) - 0.5 * np.log(2 * np.pi) - (np.asarray(x) - m) ** 2 / (2 * s**2))
    return np.logaddexp.reduce(np.stack(terms), axis=0)

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    """Inverse CDF on the cumulative weights, then one normal per sample."""
    cdf = np.cumsum(weights)
    labels = np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(weights) - 1)
    samples = np.empty(n)
    for k in range(len(weights)):
        idx = labels == k
        samples[idx] = rng.normal(mus[k], sigmas[k], idx.sum())
    return samples, labels

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    """EM with loops over components, stopping early when the log-likelihood settles."""
    x = np.asarray(x, dtype=float)
    K, N = n_components, len(x)
    w = [1.0 / K] * K
    mu = [float(np.quantile(x, (k + 0.5) / K)) for k in range(K)]
    sd = [float(x.std()) / K] * K
    previous = -np.inf
    for _ in range(n_iter):
        logs = np.stack([np.log(w[k]) - np.log(sd[k]) - 0.5 * np.log(2 * np.pi) - (x - mu[k]) ** 2 / (2 * sd[k] ** 2)
                         for k in range(K)])  # (K, N)
        norm = np.logaddexp.reduce(logs, axis=0)
        resp = np.exp(logs - norm)
        for k in range(K):
            nk = resp[k].sum()
            w[k] = nk / N
            mu[k] = float((resp[k] * x).sum() / nk)
            sd[k] = max(float(np.sqrt((resp[k] * (x - mu[k]) ** 2).sum() / nk)), 1e-3 * float(x.std()))
        ll = norm.mean()
        if abs(ll - previous) < 1e-10:
            break
        previous = ll
    return np.array(w), np.array(mu), np.array(sd)

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    """np.less on the log-density, one point at a time."""
    log_p = mixture_log_pdf(x, weights, mus, sigmas)
    return np.array([np.less(v, threshold) for v in log_p], dtype=bool)
