"""Outliers by the most probable component alone: max_k of log(w_k N_k) instead of the mixture's log-density."""
EXPECT_FAILED = ["test_flag_outliers_hidden"]

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    x = np.asarray(x, dtype=float)
    a = np.log(weights) - np.log(sigmas) - 0.5 * np.log(2 * np.pi) - 0.5 * ((x[:, None] - mus) / sigmas) ** 2
    return a.max(axis=1) < threshold
