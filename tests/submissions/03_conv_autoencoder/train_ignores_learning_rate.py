"""Training loop ignores learning_rate: Adam() with its default rate."""
EXPECT_FAILED = ["test_train_autoencoder", "test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder": "learning_rate=0.01", "test_train_autoencoder_hidden": "learning_rate=0"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam()
    variables = encoder.trainable_variables + decoder.trainable_variables
    history = []
    for _ in range(epochs):
        losses = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            losses.append(float(loss))
        history.append(float(np.mean(losses)))
    return history
