"""The right directions, but the narrowest component (e-book) predicted to move most."""
EXPECT_FAILED = ["test_kmeans_vs_em_hidden"]
EXPECT_MESSAGE = {"test_kmeans_vs_em_hidden": "moves most"}

# %% kmeans_vs_em
def kmeans_vs_em():
    return ["Higher", "higher ", "HIGHER"], "e-book"
