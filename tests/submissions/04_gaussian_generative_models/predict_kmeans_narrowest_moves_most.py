"""The right directions, but the narrowest component (e-book) predicted to move most, in mixed case and spaces: a wrong prediction, recorded, earns the prediction's points (the reasoning is `q_kmeans_boundaries`, graded by hand)."""
EXPECT_FAILED = []

# %% kmeans_vs_em
def kmeans_vs_em():
    return ["Higher", "higher ", "HIGHER"], "e-book"
