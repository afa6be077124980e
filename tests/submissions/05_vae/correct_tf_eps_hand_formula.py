"""Correct but different: noise with the dtype of mu, a hand-written stable cross-entropy, KL in the -0.5 * (1 + ...) form, loss as sum / B, encoder heads as Keras layers reused in a loop."""
EXPECT_FAILED = []

# %% build_vae_encoder
def build_vae_encoder(latent_dim):
    """Three stride-2 convolutions (28 -> 14 -> 7 -> 4), no hidden Dense layer"""
    images = tf.keras.Input(shape=(28, 28, 1))
    h = images
    for filters in (8, 16, 32):
        h = layers.Conv2D(filters, 3, strides=2, padding="same", activation="relu")(h)
    h = layers.Flatten()(h)  # (B, 4 * 4 * 32)
    mu, log_var = [layers.Dense(latent_dim)(h) for _ in range(2)]
    return tf.keras.Model(images, [mu, log_var])

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu), dtype=mu.dtype)
    sigma = tf.exp(log_var / 2.0)
    return mu + sigma * eps

# %% bernoulli_nll
def bernoulli_nll(x, logits):
    x = tf.cast(x, logits.dtype)
    per_pixel = tf.maximum(logits, 0.0) - logits * x + tf.math.log1p(tf.exp(-tf.abs(logits)))
    return tf.reduce_sum(tf.reshape(per_pixel, [tf.shape(per_pixel)[0], -1]), axis=1)

# %% kl_divergence
def kl_divergence(mu, log_var):
    return -0.5 * tf.reduce_sum(1.0 + log_var - mu ** 2 - tf.exp(log_var), axis=-1)

# %% vae_loss
def vae_loss(x, logits, mu, log_var, beta=1.0):
    total = tf.reduce_sum(bernoulli_nll(x, logits)) + beta * tf.reduce_sum(kl_divergence(mu, log_var))
    return total / tf.cast(tf.shape(mu)[0], tf.float32)

# %% optimal_q
def optimal_q(curvature, z_star, beta):
    """TensorFlow, float32 tensors; sigma^2 from 1 / sigma^2 = 1 + curvature / beta"""
    a, z, b = (tf.constant(v, tf.float32) for v in (curvature, z_star, beta))
    return a * z / (a + b), -tf.math.log1p(a / b)
