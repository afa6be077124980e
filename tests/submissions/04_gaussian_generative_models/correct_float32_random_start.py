"""Correct but different: float32 arithmetic, a random farthest-point EM start from a fresh generator (rng=None), list outputs."""
EXPECT_FAILED = []

# %% gaussian_pdf
def gaussian_pdf(x, mu, sigma):
    """Density of N(mu, sigma) in float32."""
    x = np.asarray(x, dtype=np.float32)
    z = (x - np.float32(mu)) / np.float32(sigma)
    return np.exp(-z * z / 2) / (np.float32(sigma) * np.sqrt(np.float32(2 * np.pi)))

# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    """One standard normal at a time."""
    return np.array([mu + sigma * rng.standard_normal() for _ in range(n)])

# %% mixture_pdf
def mixture_pdf(x, weights, mus, sigmas):
    """Weighted sum via einsum."""
    x = np.asarray(x, dtype=np.float32)[:, None]
    comps = np.exp(-0.5 * ((x - mus) / sigmas) ** 2) / (np.sqrt(2 * np.pi) * np.asarray(sigmas))
    return np.einsum("nk,k->n", comps, np.asarray(weights))

# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    """Log-sum-exp in float32."""
    x = np.asarray(x, dtype=np.float32)[:, None]
    a = (np.log(np.asarray(weights, np.float32)) - np.log(np.asarray(sigmas, np.float32)) - np.float32(0.9189385)
         - 0.5 * ((x - np.asarray(mus, np.float32)) / np.asarray(sigmas, np.float32)) ** 2)
    m = a.max(axis=1)
    return m + np.log(np.sum(np.exp(a - m[:, None]), axis=1))

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    """rng.choice for the labels, rng.normal with per-sample arrays."""
    labels = rng.choice(np.arange(len(weights)), size=n, p=np.asarray(weights) / np.sum(weights))
    samples = rng.normal(np.asarray(mus)[labels], np.asarray(sigmas)[labels])
    return [samples, labels]

# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    """EM in float32 from a random start: one random data point, then the farthest points (a fresh generator when rng is None)."""
    rng = np.random.default_rng() if rng is None else rng
    x = np.asarray(x, dtype=np.float32)
    k = n_components
    means = [x[rng.integers(len(x))]]
    for _ in range(k - 1):  # the point farthest from the means chosen so far
        means.append(x[np.argmax(np.min(np.abs(x[:, None] - np.array(means)), axis=1))])
    means = np.array(means, dtype=np.float32)
    weights = np.full(k, 1.0 / k, dtype=np.float32)
    stds = np.full(k, x.std(), dtype=np.float32)
    for _ in range(n_iter):
        a = np.log(weights) - np.log(stds) - 0.5 * ((x[:, None] - means) / stds) ** 2
        resp = np.exp(a - a.max(axis=1, keepdims=True))
        resp /= resp.sum(axis=1, keepdims=True)
        nk = resp.sum(axis=0) + 1e-12
        weights = nk / nk.sum()
        means = (resp * x[:, None]).sum(axis=0) / nk
        stds = np.maximum(np.sqrt((resp * (x[:, None] - means) ** 2).sum(axis=0) / nk), np.float32(1e-3) * x.std())
    return [weights, means, stds]

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    """A list comprehension of Python bools turned into an array."""
    lp = mixture_log_pdf(x, weights, mus, sigmas)
    return np.array([bool(v < threshold) for v in lp])
