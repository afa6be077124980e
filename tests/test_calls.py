"""The trusted side's handling of what crosses from the kernel (no kernel: this side alone).

A model a student's function returns reaches the trusted process as its
configuration and weights; it is rebuilt there only when it is made of
tf.keras layers, in Keras's safe mode, so no code of the student's runs there.
"""

import json
import types

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")
layers = keras.layers

from aekit.checks import model_problem
from autograder import calls, codec, tape
from autograder.kernel_server import CALLBACK_PREFIX


def _config(model):
    return json.loads(model.to_json())


def _payload(model, weights=None):
    weights = model.get_weights() if weights is None else weights
    return {"config": model.to_json(), "weights": [codec.encode(w) for w in weights]}


def _plain_model():
    images = keras.Input((28, 28, 1))
    h = layers.Conv2D(4, 3, strides=2, padding="same", activation=tf.nn.relu)(images)
    h = layers.Flatten()(h)
    return keras.Model(images, [layers.Dense(2)(h), layers.Dense(2)(h)])


def test_plain_models_pass_and_code_carrying_ones_are_named():
    """Are Sequential and functional models of tf.keras layers accepted,
    and Lambda, custom and subclassed ones refused?"""
    assert model_problem(_config(_plain_model())) is None
    nested = keras.Sequential(
        [
            keras.Input((4,)),
            keras.Sequential([layers.Dense(3)]),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Dense(2, activation="sigmoid"),
        ]
    )
    assert model_problem(_config(nested)) is None

    with_lambda = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda x: x * 2)])
    assert "Lambda" in model_problem(_config(with_lambda))
    with_lambda_activation = keras.Sequential(
        [keras.Input((4,)), layers.Dense(2, activation=lambda x: x * 2)]
    )
    assert "lambda" in model_problem(_config(with_lambda_activation))

    def doubled(x):
        return 2 * x

    with_function = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation=doubled)])
    assert model_problem(_config(with_function)) is not None

    class Custom(layers.Layer):
        def call(self, x):
            return x

    assert "Custom" in model_problem(_config(keras.Sequential([keras.Input((4,)), Custom()])))

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = layers.Dense(2)

        def call(self, x):
            return self.d(x)

    sub = Sub()
    sub(np.ones((1, 3), np.float32))
    assert "Sub" in model_problem(_config(sub))
    assert model_problem({"module": "os", "class_name": "system", "config": {}}) is not None
    assert model_problem([1, 2]) is not None


def test_a_returned_model_is_rebuilt_with_its_weights():
    """Does the trusted side rebuild a plain model exactly: same layers,
    same weights, same outputs?"""
    model = _plain_model()
    rebuilt = calls.TrustedObjects().decode_hook("model", _payload(model), kernel=None)
    assert rebuilt is not model and isinstance(rebuilt, keras.Model)
    assert [type(layer).__name__ for layer in rebuilt.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    x = np.random.default_rng(0).random((2, 28, 28, 1), dtype=np.float32)
    for got, want in zip(rebuilt(x), model(x), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_code_carrying_or_mismatched_models_are_refused():
    """Is a Lambda model sent as plain configuration refused, and are
    weights that do not fit refused?"""
    objects = calls.TrustedObjects()
    with_lambda = keras.Sequential([keras.Input((4,)), layers.Lambda(lambda x: x * 2)])
    with pytest.raises(TypeError, match="can't rebuild"):
        objects.decode_hook("model", _payload(with_lambda), kernel=None)
    model = _plain_model()
    wrong = [np.zeros((1,), np.float32)] + model.get_weights()[1:]
    with pytest.raises(calls.StudentError, match="do not fit"):
        objects.decode_hook("model", _payload(model, wrong), kernel=None)
    with pytest.raises(TypeError):
        objects.decode_hook("mirror", {"token": "o0"}, kernel=None)  # only the grader sends mirrors


def test_models_and_variables_passed_in_are_sent_as_copies():
    """Are the test's models sent as configuration plus weights (once
    configured), and tf.Variables as values?"""
    objects = calls.TrustedObjects()
    model, variables = _plain_model(), []
    first = objects.encode_hook(model, variables)
    second = objects.encode_hook(model, variables)
    assert first["t"] == "mirror" and "config" in first["v"] and "config" not in second["v"]
    assert first["v"]["token"] == second["v"]["token"] and len(first["v"]["weights"]) == len(
        model.get_weights()
    )
    var = tf.Variable([1.0, 2.0])
    encoded = objects.encode_hook(var, variables)
    assert encoded["t"] == "var" and variables == [var]
    np.testing.assert_array_equal(codec.decode(encoded["v"]), [1.0, 2.0])
    assert objects.encode_hook(np.zeros(3), variables) is None


def test_answers_the_kernel_could_forge_are_refused():
    """Are odd random-generator states, archives instead of arrays, and
    weights for models not passed in refused?"""
    import base64
    import io

    good = np.random.default_rng(1)
    assert codec.decode(codec.encode(good)).bit_generator.state == good.bit_generator.state
    state = dict(good.bit_generator.state, bit_generator="RandomState")
    with pytest.raises(TypeError, match="malformed"):
        codec.decode({"t": "rng", "v": state})
    buf = io.BytesIO()
    np.savez(buf, a=np.zeros(2))
    with pytest.raises(TypeError, match="malformed"):
        codec.decode({"t": "nd", "v": base64.b64encode(buf.getvalue()).decode()})

    objects, variables = calls.TrustedObjects(), []
    model = _plain_model()
    objects.encode_hook(model, variables)  # passed in an earlier call
    objects.sent = set()  # a new call, without the model
    with pytest.raises(calls.StudentError):
        objects.update_weights("train", {"o0": [codec.encode(w) for w in model.get_weights()]})
    objects.encode_hook(model, variables)  # passed in this call: its trained weights come back
    zeros = [np.zeros_like(w) for w in model.get_weights()]
    objects.update_weights("train", {"o0": [codec.encode(w) for w in zeros]})
    assert all(not np.any(w) for w in model.get_weights())


def test_a_compiled_model_is_rebuilt_without_its_compile_settings():
    """Does a model the student compiled (loss, optimiser) come back as its
    layers, without compiling here?"""
    model = _plain_model()
    model.compile(optimizer="adam", loss="mse")
    rebuilt = calls.TrustedObjects().decode_hook("model", _payload(model), kernel=None)
    assert isinstance(rebuilt, keras.Model) and len(rebuilt.get_weights()) == len(
        model.get_weights()
    )


def test_swapped_exercises_stay_here_and_are_answered_as_data():
    """When a test swaps an exercise for its own function, is only its name
    sent, and are the kernel's callbacks answered with values and
    gradients, never code, and only while that call runs?"""

    def _ref_a(x):
        return 3.0 * x

    session = calls.Session(kernel=None, names=["a", "b"])
    session.ns = {"a": _ref_a, "b": calls.Proxy(session, "b")}
    assert session.swaps() == {"a": _ref_a}

    class FakeKernel(calls.Kernel):
        def __init__(self):  # no real kernel: only the callback side
            self.swapped, self.callback_tapes, self.replies = {}, tape.Tapes(), []
            # its kernel's client (`kc`) is this fake too
            self.process = types.SimpleNamespace(kc=self)

        def input(self, text):
            self.replies.append(json.loads(text))

    kernel = FakeKernel()
    ask = {"fn": "a", "args": codec.encode([tf.constant([1.0, 2.0])]), "kwargs": codec.encode({})}
    message = {"content": {"prompt": CALLBACK_PREFIX + json.dumps(ask)}}
    kernel._callback(message)
    assert "error" in kernel.replies[-1]  # no call is running: nothing is answered
    kernel.swapped = {"a": _ref_a}
    kernel._callback(message)
    np.testing.assert_allclose(codec.decode(kernel.replies[-1]["value"]), [3.0, 6.0])
    back = {"vjp": kernel.replies[-1]["call"], "upstream": [codec.encode(np.ones(2, np.float32))]}
    kernel._callback({"content": {"prompt": CALLBACK_PREFIX + json.dumps(back)}})
    np.testing.assert_allclose(codec.decode(kernel.replies[-1]["grads"][0]), [3.0, 3.0])
    kernel._callback({"content": {"prompt": CALLBACK_PREFIX + json.dumps(dict(ask, fn="b"))}})
    assert "error" in kernel.replies[-1] and "_ref_a" not in json.dumps(kernel.replies)


def test_a_gradient_of_the_wrong_shape_is_refused():
    """Does a kernel's gradient that does not fit the variable fail instead
    of reaching the test's tape?"""

    class Oracle:
        def vjp(self, call, upstream):
            return [np.ones((5,), np.float32)]

    var = tf.Variable([1.0, 2.0])
    with tf.GradientTape() as tape:
        value = calls._differentiable(Oracle(), tf.constant([3.0, 4.0]), 0, [var])
        total = tf.reduce_sum(value)
    with pytest.raises(calls.StudentError):
        tape.gradient(total, var)


# ---- time: what a hang may cost (autograder.pipeline.Budget,
# calls.Kernel's limits) ---------------------------

VERBOSE_TRACE = (
    "\x1b[31mKeyboardInterrupt\x1b[39m Traceback (most recent call last)\n\x1b[36mCell\x1b[39m "
    "\x1b[32mIn[1]\x1b[39m\x1b[32m, line 2\x1b[39m\n----> 2 fit_mixture_em(x, "
    "3)\n\x1b[36mCell\x1b[39m \x1b[32mIn[1]\x1b[39m\x1b[32m, line 4\x1b[39m, in "
    "\x1b[36mgaussian_pdf\x1b[39m\x1b[34m(*a)\x1b[39m\n----> 4 "
    "time.sleep(0.05)\n\x1b[31mKeyboardInterrupt\x1b[39m: "
)
MINIMAL_TRACE = (
    "Traceback \x1b[36m(most recent call last)\x1b[39m:\n  Cell \x1b[92mIn[1]\x1b[39m\x1b[92m, "
    "line 4\x1b[39m\n    w = fit_mixture_em(prices, 3)\n\x1b[36m  Cell In[1], line "
    "9\x1b[39m\x1b[36m in \x1b[39m\x1b[35mfit_mixture_em\x1b[39m\n    time.sleep(0.05)\n  File "
    "/x/y.py:3 in helper\n\x1b[31mKeyboardInterrupt\x1b[39m\n"
)


def test_the_exercise_a_stopped_call_was_in_is_read_from_either_traceback_style():
    """Is the innermost exercise named in an interrupted cell's traceback
    found, in IPython's verbose and minimal styles (helpers and code lines that
    merely mention an exercise skipped), and nothing when none is in it?"""
    names = {"fit_mixture_em", "gaussian_pdf", "flag_outliers"}
    assert calls.innermost_exercise(VERBOSE_TRACE, names) == "gaussian_pdf"
    assert calls.innermost_exercise(MINIMAL_TRACE, names) == "fit_mixture_em"
    assert calls.innermost_exercise(MINIMAL_TRACE, {"flag_outliers"}) is None
    assert calls.innermost_exercise("", names) is None


def test_a_function_that_timed_out_gets_only_a_grace_on_later_calls():
    """Does an exercise marked as having run past its limit get GRACE_SECONDS per call, and every
    other one the full (shared) call limit?"""
    kernel = calls.Kernel.__new__(calls.Kernel)  # no kernel started: only the bookkeeping of limits
    kernel.call_cap, kernel.hung = 20.0, set()
    kernel.mark_hung(None, "fit_mixture_em")
    assert kernel.hung == {"fit_mixture_em"}
    assert kernel.call_limit("fit_mixture_em") == calls.GRACE_SECONDS
    assert kernel.call_limit("flag_outliers") == 20.0 and kernel.call_limit(None) == 20.0


def test_cells_get_half_the_time_and_the_tests_always_get_their_turn():
    """Does the budget give one cell at most a sixth of the limit, a cell naming a hung exercise a
    grace, the cells past their half of the limit a grace each for a short overrun (none to one
    naming a hung exercise) and then nothing, and the tests until the end?"""
    import time

    from autograder.pipeline import Budget, names_in

    now = time.monotonic()
    fresh = Budget(now, 120.0, 90.0)
    assert (
        fresh.one == 20.0
        and fresh.end == pytest.approx(now + 120.0)
        and fresh.cells_end == pytest.approx(now + 60)
    )
    assert fresh.cell_seconds(False) == 20.0 and fresh.cell_seconds(True) == calls.GRACE_SECONDS
    assert Budget(now, 300.0, 30.0).one == 30.0  # the call limit when it is the smaller
    late = Budget(now - 55.0, 120.0, 90.0)  # 5 s of the cells' 60 left
    assert late.cell_seconds(False) == pytest.approx(5.0, abs=0.5)
    # overrun: a grace each
    assert Budget(now - 62.0, 120.0, 90.0).cell_seconds(False) == calls.GRACE_SECONDS
    # ... but no more cells calling a hung one
    assert Budget(now - 62.0, 120.0, 90.0).cell_seconds(True) is None
    assert Budget(now - 73.0, 120.0, 90.0).cell_seconds(False) is None  # past the overrun: not run
    assert names_in("w, mu, sd = fit_mixture_em(prices, 3)\nnp.sort(mu)") >= {
        "fit_mixture_em",
        "np",
        "sort",
    }
    assert names_in("def (:") == set()


def test_a_run_that_dies_keeps_the_verdicts_already_written():
    """Is the provisional result (written after each test) the verdicts so far with their points,
    the rest not run, status crashed and the test it stopped in named?"""
    from autograder.cells import TestCell
    from autograder.pipeline import provisional
    from autograder.results import NotebookResult, TestResult

    tests = [
        TestCell("test_a", 1.0, False, ""),
        TestCell("test_a_hidden", 2.0, True, ""),
        TestCell("test_b", 1.0, False, ""),
    ]
    done = [
        TestResult("test_a", 1.0, 1.0, "", False),
        TestResult("test_a_hidden", 0.0, 2.0, "AssertionError: x", True),
    ]
    result = NotebookResult.from_json(
        json.loads(json.dumps(provisional("nb", tests, done, 3.0).to_json()))
    )
    assert (result.status, result.score, result.max_score) == ("crashed", 1.0, 4.0)
    assert [t.test_id for t in result.tests] == ["test_a", "test_a_hidden", "test_b"]
    assert result.tests[1].message == "AssertionError: x" and "stopped" in result.tests[2].message
    assert "during test_b" in result.detail


def test_a_model_kept_in_the_kernel_is_described_by_every_layer_inside_it_through_public_keras():
    """A subclassed model holding a custom layer (itself holding a layer and a list
    of layers), a nested Sequential and one layer referred to twice: does
    `kernel_server.sublayers` (what describes a model that stays in the kernel to
    the trusted side) find each layer inside once, without Keras's private walk?"""
    import keras

    from autograder.kernel_server import sublayers

    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = keras.layers.Dense(3)
            self.rest = [keras.layers.Dense(2), keras.layers.ReLU()]

        def call(self, x):
            return self.rest[1](self.rest[0](self.first(x)))

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.block = Block()
            self.inner = keras.Sequential([keras.layers.Dense(4)])
            self.head = keras.layers.Dense(1)
            self.again = self.head

        def call(self, x):
            return self.again(self.inner(self.block(x)))

    net = Net()
    net(keras.ops.zeros((1, 4)))
    kinds = [type(layer).__name__ for layer in sublayers(net)]
    assert sorted(kinds) == sorted(
        ["Block", "Dense", "Dense", "ReLU", "Sequential", "Dense", "Dense"]
    ), kinds
    assert kinds.index("Block") < kinds.index("ReLU") and len(
        {id(x) for x in sublayers(net)}
    ) == len(kinds)


def test_a_stopped_cell_that_left_processes_running_restarts_the_kernel():
    """After an interrupt the kernel answers: is it kept when the stopped code left nothing
    running, and restarted (which ends every process of the student's) when it left processes
    behind? A fork bomb's children would otherwise hold the process limit, and the kernel would
    abort at its next thread (the v1 fork-bomb attack crashed one notebook in six so)."""

    class FakeProcess:
        def __init__(self, left):
            self.left, self.interrupts = left, 0

        def interrupt(self):
            self.interrupts += 1

        def left_running(self):
            return self.left

    class FakeKernel(calls.Kernel):
        def __init__(self, left):  # no real kernel: an interrupt that is answered at once
            self.process, self.restarts, self._last_msg_id = FakeProcess(left), 0, "m"

        def _run(self, *args, **kwargs):
            return {}

        def left(self):
            return 60.0

        def restart(self):
            self.restarts += 1

    for left, restarts in ((False, 0), (True, 1)):
        kernel = FakeKernel(left)
        kernel._interrupt()
        assert (kernel.process.interrupts, kernel.restarts) == (1, restarts), left
