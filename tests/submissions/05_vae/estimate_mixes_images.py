"""Tiles the images image-major (x0, x0, ..., x1, ...) but draws the codes sample-major (K, B, D): each image's
log-weights mix in samples drawn for the others. Right for a batch of one image, wrong for a batch of three."""
EXPECT_FAILED = ["test_estimate_log_likelihood", "test_estimate_log_likelihood_hidden"]
EXPECT_MESSAGE = {"test_estimate_log_likelihood": "right for each image alone"}

# %% estimate_log_likelihood
def estimate_log_likelihood(encoder, decoder, x, n_samples=64):
    x = tf.convert_to_tensor(x, tf.float32)
    mu, log_var = encoder(x, training=False)
    batch, dim = tf.shape(mu)[0], tf.shape(mu)[1]
    eps = tf.random.normal(tf.concat([[n_samples], tf.shape(mu)], 0))    # (K, B, D)
    z = reparameterize(mu[None], log_var[None], eps)
    logits = decoder(tf.reshape(z, [-1, dim]), training=False)          # (K * B, ...), sample-major
    x_k = tf.repeat(x, n_samples, axis=0)                                # (B * K, ...), image-major: the slip
    log_px_z = -tf.reshape(bernoulli_nll(x_k, logits), [n_samples, batch])
    log_2pi = math.log(2 * math.pi)
    log_pz = -0.5 * tf.reduce_sum(tf.square(z) + log_2pi, axis=2)
    log_qz = -0.5 * tf.reduce_sum(tf.square(eps) + log_var[None] + log_2pi, axis=2)
    return tf.reduce_logsumexp(log_px_z + log_pz - log_qz, axis=0) - math.log(n_samples)
