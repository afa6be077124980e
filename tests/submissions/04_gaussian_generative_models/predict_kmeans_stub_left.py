"""No prediction recorded: the release's stub left in place loses every point of the prediction."""
EXPECT_FAILED = ["test_kmeans_vs_em", "test_kmeans_vs_em_hidden"]

# %% kmeans_vs_em
def kmeans_vs_em():
    """Your prediction for the book prices: k-means' converged means against EM's."""
    # YOUR CODE HERE
    raise NotImplementedError()
