"""sample_prior returns 0/1 pixels drawn from the Bernoulli probabilities instead of the probabilities themselves."""
EXPECT_FAILED = ["test_sample_prior", "test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior": "0s and 1s", "test_sample_prior_hidden": "0s and 1s"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, latent_dim)).astype(np.float32)
    probs = tf.sigmoid(decoder(z, training=False)).numpy()
    return (rng.random(probs.shape) < probs).astype(np.float32)  # wrong: a coin flip per pixel
