"""Right formulas with math.log: works for floats, fails for the NumPy arrays the docstring also accepts."""
EXPECT_FAILED = ["test_optimal_q_hidden"]

# %% optimal_q
import math


def optimal_q(curvature, z_star, beta):
    return curvature * z_star / (curvature + beta), math.log(beta) - math.log(curvature + beta)
