"""Training loop takes gradients for the decoder's variables only: the encoder never learns."""
EXPECT_FAILED = ["test_train_autoencoder", "test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder": "encoder's weights did not change",
                  "test_train_autoencoder_hidden": "encoder's weights did not change"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=128, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    history = []
    for _ in range(epochs):
        losses = []
        for start in range(0, len(images), batch_size):
            batch = images[start:start + batch_size]
            with tf.GradientTape() as tape:
                loss = reconstruction_loss(batch, decoder(encoder(batch)))
            grads = tape.gradient(loss, decoder.trainable_variables)
            optimizer.apply_gradients(zip(grads, decoder.trainable_variables))
            losses.append(float(loss))
        history.append(float(np.mean(losses)))
    return history
