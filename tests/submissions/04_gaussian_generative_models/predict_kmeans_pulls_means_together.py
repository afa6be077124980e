"""A prediction that k-means pulls the paperback and hardcover means down towards the e-books (e-book higher, the others lower): all three land higher."""
EXPECT_FAILED = ["test_kmeans_vs_em_hidden"]
EXPECT_MESSAGE = {"test_kmeans_vs_em_hidden": "prediction is 'lower'"}

# %% kmeans_vs_em
def kmeans_vs_em():
    return ("higher", "lower", "lower"), "hardcover"
