"""flag_outliers takes np.log of the density itself: -inf wherever the density underflows, so points far less extreme than the threshold are flagged."""
EXPECT_FAILED = ["test_flag_outliers", "test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_flag_outliers": "underflows to 0 in float64, yet", "test_flag_outliers_hidden": "underflows to 0 in float64, but"}

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    with np.errstate(divide="ignore"):
        return np.log(mixture_pdf(x, weights, mus, sigmas)) < threshold
