"""sample_prior draws one number per image and broadcasts it over the code: all latent dimensions equal."""
EXPECT_FAILED = ["test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior_hidden": "correlated"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    eps = np.random.default_rng(seed).standard_normal((n, 1))  # wrong: (n, 1), not (n, latent_dim)
    z = (eps * np.ones((1, latent_dim))).astype(np.float32)
    return tf.sigmoid(decoder(z, training=False)).numpy()
