"""sample_prior draws 2-D codes whatever `latent_dim` says (notebook 05's 2-D VAE): right only for latent_dim = 2."""
EXPECT_FAILED = ["test_sample_prior_hidden"]

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32)  # wrong: latent_dim ignored
    return tf.sigmoid(decoder(z, training=False)).numpy()
