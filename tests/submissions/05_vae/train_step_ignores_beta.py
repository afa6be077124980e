"""train_step accepts beta but calls vae_loss without it: always the beta = 1 loss."""
EXPECT_FAILED = ["test_train_step", "test_train_step_hidden"]
EXPECT_MESSAGE = {"test_train_step": "pass beta on", "test_train_step_hidden": "pass beta on"}

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    x = tf.convert_to_tensor(x, tf.float32)
    variables = encoder.trainable_variables + decoder.trainable_variables
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        logits = decoder(reparameterize(mu, log_var), training=True)
        loss = vae_loss(x, logits, mu, log_var)
    optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
    return loss
