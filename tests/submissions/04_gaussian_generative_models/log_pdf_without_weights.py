"""mixture_log_pdf forgets log(weights[k]) in each term of the log-sum-exp (finite, stable, but the weights are gone)."""
EXPECT_FAILED = ["test_mixture_log_pdf", "test_mixture_log_pdf_hidden", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_mixture_log_pdf_hidden": "weights are missing"}

# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    x = np.asarray(x, dtype=float)[:, None]
    m, s = np.asarray(mus, dtype=float)[None, :], np.asarray(sigmas, dtype=float)[None, :]
    a = -np.log(s) - 0.5 * np.log(2 * np.pi) - 0.5 * ((x - m) / s) ** 2  # (N, K), log(weights) missing
    a_max = a.max(axis=1, keepdims=True)
    return (a_max + np.log(np.exp(a - a_max).sum(axis=1, keepdims=True)))[:, 0]
