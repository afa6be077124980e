"""Issue 26, hole 5: leaves a process that called setsid and forked twice (its parent is then 1), to run on after its
job and the grader, reading what later students leave."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
import time as _time
BREACHED = False
if _os.fork() == 0:
    try:
        _os.setsid()
        if _os.fork() == 0:
            _end = _time.time() + 900
            while _time.time() < _end:
                _time.sleep(0.2)
    finally:
        _os._exit(0)
_os.wait()
