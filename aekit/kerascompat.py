"""What the oldest supported Keras (3.10, Colab's) does differently from
the tested one, made the same.

Keras before 3.11 refuses `Conv2DTranspose(..., output_padding=0)` ("must satisfy `value > 0`"), a
valid argument that notebook 02 uses and tests (keras-team/keras fixed it in 3.11 by validating
`output_padding` with `allow_zero=True`). `allow_zero_output_padding` makes
the older Keras accept it in the same way, and only there: on Keras 3.11 or
later it changes nothing. aekit applies it on import when the installed Keras
is older than 3.11, so a Colab student's notebook behaves as the grader's.
"""

from __future__ import annotations

import functools
import logging

logger = logging.getLogger(__name__)

FIXED_IN = "3.11"  # the first Keras that accepts output_padding=0


def allow_zero_output_padding() -> bool:
    """Let Keras' transpose convolutions accept `output_padding` 0, as
    Keras 3.11 does; True if patched now."""
    from keras.src.layers.convolutional import base_conv_transpose as module

    original = module.standardize_tuple
    if getattr(original, "aekit_allows_zero_output_padding", False):
        return False

    @functools.wraps(original)
    def standardize_tuple(value, n, name, allow_zero=False):
        return original(value, n, name, allow_zero=allow_zero or name == "output_padding")

    standardize_tuple.aekit_allows_zero_output_padding = True
    module.standardize_tuple = standardize_tuple
    logger.info(
        "Keras %s: transpose convolutions accept output_padding=0 as from Keras %s",
        _version(),
        FIXED_IN,
    )
    return True


def _version() -> str:
    import keras

    return keras.__version__
