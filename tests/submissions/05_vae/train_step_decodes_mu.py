"""train_step decodes the mean mu instead of a sample z: a deterministic bottleneck, the plain autoencoder plus a KL term."""
EXPECT_FAILED = ["test_train_step", "test_train_step_hidden"]
EXPECT_MESSAGE = {"test_train_step": "do not decode mu", "test_train_step_hidden": "do not decode mu"}

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    x = tf.convert_to_tensor(x, tf.float32)
    variables = encoder.trainable_variables + decoder.trainable_variables
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        logits = decoder(mu, training=True)
        loss = vae_loss(x, logits, mu, log_var, beta)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss
