"""mixture_pdf as a plain sum of the components (no weights), and flag_outliers with the comparison reversed."""
EXPECT_FAILED = ["test_mixture_pdf", "test_mixture_pdf_hidden", "test_flag_outliers", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_mixture_pdf": "plain sum", "test_mixture_pdf_hidden": "plain sum",
                  "test_flag_outliers": "reversed", "test_flag_outliers_hidden": "reversed"}

# %% mixture_pdf
def mixture_pdf(x, weights, mus, sigmas):
    """Forgets the weights."""
    return sum(gaussian_pdf(x, m, s) for m, s in zip(mus, sigmas))

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    """Flags the typical points instead."""
    return mixture_log_pdf(x, weights, mus, sigmas) > threshold
