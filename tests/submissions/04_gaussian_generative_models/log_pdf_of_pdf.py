"""mixture_log_pdf as np.log(mixture_pdf(...)): -inf far in the tails."""
EXPECT_FAILED = ["test_mixture_log_pdf", "test_mixture_log_pdf_hidden", "test_flag_outliers", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_mixture_log_pdf": "underflow", "test_mixture_log_pdf_hidden": "log-sum-exp"}

# %% mixture_log_pdf
def mixture_log_pdf(x, weights, mus, sigmas):
    """The log of the density."""
    return np.log(mixture_pdf(x, weights, mus, sigmas))
