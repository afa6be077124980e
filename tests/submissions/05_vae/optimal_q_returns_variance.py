"""Returns the variance sigma^2 where its natural log belongs."""
EXPECT_FAILED = ["test_optimal_q", "test_optimal_q_hidden"]
EXPECT_MESSAGE = {"test_optimal_q": "looks like the variance itself", "test_optimal_q_hidden": "variance itself"}

# %% optimal_q
def optimal_q(curvature, z_star, beta):
    a, z, b = (np.asarray(v, dtype=np.float64) for v in (curvature, z_star, beta))
    return a * z / (a + b), b / (a + b)
