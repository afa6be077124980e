"""sample_prior passes the seed to tf.random.normal as an op seed, which draws new numbers at every call in eager mode."""
EXPECT_FAILED = ["test_sample_prior", "test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior": "tf.random.normal", "test_sample_prior_hidden": "tf.random.normal"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = tf.random.normal((n, latent_dim), seed=seed)  # wrong: an op seed does not repeat from call to call
    return tf.sigmoid(decoder(z, training=False))
