"""Log-sum-exp written literally, log(sum(exp(a))), without subtracting the max; and sample_mixture returning labels from a second, independent draw."""
EXPECT_FAILED = ["test_mixture_log_pdf", "test_mixture_log_pdf_hidden", "test_flag_outliers", "test_flag_outliers_hidden", "test_sample_mixture", "test_sample_mixture_hidden"]
EXPECT_MESSAGE = {"test_mixture_log_pdf": "underflow", "test_mixture_log_pdf_hidden": "max",
                  "test_sample_mixture": "drawn from", "test_sample_mixture_hidden": "drawn from"}

# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    """Log-terms right, but exponentiated without the shift."""
    x = np.asarray(x, dtype=float)[:, None]
    a = np.log(weights) - np.log(sigmas) - 0.5 * np.log(2 * np.pi) - 0.5 * ((x - mus) / sigmas) ** 2
    return np.log(np.sum(np.exp(a), axis=1))

# %% sample_mixture
def sample_mixture(weights, mus, sigmas, n, rng):
    """Draws the labels twice."""
    chosen = rng.choice(len(weights), size=n, p=weights)
    samples = np.asarray(mus)[chosen] + rng.standard_normal(n) * np.asarray(sigmas)[chosen]
    labels = rng.choice(len(weights), size=n, p=weights)
    return samples, labels
