"""Training loop with the signature's default batch_size=32 instead of 128: right whenever batch_size is passed, more Adam steps than asked when it is left out."""
EXPECT_FAILED = ["test_train_autoencoder_hidden"]
EXPECT_MESSAGE = {"test_train_autoencoder_hidden": "with the default batch_size"}

# %% train_autoencoder
def train_autoencoder(encoder, decoder, images, epochs, batch_size=32, learning_rate=1e-3):
    optimizer = tf.keras.optimizers.Adam(learning_rate)
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
