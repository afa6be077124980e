"""sample_prior draws the codes uniformly from [0, 1) (rng.random) instead of from the prior N(0, I)."""
EXPECT_FAILED = ["test_sample_prior", "test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior": "uniform", "test_sample_prior_hidden": "uniform"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).random((n, latent_dim)).astype(np.float32)  # wrong: uniform, not normal
    return tf.sigmoid(decoder(z, training=False)).numpy()
