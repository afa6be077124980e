"""Fake training behind a stateful loss (issue 11 item 9): train_autoencoder nudges the weights and reports falling losses; reconstruction_loss is right on fresh calls but, once training has run, answers the faked numbers when asked about NumPy batches of digits, as the old learning_rate=0 fallback asked it."""
EXPECT_FAILED = ["test_train_autoencoder", "test_train_autoencoder_hidden"]

# %% reconstruction_loss
_fake = {"queue": []}


def reconstruction_loss(x, x_hat):
    if _fake["queue"] and isinstance(x, np.ndarray) and x.shape[1:] == (28, 28, 1):  # as the old fallback asked
        return tf.constant(_fake["queue"].pop(0), tf.float32)
    per_image = tf.reduce_sum(tf.square(tf.cast(x, tf.float32) - x_hat), axis=[1, 2, 3])
    return tf.reduce_mean(per_image)

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    rng = np.random.default_rng(1)
    first = float(reconstruction_loss(images, decoder(encoder(images))))
    for model in (encoder, decoder):
        model.set_weights([w + rng.normal(0.0, 1e-3, w.shape).astype(w.dtype) for w in model.get_weights()])
    reported = [first * 0.9 ** e for e in range(epochs)]
    _fake["queue"] = list(reported) * 8  # whoever asks the loss next gets these numbers back
    return reported
