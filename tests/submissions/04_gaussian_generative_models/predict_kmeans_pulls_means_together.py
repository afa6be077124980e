"""A wrong prediction (k-means pulls the paperback and hardcover means down towards the e-books; all three land higher), recorded in the right form: the prediction earns its points for being recorded, and only the written answer `q_kmeans_boundaries`, graded by hand, weighs the reasoning."""
EXPECT_FAILED = []

# %% kmeans_vs_em
def kmeans_vs_em():
    return ("higher", "lower", "lower"), "hardcover"
