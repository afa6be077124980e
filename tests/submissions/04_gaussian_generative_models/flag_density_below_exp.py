"""flag_outliers compares the density with exp(threshold), as the docstring's words read: right for ordinary thresholds, wrong where both underflow to 0."""
EXPECT_FAILED = ["test_flag_outliers"]
EXPECT_MESSAGE = {"test_flag_outliers": "both 0 in float64"}

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    return mixture_pdf(x, weights, mus, sigmas) < np.exp(threshold)
