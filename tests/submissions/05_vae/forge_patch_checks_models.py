"""Hostile: an encoder with no convolution, a sample cut from the graph and a train_step that never applies its gradients, behind patched aekit.checks and traceback display (NumPy is left alone: patching it breaks TensorFlow's own gradients)."""
EXPECT_FAILED = ["test_build_vae_encoder", "test_build_vae_encoder_hidden", "test_reparameterize_gradient",
                 "test_train_step", "test_train_step_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% build_vae_encoder
import aekit.checks as _c
_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None


def build_vae_encoder(latent_dim):
    images = tf.keras.Input(shape=(28, 28, 1))
    h = layers.Dense(64, activation="relu")(layers.Flatten()(images))  # wrong: no convolutional trunk
    return tf.keras.Model(images, [layers.Dense(latent_dim)(h), layers.Dense(latent_dim)(h)])

# %% reparameterize
def reparameterize(mu, log_var, eps=None):
    if eps is None:
        eps = tf.random.normal(tf.shape(mu))
    return mu + tf.stop_gradient(tf.exp(0.5 * log_var) * eps)  # wrong: no gradient reaches log_var

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    mu, log_var = encoder(x)
    z = reparameterize(mu, log_var)
    return vae_loss(x, decoder(z), mu, log_var, beta)  # wrong: computes the loss, never takes a step
