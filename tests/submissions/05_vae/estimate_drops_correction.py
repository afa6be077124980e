"""Importance weights without the correction: log w = log p(x | z) alone, as if z had been drawn from the prior."""
EXPECT_FAILED = ["test_estimate_log_likelihood", "test_estimate_log_likelihood_hidden"]
EXPECT_MESSAGE = {"test_estimate_log_likelihood": "drops log p(z) - log q(z|x)"}

# %% estimate_log_likelihood
def estimate_log_likelihood(encoder, decoder, x, n_samples=64):
    x = tf.convert_to_tensor(x, tf.float32)
    mu, log_var = encoder(x, training=False)
    batch, dim = tf.shape(mu)[0], tf.shape(mu)[1]
    eps = tf.random.normal(tf.concat([[n_samples], tf.shape(mu)], 0))
    z = reparameterize(mu[None], log_var[None], eps)
    logits = decoder(tf.reshape(z, [-1, dim]), training=False)
    x_k = tf.reshape(tf.tile(x[None], [n_samples, 1, 1, 1, 1]), tf.shape(logits))
    log_w = -tf.reshape(bernoulli_nll(x_k, logits), [n_samples, batch])
    return tf.reduce_logsumexp(log_w, axis=0) - math.log(n_samples)
