"""Gradients across the kernel's boundary (autograder/tape.py), both sides
in this one process: a call taped on one side, its value joined to the
other side's tape, gradients crossing as encoded data."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from autograder import codec, tape


def _square_sum(x, w):
    return tf.reduce_sum(w * x * x)


def test_a_taped_call_gives_the_gradients_a_direct_tape_gives():
    """Do `taped` and `Tapes.gradients` (weighted by upstream, encoded both
    ways) give what GradientTape gives for a watched tensor and a variable,
    and None for a source the value does not depend on?"""
    x, w, unused = tf.constant([1.0, 2.0]), tf.Variable([3.0, 4.0]), tf.constant([5.0])
    tapes = tape.Tapes()
    value, taped = tape.taped(_square_sum, [x], {"w": w}, watch=[x, unused])
    call = tapes.record(taped, value, [x, w, unused])
    assert call == 0 and len(tapes) == 1
    grads = [
        None if g is None else codec.decode(g)
        for g in tapes.gradients(call, [codec.encode(np.float32(2.0))])
    ]
    with tf.GradientTape(persistent=True) as direct:
        direct.watch(x)
        again = _square_sum(x, w)
    np.testing.assert_allclose(grads[0], 2.0 * direct.gradient(again, x).numpy())
    np.testing.assert_allclose(grads[1], 2.0 * direct.gradient(again, w).numpy())
    assert grads[2] is None
    with pytest.raises(KeyError):
        tapes.gradients(1, [])


def test_a_value_computed_elsewhere_joins_the_tape_with_the_other_sides_gradient():
    """The other side tapes the call; this side's `joined` value: does the gradient of this side's
    tape reach the input through the other side's, as if the function had run here?"""
    other = tape.Tapes()
    x = tf.Variable([1.0, -2.0, 0.5])
    reply: dict = {}
    # the input crosses as data before the call, as both sides send it
    sent = codec.encode(x.numpy())

    # the other side: a taped call on its copy of the input, its value sent back as data
    def forward():
        copy = tf.constant(codec.decode(sent))
        value, taped = tape.taped(lambda v: tf.sin(v) * 3.0, [copy], {}, watch=[copy])
        reply["call"] = other.record(taped, value, [copy])
        return codec.decode(codec.encode(value.numpy()))

    def backward(upstream):
        encoded = other.gradients(reply["call"], [codec.encode(u) for u in upstream])
        return [None if g is None else codec.decode(g) for g in encoded]

    with tf.GradientTape() as here:
        total = tf.reduce_sum(tape.joined([x], forward, backward) ** 2)
    expected = 2 * 3.0 * np.sin(x.numpy()) * 3.0 * np.cos(x.numpy())
    np.testing.assert_allclose(here.gradient(total, x).numpy(), expected, rtol=1e-5)


def test_missing_gradients_are_zeros_or_none_and_misfits_are_refused():
    """None from the other side: zeros with `zero_for_none` (the kernel's
    way), no gradient otherwise; and with `refuse`, gradients of the wrong
    shape or number raise that error instead of reaching the tape."""
    x = tf.Variable([1.0, 2.0])
    for zero, expected in ((True, [0.0, 0.0]), (False, None)):
        with tf.GradientTape() as here:
            y = tf.reduce_sum(
                tape.joined(
                    [x],
                    lambda: np.array([5.0, 6.0], np.float32),
                    lambda up: [None],
                    zero_for_none=zero,
                )
            )
        got = here.gradient(y, x)
        assert (got is None) if expected is None else np.allclose(got.numpy(), expected)

    class Refused(Exception):
        pass

    for wrong in ([np.ones(3, np.float32)], [], ["not an array"]):
        with tf.GradientTape() as here:
            y = tf.reduce_sum(
                tape.joined(
                    [x],
                    lambda: np.array([5.0, 6.0], np.float32),
                    lambda up, w=wrong: w,
                    refuse=Refused,
                )
            )
        with pytest.raises(Refused):
            here.gradient(y, x)
