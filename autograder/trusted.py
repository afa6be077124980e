"""Trusted verdicts: re-run marked test cells outside the student's process.

nbgrader decides a test cell passed when the student's kernel shows no error
for it, and that kernel runs the student's code: a submission can patch
`aekit.checks`, `numpy`, TensorFlow or IPython's traceback display and make
every test look green. So each test cell whose source holds the line
`# aekit: trusted` is checked a second time, here:

- a fresh sandboxed kernel (the same confinement as grading) runs only the
  notebook's setup cell, its locked "provided" cells and the student's
  exercise cells, and answers calls to the exercise functions;
- this process, which never runs student code, executes the test cell's own
  source from `solutions/`, with each exercise function replaced by a proxy
  that sends the arguments to that kernel and gets back data only: NumPy
  arrays, numbers, strings, lists, tuples, dicts and tensors (`np.random.Generator`s
  keep their state in step); Keras models as configuration and weights,
  rebuilt here in Keras's safe mode when made of tf.keras layers, or else kept
  in the kernel behind a `keras.Model` whose calls run there. Models the test
  passes in are mirrored in the kernel and their weights copied back after the
  call; `tf.Variable` arguments make the call differentiable (the kernel
  tapes it, `tf.custom_gradient` joins its gradients to the test's tape).
  No object of the student's ever reaches this process, so always-equal
  objects, patched comparisons and hidden tracebacks gain nothing.

A marked cell's points are the smaller of nbgrader's and this verdict. Every
test cell of the six notebooks is marked.
"""
from __future__ import annotations

import ast
import json
import os
import pathlib
import queue
import sys
import time
import traceback

MARK = "# aekit: trusted"
MAX_REPLY_BYTES = 256 * 1024 * 1024
CALL_TIMEOUT = 120.0

# ---- plain-data encoding, shared by both sides (the kernel side gets this source injected) ----------

_CODEC = r'''
def _aekit_encode(obj, depth=0, hook=None):
    import base64 as _b64, io as _io
    import numpy as _np
    if depth > 20:
        raise TypeError("nested too deeply")
    if hook is not None:
        special = hook(obj)
        if special is not None:
            return special
    if obj is None or type(obj) in (bool, int, float, str):
        return {"t": "py", "v": obj}
    if isinstance(obj, _np.random.Generator):
        return {"t": "rng", "v": obj.bit_generator.state}
    if type(obj) in (list, tuple):
        return {"t": type(obj).__name__, "v": [_aekit_encode(x, depth + 1, hook) for x in obj]}
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {"t": "dict", "v": {k: _aekit_encode(v, depth + 1, hook) for k, v in obj.items()}}
    kind = "nd"
    if type(obj).__module__.startswith(("tensorflow", "keras")) and hasattr(obj, "numpy"):
        obj, kind = obj.numpy(), "tf"
    if isinstance(obj, _np.generic):
        obj, kind = _np.asarray(obj), ("tf" if kind == "tf" else "np")
    if type(obj) is _np.ndarray and obj.dtype.kind in "biufc":
        buf = _io.BytesIO()
        _np.save(buf, obj, allow_pickle=False)
        return {"t": kind, "v": _b64.b64encode(buf.getvalue()).decode("ascii")}
    raise TypeError(f"a {type(obj).__module__}.{type(obj).__qualname__} is not plain data")


def _aekit_decode(data, depth=0, rngs=None, hook=None):
    import base64 as _b64, io as _io
    import numpy as _np
    if depth > 20 or type(data) is not dict:
        raise TypeError("malformed value")
    t, v = data.get("t"), data.get("v")
    if t == "py":
        if v is not None and type(v) not in (bool, int, float, str):
            raise TypeError("malformed value")
        return v
    if t == "rng":
        if type(v) is not dict or v.get("bit_generator") not in ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"):
            raise TypeError("malformed value")
        g = _np.random.Generator(getattr(_np.random, v["bit_generator"])())
        g.bit_generator.state = v
        if rngs is not None:
            rngs.append(g)
        return g
    if t in ("list", "tuple"):
        items = [_aekit_decode(x, depth + 1, rngs, hook) for x in v]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {str(k): _aekit_decode(x, depth + 1, rngs, hook) for k, x in v.items()}
    if t in ("nd", "np", "tf"):
        arr = _np.load(_io.BytesIO(_b64.b64decode(v)), allow_pickle=False)
        if type(arr) is not _np.ndarray or arr.dtype.kind not in "biufc":
            raise TypeError("malformed value")
        if t == "np":
            return arr[()]
        if t == "tf":
            import tensorflow as _tf
            return _tf.constant(arr)
        return arr
    if hook is not None and t in ("model", "remote", "handle", "mirror", "opt", "var"):
        return hook(t, v)
    raise TypeError(f"unknown kind {t!r}")
'''

_SERVER = _CODEC + r'''

_aekit_mirrors = {}  # token -> this kernel's copy of a model or optimiser the trusted side passed in
_aekit_tapes = {}    # call number -> (tape, flat outputs, variables) for gradients asked later


def _aekit_encode_hook(obj):
    import json as _json
    import keras as _k
    if not isinstance(obj, _k.Model):
        return None
    try:  # a model of tf.keras layers goes as its configuration and weights, and is rebuilt outside
        from aekit.checks import model_problem as _problem
        config = obj.to_json()
        if _problem(_json.loads(config)) is None:
            return {"t": "model", "v": {"config": config, "weights": [_aekit_encode(w) for w in obj.get_weights()]}}
    except Exception:
        pass
    # any other model (subclassed, custom layers) stays here: the other side gets a handle to call it,
    # and a description of its layers
    token = f"k{len(_aekit_mirrors)}"
    _aekit_mirrors[token] = obj
    parts = []
    for layer in obj._flatten_layers(include_self=False, recursive=True):
        try:
            config = _json.dumps(_k.saving.serialize_keras_object(layer))
            weights = [_aekit_encode(w) for w in layer.get_weights()]
        except Exception:
            config, weights = None, []
        parts.append({"class": type(layer).__name__, "config": config, "weights": weights})
    return {"t": "remote", "v": {"token": token, "name": str(obj.name), "layers": parts}}


def _aekit_decode_hook(t, v, used):
    import keras as _k
    if t == "mirror":
        model = _aekit_mirrors.get(v["token"])
        if model is None:
            model = _aekit_mirrors[v["token"]] = _k.models.model_from_json(v["config"])
        model.set_weights([_aekit_decode(w) for w in v["weights"]])
        used["models"][v["token"]] = model
        return model
    if t == "handle":
        return _aekit_mirrors[v]
    if t == "opt":
        opt = _aekit_mirrors.get(v["token"])
        if opt is None:
            opt = _aekit_mirrors[v["token"]] = _k.optimizers.deserialize(v["config"])
        return opt
    if t == "var":
        import tensorflow as _tf
        var = _tf.Variable(_aekit_decode(v))
        used["vars"].append(var)
        return var
    raise TypeError(f"unknown kind {t!r}")


def __aekit_call__(request):
    import json as _json
    try:
        req = _json.loads(request)
        rngs, used = [], {"models": {}, "vars": []}
        hook = lambda t, v: _aekit_decode_hook(t, v, used)
        args = _aekit_decode(req["args"], rngs=rngs, hook=hook)
        kwargs = _aekit_decode(req["kwargs"], rngs=rngs, hook=hook)
        fn = _aekit_mirrors.get(req["target"]) if req.get("target") else globals().get(req["name"])
        if fn is None:
            return _json.dumps({"error": f"NameError: {req['name']} is not defined"})
        missing, saved = object(), {}
        if req.get("overrides"):  # the test replaced some exercises by reference functions: do the same here
            scope = dict(globals())
            exec(req["sources"], scope)
            for name, ref in req["overrides"].items():
                saved[name] = globals().get(name, missing)
                globals()[name] = scope[ref]
        tape = None
        try:
            if used["vars"]:
                import tensorflow as _tf
                tape = _tf.GradientTape(persistent=True)
                with tape:
                    value = fn(*args, **kwargs)
            else:
                value = fn(*args, **kwargs)
        except BaseException as exc:
            return _json.dumps({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        finally:
            for name, old in saved.items():
                if old is missing:
                    globals().pop(name, None)
                else:
                    globals()[name] = old
        try:
            out = _aekit_encode(value, hook=_aekit_encode_hook)
        except TypeError as exc:
            return _json.dumps({"error": f"{req['name']} returned something that is not plain data: {exc}"})
        reply = {"value": out, "rngs": [g.bit_generator.state for g in rngs],
                 "weights": {tok: [_aekit_encode(w) for w in m.get_weights()] for tok, m in used["models"].items()}}
        if tape is not None:
            import tensorflow as _tf
            reply["call"] = len(_aekit_tapes)
            _aekit_tapes[reply["call"]] = (tape, _tf.nest.flatten(value), used["vars"])
        return _json.dumps(reply)
    except BaseException as exc:
        return _json.dumps({"error": f"the call failed: {type(exc).__name__}: {exc}"[:2000]})


def __aekit_vjp__(request):
    import json as _json
    try:
        import tensorflow as _tf
        req = _json.loads(request)
        tape, flat, variables = _aekit_tapes[req["call"]]
        upstream = [_tf.constant(_aekit_decode(u), dtype=o.dtype) for u, o in zip(req["upstream"], flat)]
        grads = tape.gradient(flat, variables, output_gradients=upstream)
        return _json.dumps({"grads": [None if g is None else _aekit_encode(_tf.convert_to_tensor(g).numpy())
                                      for g in grads]})
    except BaseException as exc:
        return _json.dumps({"error": f"the gradient failed: {type(exc).__name__}: {exc}"[:2000]})
'''

_codec_ns: dict = {}
exec(_CODEC, _codec_ns)
encode, decode = _codec_ns["_aekit_encode"], _codec_ns["_aekit_decode"]


# ---- which cells ---------------------------------------------------------------------------------


def _src(cell) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def marked_cells(source_nb: dict) -> dict[str, str]:
    """The test cells to check here: grade_id -> source, for cells holding the marker line."""
    return {_meta(c)["grade_id"]: _src(c) for c in source_nb["cells"]
            if c["cell_type"] == "code" and _meta(c).get("grade") and MARK in _src(c)}


def trusted_prelude(source_nb: dict) -> list[str]:
    """Code both sides run first: setup cells (grade_id `setup*`) and locked non-test cells, in order."""
    out = []
    for c in source_nb["cells"]:
        m = _meta(c)
        if c["cell_type"] == "code" and m.get("locked") and not m.get("grade") and not m.get("solution"):
            out.append(_src(c))
    return out


def exercise_cells(source_nb: dict, submitted_nb: dict) -> tuple[list[str], list[str]]:
    """The exercise names, and the student's code of each exercise cell (by grade_id)."""
    names = [_meta(c)["grade_id"] for c in source_nb["cells"]
             if c["cell_type"] == "code" and _meta(c).get("solution")]
    code = []
    for c in submitted_nb.get("cells", []):
        if isinstance(c, dict) and c.get("cell_type") == "code" and _meta(c).get("grade_id") in names \
                and _meta(c).get("solution"):
            code.append(_src(c))
    return names, code


# ---- the student's side: a sandboxed kernel answering calls ---------------------------------------


class KernelOracle:
    """A sandboxed kernel holding the student's exercise functions; `call` runs one of them."""

    def __init__(self, kernel_env: dict, cwd: pathlib.Path, deadline: float):
        from jupyter_client import KernelManager

        self.deadline = deadline
        self.km = KernelManager(kernel_name="python3")
        self.km.transport = "ipc"
        self.km.ip = kernel_env.pop("AEKIT_KERNEL_IP")
        self.km.start_kernel(env=kernel_env, cwd=str(cwd))
        self.kc = self.km.blocking_client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=max(5.0, min(120.0, deadline - time.monotonic())))
        self.objects = TrustedObjects()

    def run(self, code: str) -> str | None:
        """Run code in the kernel; return the error line it raised, if any."""
        reply = self._execute(code, {})
        if reply["content"].get("status") != "ok":
            c = reply["content"]
            return f"{c.get('ename', 'Error')}: {c.get('evalue', '')}"
        return None

    def _execute(self, code: str, expressions: dict) -> dict:
        msg_id = self.kc.execute(code, silent=False, store_history=False, user_expressions=expressions,
                                 allow_stdin=False)
        while True:
            left = min(CALL_TIMEOUT, self.deadline - time.monotonic())
            if left <= 0:
                raise TimeoutError("the student's code ran out of time")
            try:
                reply = self.kc.get_shell_msg(timeout=left)
            except queue.Empty:
                raise TimeoutError("the student's code ran out of time") from None
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return reply

    def _request(self, function: str, request: dict, what: str) -> dict:
        text = json.dumps(request)
        reply = self._execute(f"__aekit_r__ = {function}({text!r})", {"r": "__aekit_r__"})
        if not self.km.is_alive():
            raise RuntimeError("the student's kernel died")
        try:
            text = reply["content"]["user_expressions"]["r"]["data"]["text/plain"]
            if len(text) > MAX_REPLY_BYTES:
                raise ValueError("reply too large")
            payload = json.loads(ast.literal_eval(text))
        except Exception:
            raise RuntimeError(f"{what} gave no readable answer") from None
        if not isinstance(payload, dict):
            raise RuntimeError(f"{what} gave no readable answer")
        if "error" in payload:
            raise StudentError(str(payload["error"])[:2000])
        return payload

    def call(self, name: str, args: tuple, kwargs: dict, rngs_out: list, overrides: dict | None = None,
             sources: str = "", target: str | None = None):
        """Call the student's `name` (or the model `target` that a student function returned).

        Returns (value, call number or None, the tf.Variables passed in).
        """
        variables: list = []
        self.objects.sent = set()
        hook = lambda obj: self.objects.encode_hook(obj, variables)  # noqa: E731
        request = {"name": name, "args": encode(list(args), hook=hook), "kwargs": encode(dict(kwargs), hook=hook)}
        if target is not None:
            request["target"] = target
        if overrides:
            request.update(overrides=overrides, sources=sources)
        payload = self._request("__aekit_call__", request, f"calling {name}")
        try:
            value = decode(payload["value"], hook=lambda t, v: self.objects.decode_hook(t, v, self))
        except StudentError:
            raise
        except (TypeError, ValueError, KeyError) as exc:
            raise StudentError(f"{name} returned {exc}"[:2000]) from None
        except Exception as exc:  # anything else the kernel's answer provokes is the answer's fault
            raise StudentError(f"{name} returned an unreadable answer ({type(exc).__name__})") from None
        try:
            states = payload.get("rngs", [])
            if not isinstance(states, list) or len(states) != len(rngs_out):
                raise ValueError("random generators")
            for g, state in zip(rngs_out, states):
                if not isinstance(state, dict) or state.get("bit_generator") != g.bit_generator.state["bit_generator"]:
                    raise ValueError("random generators")
                g.bit_generator.state = state
            self.objects.update_weights(name, payload.get("weights", {}))
        except StudentError:
            raise
        except Exception:
            raise StudentError(f"{name} returned an unreadable answer") from None
        call = payload.get("call")
        if call is not None and type(call) is not int:
            raise StudentError(f"{name} returned an unreadable answer")
        return value, call, variables

    def vjp(self, call: int, upstream: list) -> list:
        """The gradients, with respect to the tf.Variables of call `call`, of sum(upstream * outputs)."""
        payload = self._request("__aekit_vjp__", {"call": call, "upstream": [encode(u) for u in upstream]},
                                "the gradient")
        grads = payload.get("grads")
        if not isinstance(grads, list):
            raise StudentError("the gradient gave no readable answer")
        try:
            return [None if g is None else decode(g) for g in grads]
        except Exception:
            raise StudentError("the gradient gave no readable answer") from None

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


class StudentError(Exception):
    """The student's function raised; the message is theirs."""


class TrustedObjects:
    """Keras models and optimisers of the test code, and the models that student functions return.

    A model the test passes in is mirrored in the kernel (configuration once,
    weights on every call) and its weights come back after the call, so the
    test sees what the student's function did to it. A model a student's
    function returns is rebuilt here from its configuration and weights, only
    when it is made of tf.keras layers (`aekit.checks.model_problem`), with
    Keras's safe mode: no code of the student's is ever run here.
    """

    def __init__(self):
        self.tokens: dict[int, str] = {}
        self.objects: dict[str, object] = {}
        self.configured: set[str] = set()
        self.sent: set[str] = set()  # the tokens of the models passed in the current call

    def _token(self, obj) -> str:
        if id(obj) not in self.tokens:
            token = f"o{len(self.tokens)}"
            self.tokens[id(obj)] = token
            self.objects[token] = obj  # kept alive, so ids are not reused during a check
        return self.tokens[id(obj)]

    def encode_hook(self, obj, variables: list):
        import keras
        import tensorflow as tf

        if getattr(obj, "_aekit_token", None) is not None:  # a model that lives in the kernel
            return {"t": "handle", "v": obj._aekit_token}
        if isinstance(obj, tf.Variable):
            variables.append(obj)
            return {"t": "var", "v": encode(obj.numpy())}
        if isinstance(obj, keras.Model):
            token = self._token(obj)
            self.sent.add(token)
            v = {"token": token, "weights": [encode(w) for w in obj.get_weights()]}
            if token not in self.configured:
                v["config"] = obj.to_json()
                self.configured.add(token)
            return {"t": "mirror", "v": v}
        if isinstance(obj, keras.optimizers.Optimizer):
            return {"t": "opt", "v": {"token": self._token(obj), "config": keras.optimizers.serialize(obj)}}
        return None

    def decode_hook(self, t: str, v, oracle: "KernelOracle"):
        if t == "remote":
            return _remote_model(oracle, v)
        if t != "model" or not isinstance(v, dict) or not isinstance(v.get("config"), str) \
                or not isinstance(v.get("weights"), list):
            raise TypeError(f"an object of kind {t!r}, which only the grader may send")
        import keras
        from aekit.checks import model_problem

        try:
            config = _without_compile(json.loads(v["config"]))
        except (ValueError, RecursionError):
            raise TypeError("a model with an unreadable configuration") from None
        problem = model_problem(config)
        if problem:
            raise TypeError(f"a model the grader can't rebuild outside your kernel: {problem}")
        try:
            model = keras.saving.deserialize_keras_object(config, safe_mode=True)
        except Exception as exc:
            raise TypeError(f"a model the grader can't rebuild outside your kernel ({type(exc).__name__}: "
                            f"{str(exc)[:200]})") from None
        if not isinstance(model, keras.Model):
            raise TypeError("something that is not a Keras model")
        weights = [decode(w) for w in v["weights"]]
        _set_weights(model, weights, "a model whose weights do not fit its layers")
        return model

    def update_weights(self, name: str, weights: dict) -> None:
        if not isinstance(weights, dict):
            raise StudentError(f"{name} returned an unreadable answer")
        for token, arrays in weights.items():
            model = self.objects.get(token) if token in self.sent else None
            if not hasattr(model, "get_weights") or not isinstance(arrays, list):  # only models passed in now
                raise StudentError(f"{name} returned an unreadable answer")
            _set_weights(model, [decode(a) for a in arrays],
                         f"{name} changed the layers of a model passed to it (its weights no longer fit)")


def _without_compile(node, depth: int = 0):
    """A model configuration without its compile settings (losses, metrics, optimiser): a rebuilt model only
    needs its layers, and compiling would deserialize more objects."""
    if depth > 100:
        raise ValueError("nested too deeply")
    if isinstance(node, dict):
        return {k: _without_compile(x, depth + 1) for k, x in node.items() if k != "compile_config"}
    if isinstance(node, list):
        return [_without_compile(x, depth + 1) for x in node]
    return node


def _remote_model(oracle: "KernelOracle", v):
    """A model that stays in the kernel (subclassed, or with custom layers): calls go there, and its layers
    are described by copies of those built from tf.keras layers (others appear as plain `Layer`s)."""
    import keras
    from aekit.checks import model_problem

    if not isinstance(v, dict) or not isinstance(v.get("token"), str) or not isinstance(v.get("layers"), list):
        raise TypeError("an unreadable model")
    parts = []
    for i, part in enumerate(v["layers"][:1000]):
        layer = None
        try:
            config = _without_compile(json.loads(part["config"]))
            if model_problem(config) is None:
                layer = keras.saving.deserialize_keras_object(config, safe_mode=True)
                if isinstance(layer, keras.layers.Layer) and layer.built:
                    weights = [decode(w) for w in part["weights"]]
                    if [w.shape for w in weights] == [w.shape for w in layer.get_weights()]:
                        layer.set_weights(weights)
        except Exception:
            layer = None
        if not isinstance(layer, keras.layers.Layer):
            layer = keras.layers.Layer(name=f"aekit_custom_{i}")
        parts.append(layer)
    return _RemoteModel.create(oracle, v["token"], str(v.get("name", "model"))[:100], parts)


class _RemoteModel:
    """Builds the keras.Model subclass lazily (Keras is imported only when a check needs it)."""

    cls = None

    @classmethod
    def create(cls, oracle, token, name, parts):
        if cls.cls is None:
            import keras

            class RemoteModel(keras.Model):
                def __init__(self, oracle, token, name, parts):
                    super().__init__(name="".join(c if c.isalnum() or c == "_" else "_" for c in name) or "m")
                    self.parts = parts
                    object.__setattr__(self, "_aekit_oracle", oracle)
                    object.__setattr__(self, "_aekit_token", token)
                    self.built = True

                def call(self, inputs, training=None):
                    kwargs = {} if training is None else {"training": training}
                    value, _, _ = self._aekit_oracle.call(f"the model of {self.name}", (inputs,), kwargs, [],
                                                          target=self._aekit_token)
                    return value

            cls.cls = RemoteModel
        return cls.cls(oracle, token, name, parts)


def _set_weights(model, weights: list, message: str) -> None:
    import numpy as np

    current = model.get_weights()
    if len(weights) != len(current) or any(not isinstance(w, np.ndarray) or w.shape != c.shape
                                           for w, c in zip(weights, current)):
        raise StudentError(message)
    model.set_weights(weights)


class Proxy:
    """Stands in for an exercise function in the trusted namespace."""

    def __init__(self, session: "Session", name: str):
        self._session, self.__name__ = session, name

    def __call__(self, *args, **kwargs):
        import numpy as np

        session = self._session
        rngs = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
        overrides: dict = {}
        try:
            overrides, sources = session.overrides()
            value, call, variables = session.oracle.call(self.__name__, args, kwargs, rngs, overrides, sources)
            if overrides and _has_text(value):
                raise StudentError(f"{self.__name__} returned text")
            if call is not None:
                value = _differentiable(session.oracle, value, call, variables)
            return value
        except StudentError as exc:
            name, _, rest = str(exc).partition(": ")
            if name == "NotImplementedError":
                raise NotImplementedError(rest) from None
            if overrides:  # the kernel held the test's reference functions: report no text of its own
                raise AssertionError(f"{self.__name__} raised an error while the test used its reference versions "
                                     f"of {', '.join(sorted(overrides))} (run this test in your notebook to see it)"
                                     ) from None
            if str(exc).startswith(self.__name__ + " "):
                raise AssertionError(str(exc)) from None
            raise AssertionError(f"{self.__name__} raised {exc}") from None


def _has_text(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and depth < 30 and any(_has_text(v, depth + 1) for v in value)


def _differentiable(oracle: KernelOracle, value, call: int, variables: list):
    """`value` (computed in the kernel from copies of `variables`), joined to the tape with the kernel's gradient."""
    import tensorflow as tf

    flat = tf.nest.flatten(value)
    if not variables or not flat or not all(tf.is_tensor(x) and x.dtype.is_floating for x in flat):
        return value  # not differentiable data: the test's own checks say what is wrong

    @tf.custom_gradient
    def joined(*inputs):
        def grad(*upstream):
            grads = oracle.vjp(call, [tf.convert_to_tensor(u).numpy() for u in upstream])
            if len(grads) != len(inputs) or any(g is not None and tuple(g.shape) != tuple(x.shape)
                                                for g, x in zip(grads, inputs)):
                raise StudentError("the gradient gave no readable answer")
            return [None if g is None else tf.cast(tf.convert_to_tensor(g), x.dtype) for g, x in zip(grads, inputs)]

        return [tf.identity(x) for x in flat], grad

    return tf.nest.pack_sequence_as(value, joined(*[tf.convert_to_tensor(v) for v in variables]))


class Session:
    """What the proxies of one submission share: the kernel, the trusted namespace and the test cell's code."""

    def __init__(self, oracle: KernelOracle, names: list[str]):
        self.oracle, self.names = oracle, names
        self.ns: dict = {}
        self.cell_code = ""

    def overrides(self) -> tuple[dict, str]:
        """Exercises the test cell replaced by its own reference functions: name -> function name, and their code."""
        replaced = {n: f for n in self.names if (f := self.ns.get(n)) is not None and not isinstance(f, Proxy)
                    and callable(f) and hasattr(f, "__code__")}
        if not replaced:
            return {}, ""
        tree = ast.parse(self.cell_code)
        defs = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
        wanted, todo = set(), [f.__name__ for f in replaced.values()]
        while todo:  # the replacement functions and the cell's functions they call, nothing else of the test
            name = todo.pop()
            if name in defs and name not in wanted:
                wanted.add(name)
                todo += [n.id for n in ast.walk(defs[name]) if isinstance(n, ast.Name)]
        missing = {f.__name__ for f in replaced.values()} - wanted
        if missing:
            raise StudentError(f"the test replaced an exercise by {', '.join(sorted(missing))}, which is not "
                               "defined at the top of the test cell")
        code = "\n\n".join(ast.get_source_segment(self.cell_code, node) for name, node in defs.items()
                           if name in wanted)
        return {n: f.__name__ for n, f in replaced.items()}, code


# ---- the trusted side ----------------------------------------------------------------------------


def check(job: dict) -> dict[str, list]:
    """Run the marked test cells of one submission; return grade_id -> [passed, message].

    `job` holds: source (path of the source notebook), submitted (path of the
    student's notebook), cwd, deadline_seconds, kernel_env (environment for
    the sandboxed kernel, with AEKIT_KERNEL_IP).
    """
    import warnings

    warnings.filterwarnings("ignore")
    source = json.loads(pathlib.Path(job["source"]).read_text(encoding="utf-8"))
    submitted = json.loads(pathlib.Path(job["submitted"]).read_text(encoding="utf-8", errors="replace"))
    cells = marked_cells(source)
    if not cells:
        return {}
    deadline = time.monotonic() + float(job["deadline_seconds"])
    names, student_code = exercise_cells(source, submitted)
    prelude = trusted_prelude(source)
    verdicts: dict[str, list] = {}
    oracle = None
    try:
        oracle = KernelOracle(dict(job["kernel_env"]), pathlib.Path(job["cwd"]), deadline)
        for code in prelude:
            oracle.run(code)
        for code in student_code:
            oracle.run(code)  # an exercise cell that fails leaves its function undefined: its tests fail
        oracle.run(_SERVER)
        base_ns: dict = {"__name__": "__main__"}
        os.environ.setdefault("NBGRADER_EXECUTION", "autograde")
        for code in prelude:
            exec(compile(code, "<setup>", "exec"), base_ns)
        session = Session(oracle, names)
        for grade_id, code in cells.items():
            ns = dict(base_ns)
            ns.update({n: Proxy(session, n) for n in names})
            session.ns, session.cell_code = ns, code
            try:
                exec(compile(code, f"<{grade_id}>", "exec"), ns)
                verdicts[grade_id] = [True, ""]
            except NotImplementedError:
                verdicts[grade_id] = [False, "NotImplementedError: this exercise is not done yet"]
            except AssertionError as exc:
                verdicts[grade_id] = [False, f"AssertionError: {exc}"[:600]]
            except TimeoutError as exc:
                verdicts[grade_id] = [False, str(exc)]
                break
            except Exception as exc:
                verdicts[grade_id] = [False, f"{type(exc).__name__}: {exc}"[:600]]
                if oracle is not None and not oracle.km.is_alive():
                    break
    except Exception as exc:  # the kernel would not start, died, or hung: every unchecked cell fails
        reason = f"the trusted re-check could not run the submission ({type(exc).__name__}: {exc})"[:600]
        for grade_id in cells:
            verdicts.setdefault(grade_id, [False, reason])
    finally:
        if oracle is not None:
            try:
                oracle.close()
            except Exception:
                pass
    for grade_id in cells:
        verdicts.setdefault(grade_id, [False, "the student's kernel stopped before this test ran"])
    return verdicts


def main(argv: list[str]) -> int:
    """`python -m autograder.trusted JOB.json OUT.json` (also run in a child forked from the zygote)."""
    job_path, out_path = argv
    job = json.loads(pathlib.Path(job_path).read_text(encoding="utf-8"))
    if job.get("memory_cgroup"):  # models rebuilt from a submission's configuration count against its limit
        try:
            (pathlib.Path(job["memory_cgroup"]) / "cgroup.procs").write_text(str(os.getpid()))
        except OSError:
            pass
    try:
        verdicts = check(job)
    except Exception:
        traceback.print_exc()
        return 1
    tmp = pathlib.Path(out_path + ".tmp")
    tmp.write_text(json.dumps(verdicts), encoding="utf-8")
    os.replace(tmp, out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
