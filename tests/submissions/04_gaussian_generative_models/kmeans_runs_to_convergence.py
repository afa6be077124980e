"""k-means that ignores n_iter and runs until no assignment changes."""
EXPECT_FAILED = ["test_kmeans_means", "test_kmeans_means_hidden"]
EXPECT_MESSAGE = {"test_kmeans_means_hidden": "n_iter"}

# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    x = np.asarray(x, dtype=float)
    means = np.array(init_means, dtype=float)
    previous = None
    while True:
        nearest = np.argmin(np.abs(x[:, None] - means), axis=1)
        if previous is not None and np.array_equal(nearest, previous):
            return means
        previous = nearest
        means = np.array([x[nearest == k].mean() if np.any(nearest == k) else means[k] for k in range(len(means))])
