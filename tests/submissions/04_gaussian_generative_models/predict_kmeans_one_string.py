"""A prediction written as one string instead of (directions, moves_most)."""
EXPECT_FAILED = ["test_kmeans_vs_em", "test_kmeans_vs_em_hidden"]
EXPECT_MESSAGE = {"test_kmeans_vs_em": "pair"}

# %% kmeans_vs_em
def kmeans_vs_em():
    return "higher, higher, higher; hardcover"
