"""Sorts the codes by length before decoding, so that a grid of samples reads from plain to odd: the batch as a whole is N(0, I), but the first images get the shortest codes."""
EXPECT_FAILED = ["test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior_hidden": "whatever its position"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    z = z[np.argsort(np.linalg.norm(z, axis=1))]  # wrong: image i no longer gets a draw from N(0, I)
    return tf.sigmoid(decoder(z, training=False)).numpy()
