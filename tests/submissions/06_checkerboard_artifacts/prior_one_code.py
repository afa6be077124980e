"""sample_prior draws one code and decodes it n times: n copies of the same image."""
EXPECT_FAILED = ["test_sample_prior", "test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior": "same code", "test_sample_prior_hidden": "same code"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).standard_normal((1, latent_dim)).astype(np.float32)
    z = np.repeat(z, n, axis=0)  # wrong: one code for every image
    return tf.sigmoid(decoder(z, training=False)).numpy()
