"""Hostile: a "transpose" decoder that upsamples with UpSampling2D and a "resize-conv" decoder built on Conv2DTranspose, behind patched aekit.checks and traceback display (NumPy is left alone: patching it breaks TensorFlow's own gradients)."""
EXPECT_FAILED = ["test_build_transpose_conv_decoder", "test_build_transpose_conv_decoder_hidden",
                 "test_build_resize_conv_decoder", "test_build_resize_conv_decoder_hidden"]
EXPECT_MESSAGE = {}  # the messages are what the wrong answers earn: no verdict of the kernel counts

# %% build_transpose_conv_decoder
import aekit.checks as _c
_c.check_array = lambda *a, **k: None
_c.check_equal = lambda *a, **k: None
_c.check_true = lambda *a, **k: None
get_ipython().showtraceback = lambda *a, **k: None


def build_transpose_conv_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.UpSampling2D(2),                        # wrong: resize, not a transpose convolution
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.UpSampling2D(2),
        layers.Conv2D(1, 3, padding="same", activation="sigmoid"),
    ])

# %% build_resize_conv_decoder
def build_resize_conv_decoder(latent_dim):
    return tf.keras.Sequential([
        tf.keras.Input(shape=(latent_dim,)),
        layers.Dense(7 * 7 * 32, activation="relu"),
        layers.Reshape((7, 7, 32)),
        layers.Conv2DTranspose(16, 4, strides=2, padding="same", activation="relu"),  # wrong: transposes
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="sigmoid"),
    ])
