"""Leaves a process behind that keeps forking (a new pid every few milliseconds) to outlive its job, reading later students' files if it can."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
import time as _time
BREACHED = False
if _os.fork() == 0:
    try:
        _os.setsid()
        _end = _time.time() + 900
        while _time.time() < _end:
            if _os.fork() != 0:
                _os._exit(0)  # the parent leaves: the implant lives on under a new pid
            for _d in ("/work", "/tmp", "/run/aekit"):
                try:
                    _os.listdir(_d)
                except OSError:
                    pass
            _time.sleep(0.01)
    finally:
        _os._exit(0)
