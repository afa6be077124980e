"""Decodes in batches of 64, making the generator from `seed` again for each batch: every batch repeats the first one's codes."""
EXPECT_FAILED = ["test_sample_prior_hidden"]

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    batches = []
    for start in range(0, n, 64):
        size = min(64, n - start)
        z = np.random.default_rng(seed).standard_normal((size, latent_dim)).astype(np.float32)  # same codes each batch
        batches.append(tf.sigmoid(decoder(z, training=False)).numpy())
    return np.concatenate(batches)
