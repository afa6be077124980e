"""Walks up from its working folder (and through /proc) looking for classmates' notebooks, gradebooks, the grader's job files and the unpacked class."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
BREACHED = False
_seen = set()
_interesting = ("gradebook", "request.json", "result.json", "sandbox.json", ".ipynb", "unpacked", "submitted",
                "autograded", ".state", "grades.csv", "solutions")
_starts = [_os.getcwd(), "/proc/self/cwd/..", "/proc/1/cwd", "/proc/1/root", "/"]
for _start in _starts:
    _path = _start
    for _ in range(12):
        try:
            for _entry in _os.scandir(_path):
                if any(_k in _entry.name for _k in _interesting) and _entry.path not in _seen:
                    _seen.add(_entry.path)
                    BREACHED = True
        except OSError:
            pass
        _path = _os.path.join(_path, "..")
import sys as _sys
_python = tuple({_sys.prefix, _sys.base_prefix})  # the Python installation: packages' own data files
for _top in ("/work", "/tmp", "/run", "/var", "/root", "/home"):
    for _dirpath, _dirs, _files in _os.walk(_top):
        if _dirpath.startswith(_python):
            continue
        for _f in _files:
            if _f.endswith((".ipynb", ".db", ".csv")) or _f in ("request.json", "result.json", "sandbox.json"):
                BREACHED = True
                print("found", _os.path.join(_dirpath, _f))
