"""'k-means' that keeps EM's soft responsibilities with a fixed sigma = 1 and equal weights: not the sigma -> 0 limit."""
EXPECT_FAILED = ["test_kmeans_means", "test_kmeans_means_hidden"]

# %% kmeans_means
def kmeans_means(x, init_means, n_iter):
    x = np.asarray(x, dtype=float)
    means = np.array(init_means, dtype=float)
    for _ in range(n_iter):
        a = -0.5 * (x[:, None] - means) ** 2
        r = np.exp(a - a.max(axis=1, keepdims=True))
        r /= r.sum(axis=1, keepdims=True)
        means = r.T @ x / r.sum(axis=0)
    return means
