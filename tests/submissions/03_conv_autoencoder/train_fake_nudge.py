"""Fake training (issue 11 item 9): no gradient step at all; the weights get a small random nudge and the reported losses are the real first loss falling by 10 % per epoch."""
EXPECT_FAILED = ["test_train_autoencoder", "test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder": "real loss"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    rng = np.random.default_rng(0)
    first = float(reconstruction_loss(images, decoder(encoder(images))))
    for model in (encoder, decoder):
        model.set_weights([w + rng.normal(0.0, 1e-3, w.shape).astype(w.dtype) for w in model.get_weights()])
    return [first * 0.9 ** e for e in range(epochs)]
