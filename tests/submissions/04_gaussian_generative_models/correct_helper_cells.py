"""Correct, with the student's own helpers: `import math`, a `log_components` and a `nearest_index` helper live in the gaussian_pdf cell; mixture_log_pdf, fit_mixture_em, kmeans_means and flag_outliers use them; sample_gaussian maps the draws with b = -sigma, x = mu - sigma * r (N(0, 1) is symmetric, so this is N(mu, sigma) too)."""
EXPECT_FAILED = []

# %% gaussian_pdf
import math


def log_components(x, weights, mus, sigmas):
    """(N, K) array of log w_k + log N(x_i | mu_k, sigma_k)."""
    x = np.asarray(x, dtype=float).reshape(-1, 1)
    w, m, s = (np.asarray(v, dtype=float).reshape(1, -1) for v in (weights, mus, sigmas))
    return np.log(w) - np.log(s) - 0.5 * math.log(2 * math.pi) - (x - m) ** 2 / (2 * s * s)


def nearest_index(x, means):
    """(N,) index of the closest mean to each point; the first one on a tie."""
    return np.argmin(np.abs(np.asarray(x, dtype=float).reshape(-1, 1) - np.asarray(means).reshape(1, -1)), axis=1)


def gaussian_pdf(x, mu, sigma):
    z = (np.asarray(x, dtype=float) - mu) / sigma
    return np.exp(-0.5 * z * z) / (math.sqrt(2 * math.pi) * sigma)


# %% sample_gaussian
def sample_gaussian(mu, sigma, n, rng):
    r = rng.standard_normal(n)
    return mu - sigma * r  # the mirror image of every draw: as Gaussian as r itself


# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    a = log_components(x, weights, mus, sigmas)
    top = a.max(axis=1)
    return top + np.log(np.exp(a - top[:, None]).sum(axis=1))


# %% fit_mixture_em
def fit_mixture_em(x, n_components, n_iter=100, rng=None):
    x = np.asarray(x, dtype=float)
    k = n_components
    w, m, s = np.ones(k) / k, np.quantile(x, (np.arange(k) + 0.5) / k), np.ones(k) * x.std() / k
    for _ in range(n_iter):
        a = log_components(x, w, m, s)
        g = np.exp(a - mixture_log_pdf(x, w, m, s)[:, None])  # (N, K) responsibilities
        nk = g.sum(axis=0)
        w, m = nk / len(x), (g * x[:, None]).sum(axis=0) / nk
        s = np.array([max(math.sqrt((g[:, j] * (x - m[j]) ** 2).sum() / nk[j]), 1e-3 * x.std()) for j in range(k)])
    return w, m, s


# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    means = [float(m) for m in init_means]
    for _ in range(n_iter):
        which = nearest_index(x, means)
        means = [float(np.mean(np.asarray(x)[which == k])) if np.any(which == k) else m for k, m in enumerate(means)]
    return np.array(means)


# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    return np.array([lp < threshold for lp in mixture_log_pdf(x, weights, mus, sigmas)])
