"""Plain data across the kernel boundary: arrays, tensors, numbers, strings, containers.

Both sides use this module: the trusted process and the student's kernel
(`autograder.kernel_server`). Only plain data is encoded; anything else needs a
`hook` (Keras models, variables), which each side supplies for the kinds it
may send. Decoding builds nothing but NumPy arrays, TensorFlow constants,
Python scalars, containers and NumPy random generators, so no object of the
other side's choosing is ever created.
"""

from __future__ import annotations

import base64
import io
import logging

log = logging.getLogger(__name__)

MAX_DEPTH = 20
BIT_GENERATORS = ("PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64")
HOOK_KINDS = ("model", "remote", "handle", "mirror", "opt", "var")


def encode(obj, depth: int = 0, hook=None):
    """A JSON-ready description of `obj`; `hook(obj)` may describe objects
    first (None: not special)."""
    import numpy as np

    if depth > MAX_DEPTH:
        raise TypeError("nested too deeply")
    if hook is not None:
        special = hook(obj)
        if special is not None:
            return special
    if obj is None or type(obj) in (bool, int, float, str):
        return {"t": "py", "v": obj}
    if isinstance(obj, np.random.Generator):
        return {"t": "rng", "v": obj.bit_generator.state}
    if type(obj) in (list, tuple):
        return {"t": type(obj).__name__, "v": [encode(x, depth + 1, hook) for x in obj]}
    if type(obj) is dict and all(type(k) is str for k in obj):
        return {"t": "dict", "v": {k: encode(v, depth + 1, hook) for k, v in obj.items()}}
    kind = "nd"
    if type(obj).__module__.startswith(("tensorflow", "keras")) and hasattr(obj, "numpy"):
        obj, kind = obj.numpy(), "tf"
    if isinstance(obj, np.generic):
        obj, kind = np.asarray(obj), ("tf" if kind == "tf" else "np")
    if type(obj) is np.ndarray and obj.dtype.kind in "biufc":
        buf = io.BytesIO()
        np.save(buf, obj, allow_pickle=False)
        return {"t": kind, "v": base64.b64encode(buf.getvalue()).decode("ascii")}
    raise TypeError(f"a {type(obj).__module__}.{type(obj).__qualname__} is not plain data")


def decode(data, depth: int = 0, rngs: list | None = None, hook=None):
    """The value `encode` described; `rngs` collects the random generators
    made; `hook(t, v)` decodes HOOK_KINDS.

    Raises:
        TypeError: the description is malformed or of a kind this side does not accept.
    """
    import numpy as np

    if depth > MAX_DEPTH or type(data) is not dict:
        raise TypeError("malformed value")
    t, v = data.get("t"), data.get("v")
    if t == "py":
        if v is not None and type(v) not in (bool, int, float, str):
            raise TypeError("malformed value")
        return v
    if t == "rng":
        if type(v) is not dict or v.get("bit_generator") not in BIT_GENERATORS:
            raise TypeError("malformed value")
        g = np.random.Generator(getattr(np.random, v["bit_generator"])())
        g.bit_generator.state = v
        if rngs is not None:
            rngs.append(g)
        return g
    if t in ("list", "tuple"):
        if type(v) is not list:
            raise TypeError("malformed value")
        items = [decode(x, depth + 1, rngs, hook) for x in v]
        return items if t == "list" else tuple(items)
    if t == "dict":
        if type(v) is not dict:
            raise TypeError("malformed value")
        return {str(k): decode(x, depth + 1, rngs, hook) for k, x in v.items()}
    if t in ("nd", "np", "tf"):
        if type(v) is not str:
            raise TypeError("malformed value")
        arr = np.load(io.BytesIO(base64.b64decode(v)), allow_pickle=False)
        if type(arr) is not np.ndarray or arr.dtype.kind not in "biufc":
            raise TypeError("malformed value")
        if t == "np":
            return arr[()]
        if t == "tf":
            import tensorflow as tf

            return tf.constant(arr)
        return arr
    if hook is not None and t in HOOK_KINDS:
        return hook(t, v)
    raise TypeError(f"unknown kind {t!r}")
