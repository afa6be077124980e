"""k-means that returns its means sorted: right for a sorted start, wrong in the order of an unsorted one."""
EXPECT_FAILED = ["test_kmeans_means_hidden"]
EXPECT_MESSAGE = {"test_kmeans_means_hidden": "sorted"}

# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    x = np.asarray(x, dtype=float)
    means = np.array(init_means, dtype=float)
    for _ in range(n_iter):
        nearest = np.argmin(np.abs(x[:, None] - means), axis=1)
        means = np.array([x[nearest == k].mean() if np.any(nearest == k) else means[k] for k in range(len(means))])
    return np.sort(means)
