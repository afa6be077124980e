"""Issue 26, hole 3: leaves 1,500 nested folders (and links out) in its socket folder, its home and /tmp, so that
a clean-up that recurses once per level stops the run."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import json as _json
import os as _os
BREACHED = False
_ipc = _os.path.dirname(_json.load(open(".kernel-connection.json"))["ip"])
for _top in (_ipc, _os.getcwd(), "/tmp"):
    try:
        _fd = _os.open(_top, _os.O_RDONLY)
        _os.symlink("/", _os.path.join(_top, "aekit-attack-root-link"))
        for _ in range(1500):
            _os.mkdir("aekit-attack-d", dir_fd=_fd)
            _next = _os.open("aekit-attack-d", _os.O_RDONLY, dir_fd=_fd)
            _os.close(_fd)
            _fd = _next
        _os.close(_fd)
    except OSError:
        pass
