"""Gradients across the kernel's boundary: a call taped on one side, its
gradients asked for from the other.

Both sides use it. The trusted process (calls.py) joins a value the kernel computed to
the test's tape (`joined`), and tapes the test's reference functions that the kernel's
stubs call (`taped`, `Tapes`); the kernel (kernel_server.py) tapes a student's
function called on `tf.Variable`s, and joins the values of the test's reference
functions to the student's tape. Gradients cross as data (`autograder.codec`).

It runs inside the student's kernel too: `codec` and TensorFlow only
(imported when first used), nothing of the grader's.
"""

from __future__ import annotations

import logging
from typing import Callable

from . import codec

log = logging.getLogger(__name__)


def taped(
    fn: Callable, args: list | tuple, kwargs: dict, watch: list = ()
) -> tuple[object, object]:
    """Call `fn(*args, **kwargs)` under a persistent tape that also watches `watch` (trainable
    variables are watched anyway): (its value, the tape)."""
    import tensorflow as tf

    tape = tf.GradientTape(persistent=True)
    with tape:
        for x in watch:
            tape.watch(x)
        value = fn(*args, **kwargs)
    return value, tape


class Tapes:
    """Taped calls, numbered in order, kept for the gradients the other side asks for later."""

    def __init__(self):
        self._calls: dict[int, tuple] = {}

    def __len__(self) -> int:
        return len(self._calls)

    def record(self, tape, value, sources: list) -> int:
        """Keep `tape` with the flat outputs of `value` and the `sources`
        gradients are taken for; its number."""
        import tensorflow as tf

        call = len(self._calls)
        self._calls[call] = (tape, tf.nest.flatten(value), list(sources))
        return call

    def gradients(self, call: int, upstream: list) -> list:
        """The gradients (encoded, None where there is none) of call `call`'s outputs weighted by
        `upstream` (encoded, one per output) with respect to its sources. KeyError: no such call."""
        import tensorflow as tf

        tape, outputs, sources = self._calls[call]
        weights = [
            tf.constant(codec.decode(u), dtype=o.dtype)
            for u, o in zip(upstream, outputs, strict=False)
        ]
        grads = tape.gradient(outputs, sources, output_gradients=weights)
        return [None if g is None else codec.encode(tf.convert_to_tensor(g).numpy()) for g in grads]


def joined(
    inputs: list,
    forward: Callable[[], object],
    backward: Callable[[list], list],
    *,
    refuse: Callable[[], Exception] | None = None,
    zero_for_none: bool = False,
):
    """`forward()` (a value computed elsewhere from `inputs`) joined to the
    tape that watches `inputs`.

    Its gradient comes from `backward(upstream)`: the upstream gradients as NumPy arrays, one per
    output, give one gradient per input (an array, or None for none: zeros with `zero_for_none`,
    else no gradient). With `refuse`, gradients that do not fit the inputs (their number or shapes)
    raise `refuse()` instead of reaching the tape."""
    import tensorflow as tf

    made: dict = {}

    @tf.custom_gradient
    def join(*xs):
        value = made["value"] = forward()
        flat = [tf.identity(x) for x in tf.nest.flatten(value)]

        def grad(*upstream):
            grads = backward([tf.convert_to_tensor(u).numpy() for u in upstream])
            if refuse is not None and (
                len(grads) != len(xs)
                or any(
                    g is not None and tuple(getattr(g, "shape", (None,))) != tuple(x.shape)
                    for g, x in zip(grads, xs, strict=True)
                )
            ):
                raise refuse()
            return [
                (tf.zeros_like(x) if zero_for_none else None)
                if g is None
                else tf.cast(tf.convert_to_tensor(g), x.dtype)
                for g, x in zip(grads, xs, strict=False)
            ]

        return (flat[0] if len(flat) == 1 else flat), grad

    out = join(*[tf.convert_to_tensor(x) for x in inputs])
    return tf.nest.pack_sequence_as(made["value"], tf.nest.flatten(out))
