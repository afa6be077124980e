"""train_step trains the decoder alone: the gradients are taken with respect to decoder.trainable_variables only."""
EXPECT_FAILED = ["test_train_step", "test_train_step_hidden"]
EXPECT_MESSAGE = {"test_train_step": "encoder's weights did not change", "test_train_step_hidden": "encoder's weights did not change"}

# %% train_step
def train_step(encoder, decoder, optimizer, x, beta=1.0):
    x = tf.convert_to_tensor(x, tf.float32)
    with tf.GradientTape() as tape:
        mu, log_var = encoder(x, training=True)
        logits = decoder(reparameterize(mu, log_var), training=True)
        loss = vae_loss(x, logits, mu, log_var, beta)
    optimizer.apply_gradients(zip(tape.gradient(loss, decoder.trainable_variables), decoder.trainable_variables))
    return loss
