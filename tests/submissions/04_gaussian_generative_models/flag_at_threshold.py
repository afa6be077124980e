"""Outliers at or below the threshold (<=): a point whose log-density equals the threshold is flagged."""
EXPECT_FAILED = ["test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_flag_outliers_hidden": "strictly below"}

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    return mixture_log_pdf(x, weights, mus, sigmas) <= threshold
