"""k-means that averages the points of every mean, also of a mean no point goes to: NaN (the mean of nothing)."""
EXPECT_FAILED = ["test_kmeans_means_hidden"]
EXPECT_MESSAGE = {"test_kmeans_means_hidden": "stays where it is"}

# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    x = np.asarray(x, dtype=float)
    means = np.array(init_means, dtype=float)
    for _ in range(n_iter):
        nearest = np.argmin(np.abs(x[:, None] - means), axis=1)
        means = np.array([x[nearest == k].mean() for k in range(len(means))])
    return means
