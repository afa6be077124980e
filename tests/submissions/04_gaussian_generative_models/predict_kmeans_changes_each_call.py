"""No prediction made: a fresh random guess on every call, well formed each time (so the visible test passes), never one recorded answer."""
EXPECT_FAILED = ["test_kmeans_vs_em_hidden"]
EXPECT_MESSAGE = {"test_kmeans_vs_em_hidden": "different prediction on another call"}

# %% kmeans_vs_em
def kmeans_vs_em():
    import random

    return tuple(random.choice(["higher", "lower"]) for _ in range(3)), random.choice(
        ["e-book", "paperback", "hardcover"]
    )
