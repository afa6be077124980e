"""The student's kernel side of grading: answer the trusted process's calls with plain data.

This module runs inside the sandboxed kernel that holds the student's code, so
nothing here is trusted: the trusted process (`autograder.calls`) checks every
answer. The kernel is told `__aekit__ = Server(globals())` once the student's
cells have run. Each call is the cell `__aekit_r__ = __aekit__.call()` (its
answer read back through `user_expressions`); the request itself, JSON, comes
through the kernel's stdin channel (`_request`), since IPython would
transform, tokenise and hash it in Python as part of a cell's code: tens of
milliseconds for a request that carries a model's weights.

Exercises a test replaces by its own reference functions are replaced here by
stubs that ask the trusted process for each value (and gradient) through the
kernel's stdin channel: the reference code itself never enters this process.
"""

from __future__ import annotations

import json
import logging

from . import codec, tape

log = logging.getLogger(__name__)

CALLBACK_PREFIX = "\x00aekit-callback:"
REQUEST_PROMPT = "\x00aekit-request"
ERROR_CHARS = 2000  # of an error's text in a reply
# what an error reply says failed (its "kind"): the student's code raised,
# raised NotImplementedError (an exercise not done yet), or answered with
# something that cannot cross (a sentence about the function)
RAISED, NOT_IMPLEMENTED, ANSWER = "raised", "not_implemented", "answer"
ERROR_KINDS = (RAISED, NOT_IMPLEMENTED, ANSWER)


def error_reply(text: str, kind: str = RAISED) -> str:
    """An error reply: `text` (cut to ERROR_CHARS) and what failed."""
    return json.dumps({"error": text[:ERROR_CHARS], "kind": kind})


def raised_reply(exc: BaseException, prefix: str = "") -> str:
    """The error reply for an exception of the student's code."""
    kind = NOT_IMPLEMENTED if isinstance(exc, NotImplementedError) else RAISED
    return error_reply(f"{prefix}{type(exc).__name__}: {exc}", kind)


MAX_LAYER_DEPTH = 50  # how deep `sublayers` looks into layers nested in layers


def sublayers(layer) -> list:
    """Every layer inside `layer`, each before the layers inside it, through
    what Keras shows publicly: a model's `layers`, and the attributes of any
    other layer that hold layers (or lists or tuples of them), the way Keras
    tracks them. Each layer once, however often it is referred to."""
    import keras

    found, seen = [], {id(layer)}

    def walk(node, depth: int) -> None:
        if depth > MAX_LAYER_DEPTH:
            return
        if isinstance(node, keras.Model):
            children = list(node.layers)
        else:
            values = [
                v
                for attr in vars(node).values()
                for v in (attr if isinstance(attr, (list, tuple)) else [attr])
            ]
            children = [v for v in values if isinstance(v, keras.layers.Layer)]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                found.append(child)
                walk(child, depth + 1)

    walk(layer, 0)
    return found


class Server:
    """Calls into the student's namespace `ns`, with models and variables crossing as data."""

    def __init__(self, ns: dict):
        self.ns = ns
        # token -> this kernel's copy of a model or optimiser the trusted side sent
        self.mirrors: dict = {}
        self.tapes = tape.Tapes()  # calls on tf.Variables, for the gradients asked later (`vjp`)

    # ---- what crosses
    # ------------------------------------------------------------------------------

    def _encode_hook(self, obj):
        import keras

        if not isinstance(obj, keras.Model):
            return None
        # a model of tf.keras layers goes as its configuration and weights, and is rebuilt outside
        try:
            from aekit.checks import model_problem

            config = obj.to_json()
            if model_problem(json.loads(config)) is None:
                return {
                    "t": "model",
                    "v": {
                        "config": config,
                        "weights": [codec.encode(w) for w in obj.get_weights()],
                    },
                }
        except Exception:  # (a student's model may fail anyhow: keep it here instead)
            log.debug(
                "a model goes as a handle: its configuration could not be sent", exc_info=True
            )
        # any other model (subclassed, custom layers) stays here: the other
        # side gets a handle to call it
        token = f"k{len(self.mirrors)}"
        self.mirrors[token] = obj
        parts = []
        for layer in sublayers(obj):
            try:
                config = json.dumps(keras.saving.serialize_keras_object(layer))
                weights = [codec.encode(w) for w in layer.get_weights()]
            except Exception:  # (a student's layer may fail anyhow: described as a plain Layer)
                log.debug("a layer goes without its configuration", exc_info=True)
                config, weights = None, []
            parts.append({"class": type(layer).__name__, "config": config, "weights": weights})
        return {"t": "remote", "v": {"token": token, "name": str(obj.name), "layers": parts}}

    def _decode_hook(self, t: str, v, used: dict):
        import keras

        if t == "mirror":
            model = self.mirrors.get(v["token"])
            if model is None:
                model = self.mirrors[v["token"]] = keras.models.model_from_json(v["config"])
            model.set_weights([codec.decode(w) for w in v["weights"]])
            used["models"][v["token"]] = model
            return model
        if t == "handle":
            return self.mirrors[v]
        if t == "opt":
            opt = self.mirrors.get(v["token"])
            if opt is None:
                opt = self.mirrors[v["token"]] = keras.optimizers.deserialize(v["config"])
            used["opts"].append(opt)
            return opt
        if t == "var":
            import tensorflow as tf

            var = tf.Variable(codec.decode(v))
            used["vars"].append(var)
            return var
        raise TypeError(f"unknown kind {t!r}")

    # ---- calls
    # -------------------------------------------------------------------------------------

    def call(self) -> str:
        """Call a function of the namespace (or a model kept here) on
        decoded arguments; the answer as JSON."""
        try:
            req = json.loads(_request())
            rngs, used = [], {"models": {}, "vars": [], "opts": []}
            hook = lambda t, v: self._decode_hook(t, v, used)
            args = codec.decode(req["args"], rngs=rngs, hook=hook)
            kwargs = codec.decode(req["kwargs"], rngs=rngs, hook=hook)
            # an optimiser arrives as configuration: build it on the models passed with it,
            for opt in used["opts"]:
                # as the test's own did (a compiled step cannot create it)
                if not opt.built and used["models"]:
                    opt.build([v for m in used["models"].values() for v in m.trainable_variables])
            fn = self.mirrors.get(req["target"]) if req.get("target") else self.ns.get(req["name"])
            if fn is None:
                return error_reply(f"NameError: {req['name']} is not defined")
            # as tf.function(train_step) compiles it (the test asks for this)
            if req.get("compiled"):
                import tensorflow as tf

                key = ("compiled", req["name"], id(fn))
                if key not in self.mirrors:
                    self.mirrors[key] = tf.function(tf.autograph.experimental.do_not_convert(fn))
                fn = self.mirrors[key]
            missing, saved = object(), {}
            # the test replaced these exercises by its reference functions
            for name in req.get("swaps", []):
                saved[name] = self.ns.get(name, missing)
                self.ns[name] = _stub(name)
            eager = None
            # a compiled function would trace the stubs once and keep them: run it as plain Python
            if saved:
                import tensorflow as tf

                eager = tf.config.functions_run_eagerly()
                tf.config.run_functions_eagerly(True)
            taped = None
            try:
                if used["vars"]:
                    value, taped = tape.taped(fn, args, kwargs)
                else:
                    value = fn(*args, **kwargs)
            except BaseException as exc:  # noqa: BLE001  (the student's error, reported as text)
                return raised_reply(exc)
            finally:
                for name, old in saved.items():
                    if old is missing:
                        self.ns.pop(name, None)
                    else:
                        self.ns[name] = old
                if eager is not None:
                    tf.config.run_functions_eagerly(eager)
            try:
                out = codec.encode(value, hook=self._encode_hook)
            except TypeError as exc:
                return error_reply(
                    f"{req['name']} returned something that is not plain data: {exc}", ANSWER
                )
            reply = {
                "value": out,
                "rngs": [g.bit_generator.state for g in rngs],
                "weights": {
                    tok: [codec.encode(w) for w in m.get_weights()]
                    for tok, m in used["models"].items()
                },
            }
            if taped is not None:
                reply["call"] = self.tapes.record(taped, value, used["vars"])
            return json.dumps(reply)
        except BaseException as exc:  # noqa: BLE001  (whatever the student's objects provoke: an answer)
            return raised_reply(exc, "the call failed: ")

    def vjp(self) -> str:
        """Gradients of an earlier call's outputs (weighted by `upstream`)
        with respect to its variables."""
        try:
            req = json.loads(_request())
            return json.dumps({"grads": self.tapes.gradients(req["call"], req["upstream"])})
        except BaseException as exc:  # noqa: BLE001  (whatever the student's function provokes: an answer)
            return raised_reply(exc, "the gradient failed: ")


def _request() -> str:
    """The trusted process's pending request (it answers this prompt on the stdin channel)."""
    return input(REQUEST_PROMPT)


# ---- stubs for the test's reference functions: values and gradients come
# from the trusted process ---------


def _ask(payload: dict) -> dict:
    reply = json.loads(input(CALLBACK_PREFIX + json.dumps(payload)))
    if "error" in reply:
        raise RuntimeError(reply["error"])
    return reply


def _stub(name: str):
    def stub(*args, **kwargs):
        import tensorflow as tf

        # inside a tf.function: run the exchange eagerly, as a py_function
        if not tf.executing_eagerly():
            flat = tf.nest.flatten((args, kwargs))
            where = [i for i, x in enumerate(flat) if tf.is_tensor(x)]

            def eager(*tensors):
                filled = list(flat)
                for i, x in zip(where, tensors, strict=False):  # one tensor per place
                    filled[i] = x
                a, k = tf.nest.pack_sequence_as((args, kwargs), filled)
                return _eager_call(name, a, k)

            return tf.py_function(eager, [flat[i] for i in where], Tout=tf.float32)
        return _eager_call(name, args, kwargs)

    stub.__name__ = stub.__qualname__ = name
    return stub


def _eager_call(name: str, args: tuple, kwargs: dict):
    import tensorflow as tf

    found: list = []

    def note(obj):  # the floating tensors sent, in the order the trusted side decodes them
        if (tf.is_tensor(obj) or isinstance(obj, tf.Variable)) and obj.dtype.is_floating:
            found.append(obj)
        return None

    payload = {
        "fn": name,
        "args": codec.encode(list(args), hook=note),
        "kwargs": codec.encode(dict(kwargs), hook=note),
    }
    if not found:
        return codec.decode(_ask(payload)["value"])
    reply: dict = {}

    def forward():
        reply.update(_ask(payload))
        return codec.decode(reply["value"])

    def backward(upstream: list) -> list:
        back = _ask({"vjp": reply["call"], "upstream": [codec.encode(u) for u in upstream]})
        return [None if g is None else codec.decode(g) for g in back["grads"]]

    return tape.joined(found, forward, backward, zero_for_none=True)
