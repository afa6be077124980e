"""k-means with a loop that keeps the last of equally near means (`<=`): a point exactly between two means goes to the higher index."""
EXPECT_FAILED = ["test_kmeans_means_hidden"]
EXPECT_MESSAGE = {"test_kmeans_means_hidden": "lower index"}

# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    x = np.asarray(x, dtype=float)
    means = np.array(init_means, dtype=float)
    for _ in range(n_iter):
        nearest = np.zeros(len(x), dtype=int)
        for i, xi in enumerate(x):
            best = np.inf
            for k, m in enumerate(means):
                if abs(xi - m) <= best:
                    best, nearest[i] = abs(xi - m), k
        for k in range(len(means)):
            if np.any(nearest == k):
                means[k] = x[nearest == k].mean()
    return means
