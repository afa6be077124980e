"""Sends SIGKILL to its parent and every process it can see."""
EXPECT_STATUS = "graded"
EXPECT_FULL = True

# %% attack
import os as _os
import signal as _sig
BREACHED = False
for _pid in [int(p) for p in _os.listdir("/proc") if p.isdigit()]:
    if _pid == _os.getpid():
        continue
    try:
        _os.kill(_pid, _sig.SIGKILL)
        BREACHED = True
    except OSError:
        pass
