"""mixture_pdf as the mean of the components (equal weights), and flag_outliers comparing the density, not the log-density."""
EXPECT_FAILED = ["test_mixture_pdf", "test_mixture_pdf_hidden", "test_flag_outliers", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_mixture_pdf": "mean of the components", "test_mixture_pdf_hidden": "mean of the components",
                  "test_flag_outliers": "never below -8", "test_flag_outliers_hidden": "log scale"}

# %% mixture_pdf
def mixture_pdf(x, weights, mus, sigmas):
    """Every component weighted 1/K."""
    return np.mean([gaussian_pdf(x, m, s) for m, s in zip(mus, sigmas)], axis=0)

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    """Density against a log-density threshold."""
    return mixture_pdf(x, weights, mus, sigmas) < threshold
