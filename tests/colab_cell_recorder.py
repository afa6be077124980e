"""Run the Colab setup cell (aekit/colab_cell.py) with pip recorded instead
of run (tests/test_colab.py).

    python tests/colab_cell_recorder.py --fake-colab-module | --no-colab

aekit counts as not installed (this checkout's is), `subprocess.run` only records its arguments, and
with `--fake-colab-module` a `google.colab` module is imported first, as in a Colab kernel. The last
line printed is JSON: {"pip": [the argument lists pip was called with],
"printed": what the cell printed}.
"""

import contextlib
import importlib.util
import io
import json
import pathlib
import subprocess
import sys
import types

CELL = pathlib.Path(__file__).resolve().parent.parent / "aekit" / "colab_cell.py"

if __name__ == "__main__":
    if sys.argv[1:] == ["--fake-colab-module"]:
        sys.modules["google"] = types.ModuleType("google")
        sys.modules["google.colab"] = types.ModuleType("google.colab")
    calls = []
    subprocess.run = lambda args, **kw: (
        calls.append(list(args)) or subprocess.CompletedProcess(args, 0)
    )
    real_find_spec = importlib.util.find_spec
    importlib.util.find_spec = lambda name, *a: (
        None if name == "aekit" else real_find_spec(name, *a)
    )
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(CELL.read_text(encoding="utf-8"), str(CELL), "exec"), {"__name__": "__main__"})  # noqa: S102  (the kit's own cell)
    print(json.dumps({"pip": calls, "printed": printed.getvalue()}))
