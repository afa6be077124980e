"""flag_outliers with its own log-density (np.logaddexp.reduce) and `<=`: flags the points whose density equals e**threshold."""
EXPECT_FAILED = ["test_flag_outliers_hidden"]
EXPECT_MESSAGE = {"test_flag_outliers_hidden": "strictly"}

# %% flag_outliers
def flag_outliers(x, weights, mus, sigmas, threshold):
    x = np.asarray(x, dtype=float)[:, None]
    w, m, s = (np.asarray(v, dtype=float) for v in (weights, mus, sigmas))
    a = np.log(w) - np.log(s) - 0.5 * np.log(2 * np.pi) - (x - m) ** 2 / (2 * s**2)
    return np.logaddexp.reduce(a, axis=1) <= threshold
