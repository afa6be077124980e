"""The trusted side of grading: a sandboxed kernel holds the student's code, tests call into it.

This process never runs student code. It starts the student's kernel (the
sandbox's kernel spec), runs the submission's cells there (`Kernel.run_cell`,
each with its own time limit, interrupted when it runs over), then executes
each test cell's own source from `solutions/` here, with every exercise
function replaced by a `Proxy` that sends the arguments to the kernel and gets
back data only (`autograder.codec`): NumPy arrays, numbers, strings, lists,
tuples, dicts and tensors (`np.random.Generator`s keep their state in step);
Keras models as configuration and weights, rebuilt here in Keras's safe mode
when made of tf.keras layers, or else kept in the kernel behind a
`keras.Model` whose calls run there. Models the test passes in are mirrored in
the kernel and their weights copied back after the call; `tf.Variable`
arguments make the call differentiable (the kernel tapes it,
`tf.custom_gradient` joins its gradients to the test's tape). No object of
the student's ever reaches this process, so always-equal objects, patched
comparisons and hidden tracebacks gain nothing.

Exercises a test replaces by its own reference functions
(`globals().update(vae_loss=_ref_vae_loss)`) are replaced in the kernel by
stubs that ask this process for each value and gradient through the kernel's
stdin channel (`Kernel._callback`): no line of a test ever enters the kernel.

`Kernel` is the call client: it runs cells and calls in a `kernelproc.KernelProcess`, which is the
kernel's life cycle (start, stop, time left). Gradients cross as `tape.py` says, on both sides.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import time

from . import codec, sanitize, tape
from .kernel_server import (
    ANSWER,
    CALLBACK_PREFIX,
    ERROR_CHARS,
    ERROR_KINDS,
    NOT_IMPLEMENTED,
    RAISED,
    REQUEST_PROMPT,
)
from .kernelproc import Gone, KernelGone, KernelProcess

log = logging.getLogger(__name__)

MAX_REPLY_BYTES = 256 * 1024 * 1024
OUTPUT_CHARS_PER_CELL = 100_000
OUTPUTS_PER_CELL = 50
# what a function that already ran past its limit gets on its later calls (and their cells)
GRACE_SECONDS = 3.0
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# "..., in f(args)" or "... in f"
_FRAME = re.compile(r"\bin ([A-Za-z_][A-Za-z0-9_]*) *(?:\(|$)", re.M)


class CallTimeout(Exception):
    """A call or cell ran past its own time limit."""


@dataclasses.dataclass(frozen=True)
class CellProblem:
    """What went wrong with one cell: its error line (the student's text), or that it was stopped at
    its limit or not run (`stopped`: the notebook's detail names such cells)."""

    text: str
    stopped: bool = False

    def labelled(self, label: str) -> "CellProblem":
        return CellProblem(f"{label}: {self.text}", self.stopped)


class Kernel:
    """The call client of the student's sandboxed kernel: runs the
    submission's cells and the tests' calls in it (each within its limit),
    and answers its stubs' callbacks. The kernel itself is `self.process`."""

    def __init__(
        self,
        kernel_env: dict,
        cwd: str,
        deadline: float,
        call_seconds: float,
        student_cgroups: dict | None = None,
    ):
        self.process = KernelProcess(kernel_env, cwd, deadline, student_cgroups)
        self.call_seconds = call_seconds
        self.objects = TrustedObjects()
        # name -> the test's reference function, during a call that swaps
        self.swapped: dict = {}
        # the request of the call under way, until the kernel reads it
        self.pending: str | None = None
        # the reference functions' calls, for the stubs' gradients
        self.callback_tapes = tape.Tapes()
        self.replay: list[str] = []  # the cells to run again after a restart
        # the limit of one call (the pipeline lowers it to share the tests' time)
        self.call_cap = call_seconds
        # the exercise functions' names (to tell which one a stopped call was in)
        self.exercises: set[str] = set()
        # exercises that ran past a limit: later calls get GRACE_SECONDS
        self.hung: set[str] = set()
        self._stopped_trace = ""  # the traceback of the last code stopped by an interrupt
        self._last_msg_id: str | None = None
        self.process.start()

    # ---- the kernel's life cycle (kernelproc.KernelProcess)
    # --------------------------------------------

    @property
    def kc(self):
        """The kernel's client (jupyter_client's): a new one after each restart."""
        return self.process.kc

    def left(self) -> float:
        return self.process.left()

    def alive(self) -> bool:
        return self.process.alive()

    def restart(self) -> None:
        """A fresh kernel with the submission's cells run again (those that
        ran past their limit left out)."""
        self.process.stop()
        self.objects.configured.clear()
        self.process.start()
        for code in self.replay:
            self.run_cell(code, record=False)

    def close(self) -> None:
        self.process.stop()

    # ---- running code
    # ------------------------------------------------------------------------------

    def _execute(
        self,
        code: str,
        seconds: float,
        *,
        expressions: dict | None = None,
        outputs: list | None = None,
        stdin: bool = False,
    ) -> dict:
        """Run `code`; the execute reply. Raises CallTimeout past `seconds` (the kernel
        interrupted), KernelGone when the kernel died or the notebook's time is up."""
        if not self.alive():
            raise KernelGone(Gone.DIED)
        seconds = min(seconds, self.left())
        if seconds <= 0:
            raise KernelGone(Gone.TIME_UP)
        hook = _OutputCollector(outputs) if outputs is not None else (lambda msg: None)
        self._stopped_trace = ""
        try:
            return self._run(code, seconds, expressions or {}, hook, stdin)
        except TimeoutError:
            if not self.alive():
                raise KernelGone(Gone.DIED) from None
            self._interrupt()
            raise CallTimeout() from None

    def _run(
        self,
        code: str,
        seconds: float,
        expressions: dict,
        output_hook,
        stdin: bool,
        stopped: str | None = None,
    ) -> dict:
        """jupyter_client's execute_interactive, checking every half second
        that the kernel is still alive.

        `stopped`: the id of an execution just interrupted, whose traceback
        is kept (`stopped_in`)."""
        import zmq

        msg_id = self.kc.execute(
            code, silent=False, store_history=False, user_expressions=expressions, allow_stdin=stdin
        )
        self._last_msg_id = msg_id
        deadline = time.monotonic() + seconds
        poller = zmq.Poller()
        for channel in (self.kc.iopub_channel, self.kc.stdin_channel, self.kc.shell_channel):
            poller.register(channel.socket, zmq.POLLIN)
        idle, reply = False, None
        while not (idle and reply is not None):
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            events = dict(poller.poll(int(1000 * min(0.5, left))))
            if not events:
                if not self.alive():
                    raise KernelGone(Gone.DIED)
                continue
            if self.kc.stdin_channel.socket in events:
                request = self.kc.stdin_channel.get_msg(timeout=0)
                if stdin:
                    self._callback(request)
                else:
                    self.kc.input("")
            if self.kc.iopub_channel.socket in events:
                msg = self.kc.iopub_channel.get_msg(timeout=0)
                if (
                    stopped
                    and msg["parent_header"].get("msg_id") == stopped
                    and msg["header"]["msg_type"] == "error"
                ):
                    self._stopped_trace = "\n".join(
                        str(t) for t in msg["content"].get("traceback", [])
                    )[-20000:]
                if msg["parent_header"].get("msg_id") == msg_id:
                    if (
                        msg["header"]["msg_type"] == "status"
                        and msg["content"]["execution_state"] == "idle"
                    ):
                        idle = True
                    else:
                        output_hook(msg)
            if self.kc.shell_channel.socket in events:
                msg = self.kc.shell_channel.get_msg(timeout=0)
                if msg["parent_header"].get("msg_id") == msg_id:
                    reply = msg
        return reply

    def _interrupt(self) -> None:
        """Stop what the kernel is running; restart it when an interrupt does not (a student may
        ignore SIGINT), or when the stopped code left processes running (a fork bomb would leave
        the kernel no room for a thread)."""
        try:
            self.process.interrupt()
            self._run(
                "pass",
                min(5.0, max(0.5, self.left())),
                {},
                lambda msg: None,
                False,
                stopped=self._last_msg_id,
            )
            if not self.process.left_running():
                return
            log.debug("the stopped code left processes running: restarting the kernel")
        except Exception as exc:  # noqa: BLE001  (still busy as it ignores SIGINT, or gone, however that shows)
            log.debug(
                "the interrupt did not stop the kernel (%s: %s): restarting it",
                type(exc).__name__,
                exc,
            )
        if self.left() <= 1:
            raise KernelGone(Gone.TIME_UP)
        self.restart()

    def stopped_in(self) -> str | None:
        """The exercise the code last stopped by an interrupt was running (None when its traceback
        named none, or the kernel had to be restarted). The traceback comes from the student's
        kernel: a forged one can only shorten the student's own later calls."""
        return innermost_exercise(self._stopped_trace, self.exercises)

    def mark_hung(self, *names: str | None) -> None:
        self.hung.update(n for n in names if n)

    def run_cell(
        self,
        code: str,
        record: bool = True,
        outputs: list | None = None,
        seconds: float | None = None,
        provided: bool = False,
    ) -> CellProblem | None:
        """Run one of the submission's cells (within `seconds`, by default the call
        limit); what went wrong (None when it ran cleanly). When a `provided` cell
        (the notebook's own code, meant to run quickly) is stopped inside an exercise,
        that exercise gets only GRACE_SECONDS from then on; a cell of the student's
        own may just be long (training for many epochs), so it marks nothing."""
        seconds = self.call_seconds if seconds is None else seconds
        try:
            reply = self._execute(code, seconds, outputs=outputs)
        except CallTimeout:
            if provided:
                self.mark_hung(self.stopped_in())
            if outputs is not None:
                outputs.append(
                    error_output(
                        "CellTimeoutError",
                        f"this cell ran longer than {seconds:g} s and was stopped",
                    )
                )
            return CellProblem(
                f"the cell ran longer than {seconds:g} s and was stopped", stopped=True
            )
        if record:
            self.replay.append(code)
        content = reply.get("content", {})
        if content.get("status") != "ok":
            return CellProblem(f"{content.get('ename', 'Error')}: {content.get('evalue', '')}")
        return None

    # ---- calls
    # -------------------------------------------------------------------------------------

    def call_limit(self, name: str | None) -> float:
        """The time limit of one call of `name`: short for an exercise that
        already ran past a limit."""
        return min(GRACE_SECONDS, self.call_cap) if name in self.hung else self.call_cap

    def _request(
        self,
        method: str,
        request: dict,
        what: str,
        swaps: dict | None = None,
        name: str | None = None,
    ) -> dict:
        self.pending = json.dumps(request)
        self.swapped = swaps or {}
        seconds = self.call_limit(name)
        try:
            reply = self._execute(
                f"__aekit_r__ = __aekit__.{method}()",
                seconds,
                expressions={"r": "__aekit_r__"},
                stdin=True,
            )
        except CallTimeout:
            earlier = name in self.hung
            self.mark_hung(name, self.stopped_in())
            if earlier:
                raise StudentTimeout(
                    f"{what} did not return within {seconds:g} s and was stopped: it timed out "
                    f"earlier, so it no longer gets the full {self.call_cap:g} s"
                ) from None
            raise StudentTimeout(
                f"{what} did not return within {seconds:g} s and was stopped"
            ) from None
        finally:
            self.swapped, self.pending = {}, None
        try:
            text = reply["content"]["user_expressions"]["r"]["data"]["text/plain"]
            if len(text) > MAX_REPLY_BYTES:
                raise ValueError("reply too large")
            import ast

            payload = json.loads(ast.literal_eval(text))
        except Exception:  # noqa: BLE001  (whatever the kernel's answer is: unreadable)
            raise StudentError(f"{what} gave no readable answer") from None
        if not isinstance(payload, dict):
            raise StudentError(f"{what} gave no readable answer")
        if "error" in payload:
            kind = payload.get("kind")
            raise StudentError(
                str(payload["error"])[:ERROR_CHARS], kind if kind in ERROR_KINDS else RAISED
            )
        return payload

    def install_server(self) -> None:
        """Make the kernel answer calls (after the submission's cells, so
        they cannot replace it first)."""
        code = (
            "import autograder.kernel_server as _aekit_ks\n__aekit__ = "
            "_aekit_ks.Server(globals())\ndel _aekit_ks"
        )
        self.replay.append(code)
        reply = self._execute(code, max(self.call_seconds, 30.0))
        if reply.get("content", {}).get("status") != "ok":
            raise KernelGone(Gone.NO_SERVER)

    def call(
        self,
        name: str,
        args: tuple,
        kwargs: dict,
        rngs_out: list,
        swaps: dict | None = None,
        target: str | None = None,
        compiled: bool = False,
    ):
        """Call the student's `name` (or the model `target` that a student function returned).

        Returns (value, call number or None, the tf.Variables passed in).
        """
        variables: list = []
        self.objects.sent = set()
        hook = lambda obj: self.objects.encode_hook(obj, variables)
        request = {
            "name": name,
            "args": codec.encode(list(args), hook=hook),
            "kwargs": codec.encode(dict(kwargs), hook=hook),
        }
        if target is not None:
            request["target"] = target
        if swaps:
            request["swaps"] = sorted(swaps)
        if compiled:
            request["compiled"] = True
        payload = self._request(
            "call", request, f"{name}", swaps, name=name if target is None else None
        )
        try:
            value = codec.decode(
                payload["value"], hook=lambda t, v: self.objects.decode_hook(t, v, self)
            )
        # a model it returned that cannot be rebuilt here: a sentence about `name`
        except StudentError as exc:
            raise StudentError(f"{name} returned {exc}"[:ERROR_CHARS]) from None
        except (TypeError, ValueError, KeyError) as exc:
            raise StudentError(f"{name} returned {exc}"[:2000]) from None
        except Exception as exc:  # noqa: BLE001  (anything else the kernel's answer provokes is the answer's fault)
            raise StudentError(
                f"{name} returned an unreadable answer ({type(exc).__name__})"
            ) from None
        try:
            states = payload.get("rngs", [])
            if not isinstance(states, list) or len(states) != len(rngs_out):
                raise ValueError("random generators")
            for g, state in zip(rngs_out, states, strict=True):  # lengths checked above
                if (
                    not isinstance(state, dict)
                    or state.get("bit_generator") != g.bit_generator.state["bit_generator"]
                ):
                    raise ValueError("random generators")
                g.bit_generator.state = state
            self.objects.update_weights(name, payload.get("weights", {}))
        except StudentError:
            raise
        except Exception:  # noqa: BLE001  (anything the answer provokes: unreadable)
            raise StudentError(f"{name} returned an unreadable answer") from None
        call = payload.get("call")
        if call is not None and type(call) is not int:
            raise StudentError(f"{name} returned an unreadable answer")
        return value, call, variables

    def vjp(self, call: int, upstream: list) -> list:
        """The gradients, with respect to the tf.Variables of call `call`,
        of sum(upstream * outputs)."""
        payload = self._request(
            "vjp", {"call": call, "upstream": [codec.encode(u) for u in upstream]}, "the gradient"
        )
        grads = payload.get("grads")
        if not isinstance(grads, list):
            raise StudentError("the gradient gave no readable answer")
        try:
            return [None if g is None else codec.decode(g) for g in grads]
        except Exception:  # noqa: BLE001  (anything the answer provokes: unreadable)
            raise StudentError("the gradient gave no readable answer") from None

    def _callback(self, msg: dict) -> None:
        """Answer a stub in the kernel: a value (or gradient) of one of the
        test's reference functions."""
        prompt = str(msg.get("content", {}).get("prompt", ""))
        if prompt == REQUEST_PROMPT and self.pending is not None:  # the call's request, read once
            text, self.pending = self.pending, None
            self.kc.input(text)
            return
        try:
            if not prompt.startswith(CALLBACK_PREFIX) or not self.swapped:
                raise ValueError("no input is read while grading")
            reply = self._answer(json.loads(prompt[len(CALLBACK_PREFIX) :]))
        except Exception as exc:  # noqa: BLE001  (say what failed, never which test or how)
            reply = {"error": f"the grader's reference function failed ({type(exc).__name__})"}
        self.kc.input(json.dumps(reply))

    def _answer(self, request: dict) -> dict:
        import tensorflow as tf

        if "vjp" in request:
            return {
                "grads": self.callback_tapes.gradients(int(request["vjp"]), request["upstream"])
            }
        fn = self.swapped[str(request["fn"])]
        args, kwargs = codec.decode(request["args"]), codec.decode(request["kwargs"])
        if type(args) is not list or type(kwargs) is not dict:
            raise TypeError("malformed call")
        inputs = [x for x in _leaves((args, kwargs)) if tf.is_tensor(x) and x.dtype.is_floating]
        value, taped = tape.taped(fn, args, kwargs, watch=inputs)
        return {
            "value": codec.encode(value),
            "call": self.callback_tapes.record(taped, value, inputs),
        }


def innermost_exercise(traceback_text: str, exercises: set[str]) -> str | None:
    """The innermost frame of a kernel's traceback (IPython's verbose or
    minimal style) that is one of `exercises`, or None."""
    frames = _FRAME.findall(_ANSI.sub("", traceback_text))
    return next((f for f in reversed(frames) if f in exercises), None)


def _leaves(obj):
    """Leaves in the order `codec.encode` visits them (lists, tuples and
    dicts in their own order)."""
    if isinstance(obj, (list, tuple)):
        for x in obj:
            yield from _leaves(x)
    elif isinstance(obj, dict):
        for x in obj.values():
            yield from _leaves(x)
    else:
        yield obj


class _OutputCollector:
    """Keeps a cell's outputs for the autograded notebook, within a size limit."""

    def __init__(self, outputs: list):
        self.outputs, self.chars, self.dropped = outputs, 0, False

    def __call__(self, msg: dict) -> None:
        kind, content = msg["header"]["msg_type"], msg.get("content", {})
        if kind == "clear_output":
            self.outputs.clear()
            self.chars = 0
            return
        if kind == "stream":
            out = {
                "output_type": "stream",
                "name": "stderr" if content.get("name") == "stderr" else "stdout",
                "text": str(content.get("text", "")),
            }
        elif kind in ("display_data", "execute_result"):
            # text and raster images only: a TA's browser shows them in formgrader (sanitize.py)
            out = {
                "output_type": kind,
                "data": sanitize.output_data(content.get("data")),
                "metadata": {},
            }
            if kind == "execute_result":
                count = content.get("execution_count")
                out["execution_count"] = count if type(count) is int else None
        elif kind == "error":
            out = error_output(
                content.get("ename", "Error"),
                content.get("evalue", ""),
                content.get("traceback", []),
            )
        else:
            return
        size = len(json.dumps(out))
        if self.chars + size > OUTPUT_CHARS_PER_CELL or len(self.outputs) >= OUTPUTS_PER_CELL:
            if not self.dropped:
                self.outputs.append(
                    {
                        "output_type": "stream",
                        "name": "stderr",
                        "text": "[more output than the grader keeps was left out]\n",
                    }
                )
                self.dropped = True
            return
        self.chars += size
        if (
            out["output_type"] == "stream"
            and self.outputs
            and self.outputs[-1].get("output_type") == "stream"
            and self.outputs[-1]["name"] == out["name"]
        ):
            self.outputs[-1]["text"] += out["text"]
        else:
            self.outputs.append(out)


def error_output(ename: str, evalue: str, traceback: list | None = None) -> dict:
    return {
        "output_type": "error",
        "ename": str(ename),
        "evalue": str(evalue),
        "traceback": [str(t) for t in (traceback or [f"{ename}: {evalue}"])][:50],
    }


class StudentError(Exception):
    """The student's function failed: `kind` says how (kernel_server.ERROR_KINDS): it raised (the
    message, theirs, is "Type: text"), raised NotImplementedError (not done yet), or answered what
    cannot cross (the message is a sentence about the function)."""

    def __init__(self, message: str, kind: str = ANSWER):
        super().__init__(message)
        self.kind = kind


class StudentTimeout(StudentError):
    """The student's function ran past its time limit and was stopped."""


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
            return {"t": "var", "v": codec.encode(obj.numpy())}
        if isinstance(obj, keras.Model):
            token = self._token(obj)
            self.sent.add(token)
            v = {"token": token, "weights": [codec.encode(w) for w in obj.get_weights()]}
            if token not in self.configured:
                v["config"] = obj.to_json()
                self.configured.add(token)
            return {"t": "mirror", "v": v}
        if isinstance(obj, keras.optimizers.Optimizer):
            return {
                "t": "opt",
                "v": {"token": self._token(obj), "config": keras.optimizers.serialize(obj)},
            }
        return None

    def decode_hook(self, t: str, v, kernel: "Kernel"):
        if t == "remote":
            return _remote_model(kernel, v)
        if (
            t != "model"
            or not isinstance(v, dict)
            or not isinstance(v.get("config"), str)
            or not isinstance(v.get("weights"), list)
        ):
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
        except Exception as exc:  # noqa: BLE001  (a student's configuration may provoke anything in Keras)
            raise TypeError(
                f"a model the grader can't rebuild outside your kernel ({type(exc).__name__}: "
                f"{str(exc)[:200]})"
            ) from None
        if not isinstance(model, keras.Model):
            raise TypeError("something that is not a Keras model")
        weights = [codec.decode(w) for w in v["weights"]]
        _set_weights(model, weights, "a model whose weights do not fit its layers")
        return model

    def update_weights(self, name: str, weights: dict) -> None:
        if not isinstance(weights, dict):
            raise StudentError(f"{name} returned an unreadable answer")
        for token, arrays in weights.items():
            model = self.objects.get(token) if token in self.sent else None
            # only models passed in now
            if not hasattr(model, "get_weights") or not isinstance(arrays, list):
                raise StudentError(f"{name} returned an unreadable answer")
            _set_weights(
                model,
                [codec.decode(a) for a in arrays],
                f"{name} changed the layers of a model passed to it (its weights no longer fit)",
            )


def _without_compile(node, depth: int = 0):
    """A model configuration without its compile settings (losses, metrics, optimiser): a rebuilt
    model only needs its layers, and compiling would deserialize more objects."""
    if depth > 100:
        raise ValueError("nested too deeply")
    if isinstance(node, dict):
        return {k: _without_compile(x, depth + 1) for k, x in node.items() if k != "compile_config"}
    if isinstance(node, list):
        return [_without_compile(x, depth + 1) for x in node]
    return node


def _remote_model(kernel: "Kernel", v):
    """A model that stays in the kernel (subclassed, or with custom
    layers): calls go there, and its layers are described by copies of
    those built from tf.keras layers (others appear as plain `Layer`s)."""
    import keras

    from aekit.checks import model_problem

    if (
        not isinstance(v, dict)
        or not isinstance(v.get("token"), str)
        or not isinstance(v.get("layers"), list)
    ):
        raise TypeError("an unreadable model")
    parts = []
    for i, part in enumerate(v["layers"][:1000]):
        layer = None
        try:
            config = _without_compile(json.loads(part["config"]))
            if model_problem(config) is None:
                layer = keras.saving.deserialize_keras_object(config, safe_mode=True)
                if isinstance(layer, keras.layers.Layer) and layer.built:
                    weights = [codec.decode(w) for w in part["weights"]]
                    if [w.shape for w in weights] == [w.shape for w in layer.get_weights()]:
                        layer.set_weights(weights)
        except Exception:  # (a kernel's description may provoke anything: a plain Layer then)
            log.debug(
                "a layer of a model kept in the kernel is shown as a plain Layer", exc_info=True
            )
            layer = None
        if not isinstance(layer, keras.layers.Layer):
            layer = keras.layers.Layer(name=f"aekit_custom_{i}")
        parts.append(layer)
    return _RemoteModel.create(kernel, v["token"], str(v.get("name", "model"))[:100], parts)


class _RemoteModel:
    """Builds the keras.Model subclass lazily (Keras is imported only when a check needs it)."""

    cls = None

    @classmethod
    def create(cls, kernel, token, name, parts):
        if cls.cls is None:
            import keras

            class RemoteModel(keras.Model):
                def __init__(self, kernel, token, name, parts):
                    super().__init__(
                        name="".join(c if c.isalnum() or c == "_" else "_" for c in name) or "m"
                    )
                    self.parts = parts
                    object.__setattr__(self, "_aekit_kernel", kernel)
                    object.__setattr__(self, "_aekit_token", token)
                    self.built = True

                def call(self, inputs, training=None):
                    kwargs = {} if training is None else {"training": training}
                    value, _, _ = self._aekit_kernel.call(
                        f"the model of {self.name}", (inputs,), kwargs, [], target=self._aekit_token
                    )
                    return value

            cls.cls = RemoteModel
        return cls.cls(kernel, token, name, parts)


def _set_weights(model, weights: list, message: str) -> None:
    import numpy as np

    current = model.get_weights()
    if len(weights) != len(current) or any(
        not isinstance(w, np.ndarray) or w.shape != c.shape
        for w, c in zip(weights, current, strict=True)
    ):
        raise StudentError(message)
    model.set_weights(weights)


class Proxy:
    """Stands in for an exercise function in the trusted namespace: each
    call runs in the student's kernel."""

    def __init__(self, session: "Session", name: str):
        self._session, self.__name__ = session, name

    @property
    def compiled_in_kernel(self):
        """This exercise compiled with tf.function in the student's kernel
        (`aekit.checks.compiled`)."""
        return lambda *args, **kwargs: self._call(args, kwargs, compiled=True)

    def __call__(self, *args, **kwargs):
        return self._call(args, kwargs)

    def _call(self, args: tuple, kwargs: dict, compiled: bool = False):
        import numpy as np

        session = self._session
        rngs = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
        swaps: dict = {}
        try:
            swaps = session.swaps()
            value, call, variables = session.kernel.call(
                self.__name__, args, kwargs, rngs, swaps=swaps, compiled=compiled
            )
            if swaps and _has_text(value):
                raise StudentError(f"{self.__name__} returned text")
            if call is not None:
                value = _differentiable(session.kernel, value, call, variables)
            return value
        except StudentError as exc:
            if isinstance(exc, StudentTimeout):
                raise AssertionError(str(exc)) from None
            if exc.kind == NOT_IMPLEMENTED:
                raise NotImplementedError(str(exc)) from None
            if swaps:  # the kernel held the test's reference functions: report no text of its own
                raise AssertionError(
                    f"{self.__name__} raised an error while the test used its reference versions "
                    f"of {', '.join(sorted(swaps))} (run this test in your notebook to see it)"
                ) from None
            if exc.kind == RAISED:
                raise AssertionError(f"{self.__name__} raised {exc}") from None
            raise AssertionError(str(exc)) from None


def _has_text(value, depth: int = 0) -> bool:
    if isinstance(value, str):
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return (
        isinstance(value, (list, tuple))
        and depth < 30
        and any(_has_text(v, depth + 1) for v in value)
    )


def _differentiable(kernel: "Kernel", value, call: int, variables: list):
    """`value` (computed in the kernel from copies of `variables`), joined
    to the tape with the kernel's gradient."""
    import tensorflow as tf

    flat = tf.nest.flatten(value)
    if not variables or not flat or not all(tf.is_tensor(x) and x.dtype.is_floating for x in flat):
        return value  # not differentiable data: the test's own checks say what is wrong
    return tape.joined(
        variables,
        lambda: value,
        lambda upstream: kernel.vjp(call, upstream),
        refuse=lambda: StudentError("the gradient gave no readable answer"),
    )


class Session:
    """What the proxies of one submission share: the kernel, the test cell's namespace."""

    def __init__(self, kernel: Kernel, names: list[str]):
        self.kernel, self.names = kernel, names
        self.ns: dict = {}

    def swaps(self) -> dict:
        """Exercises the test cell replaced by its own functions: name ->
        that (trusted) function."""
        return {
            n: f
            for n in self.names
            if (f := self.ns.get(n)) is not None and not isinstance(f, Proxy) and callable(f)
        }
