"""sample_prior returns the decoder's logits: it forgets that the Bernoulli decoder's probabilities are sigmoid(logits)."""
EXPECT_FAILED = ["test_sample_prior", "test_sample_prior_hidden"]
EXPECT_MESSAGE = {"test_sample_prior": "logits", "test_sample_prior_hidden": "logits"}

# %% sample_prior
def sample_prior(decoder, n, latent_dim, seed):
    z = np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)
    return decoder(z, training=False).numpy()  # wrong: logits, no sigmoid
