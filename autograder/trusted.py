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
  that sends the arguments to that kernel and gets back plain data only
  (NumPy arrays, numbers, strings, lists, tuples, dicts; `tf.Tensor`s come
  back as tensors, `np.random.Generator`s keep their state in step). No
  object of the student's ever reaches this process, so always-equal objects,
  patched comparisons and hidden tracebacks gain nothing.

A marked cell's points are the smaller of nbgrader's and this verdict. Cells
whose exercises take or return Keras models, optimisers or gradient tapes are
not marked: their verdict is nbgrader's alone (see the README).
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
def _aekit_encode(obj, depth=0):
    import base64 as _b64, io as _io
    import numpy as _np
    if depth > 20:
        raise TypeError("nested too deeply")
    if obj is None or type(obj) in (bool, int, float, str):
        return {"t": "py", "v": obj}
    if isinstance(obj, _np.random.Generator):
        return {"t": "rng", "v": obj.bit_generator.state}
    if type(obj) in (list, tuple):
        return {"t": type(obj).__name__, "v": [_aekit_encode(x, depth + 1) for x in obj]}
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {"t": "dict", "v": {k: _aekit_encode(v, depth + 1) for k, v in obj.items()}}
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


def _aekit_decode(data, depth=0, rngs=None):
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
        g = _np.random.Generator(getattr(_np.random, v["bit_generator"])())
        g.bit_generator.state = v
        if rngs is not None:
            rngs.append(g)
        return g
    if t in ("list", "tuple"):
        items = [_aekit_decode(x, depth + 1, rngs) for x in v]
        return items if t == "list" else tuple(items)
    if t == "dict":
        return {str(k): _aekit_decode(x, depth + 1, rngs) for k, x in v.items()}
    if t in ("nd", "np", "tf"):
        arr = _np.load(_io.BytesIO(_b64.b64decode(v)), allow_pickle=False)
        if t == "np":
            return arr[()]
        if t == "tf":
            import tensorflow as _tf
            return _tf.constant(arr)
        return arr
    raise TypeError(f"unknown kind {t!r}")
'''

_SERVER = _CODEC + r'''

def __aekit_call__(request):
    import json as _json
    try:
        req = _json.loads(request)
        rngs = []
        args = _aekit_decode(req["args"], rngs=rngs)
        kwargs = _aekit_decode(req["kwargs"], rngs=rngs)
        fn = globals().get(req["name"])
        if fn is None:
            return _json.dumps({"error": f"NameError: {req['name']} is not defined"})
        try:
            value = fn(*args, **kwargs)
        except BaseException as exc:
            return _json.dumps({"error": f"{type(exc).__name__}: {exc}"[:2000]})
        try:
            out = _aekit_encode(value)
        except TypeError as exc:
            return _json.dumps({"error": f"{req['name']} returned something that is not plain data: {exc}"})
        return _json.dumps({"value": out, "rngs": [g.bit_generator.state for g in rngs]})
    except BaseException as exc:
        return _json.dumps({"error": f"the call failed: {type(exc).__name__}: {exc}"[:2000]})
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

    def call(self, name: str, args: tuple, kwargs: dict, rngs_out: list):
        request = json.dumps({"name": name, "args": encode(list(args)), "kwargs": encode(dict(kwargs))})
        reply = self._execute(f"__aekit_r__ = __aekit_call__({request!r})", {"r": "__aekit_r__"})
        if not self.km.is_alive():
            raise RuntimeError("the student's kernel died")
        try:
            text = reply["content"]["user_expressions"]["r"]["data"]["text/plain"]
            if len(text) > MAX_REPLY_BYTES:
                raise ValueError("reply too large")
            payload = json.loads(ast.literal_eval(text))
        except Exception:
            raise RuntimeError(f"calling {name} gave no readable answer") from None
        if "error" in payload:
            raise StudentError(str(payload["error"])[:2000])
        value = decode(payload["value"])
        states = payload.get("rngs", [])
        if len(states) == len(rngs_out):
            for g, state in zip(rngs_out, states):
                g.bit_generator.state = state
        return value

    def close(self) -> None:
        try:
            self.kc.stop_channels()
        finally:
            self.km.shutdown_kernel(now=True)


class StudentError(Exception):
    """The student's function raised; the message is theirs."""


class Proxy:
    """Stands in for an exercise function in the trusted namespace."""

    def __init__(self, oracle: KernelOracle, name: str):
        self._oracle, self.__name__ = oracle, name

    def __call__(self, *args, **kwargs):
        import numpy as np

        rngs = [a for a in (*args, *kwargs.values()) if isinstance(a, np.random.Generator)]
        try:
            return self._oracle.call(self.__name__, args, kwargs, rngs)
        except StudentError as exc:
            name, _, rest = str(exc).partition(": ")
            if name == "NotImplementedError":
                raise NotImplementedError(rest) from None
            if str(exc).startswith(self.__name__ + " returned"):
                raise AssertionError(str(exc)) from None
            raise AssertionError(f"{self.__name__} raised {exc}") from None


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
        for grade_id, code in cells.items():
            ns = dict(base_ns)
            ns.update({n: Proxy(oracle, n) for n in names})
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
