"""The typed boundaries between the grader's processes
(autograder/messages.py, zygotelink.py) and the typed reasons a kernel is gone
or a student's function failed (kernelproc.Gone, calls.StudentError.kind).

No kernel, no TensorFlow: each message's round trip and refusals, the zygote's socket protocol
against a small stand-in zygote, and the grading run's verdicts with a stand-in kernel."""

import json
import os
import pathlib
import socket
import subprocess
import sys
import threading

import pytest

from autograder import calls, cells, kernel_server, pipeline, zygotelink
from autograder.cells import Plan
from autograder.kernelproc import Gone, KernelGone
from autograder.messages import (
    Exited,
    GradingRequest,
    KernelStart,
    Limits,
    MessageError,
    RunnerStart,
    SandboxConfig,
    Started,
    zygote_request_from_json,
    zygote_request_to_json,
)
from autograder.paths import REPO
from autograder.results import MESSAGE_LIMIT

REQUEST = GradingRequest(
    assignment="01_conv_as_matrix",
    source="/c/source/01.ipynb",
    submission="/j/01.ipynb",
    timeout=300.0,
    call_seconds=30.0,
    result="/j/result.json",
    autograded="/j/autograded.ipynb",
    cwd="/j",
    cgroups={"memory": "/sys/fs/cgroup/memory/aekit-1-1/runner"},
    kernel_env={"PATH": "/usr/bin", "AEKIT_KERNEL_IP": "/j/ipc/k"},
)
CONFIG = SandboxConfig(
    limits=Limits(memory_bytes=2 * 1024**3, threads=1, cpu_share=1.5),
    uid=61001,
    sock_dir="/base/aekit-1-1",
    repo=str(REPO),
    isolated=True,
    cgroups={"pids": "/sys/fs/cgroup/pids/aekit-1-1/kernel"},
    zygote="/base/z.sock",
)


@pytest.fixture(autouse=True)
def _environment_restored(monkeypatch):
    """`run_tests` sets NBGRADER_EXECUTION as the grading run does: this
    process gets its own value back."""
    monkeypatch.setenv("NBGRADER_EXECUTION", os.environ.get("NBGRADER_EXECUTION", ""))


# ---- every message: a round trip through JSON gives it back, equal
# ---------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        REQUEST,
        CONFIG,
        Limits(),
        Started(41),
        Exited(-9),
        SandboxConfig(limits=Limits(), uid=None, sock_dir="/s", repo="/r", isolated=False),
    ],
    ids=lambda m: type(m).__name__,
)
def test_each_message_comes_back_equal_through_json(message, tmp_path):
    """Does every message survive to_json, json text and from_json (and a
    file: write/read) unchanged?"""
    again = type(message).from_json(json.loads(json.dumps(message.to_json())))
    assert again == message
    message.write(tmp_path / "m.json")
    assert type(message).read(tmp_path / "m.json") == message


def test_the_zygote_requests_come_back_as_their_own_kind():
    """Does a kernel start and a runner start each come back as itself from
    the JSON the zygote reads?"""
    kernel = KernelStart(
        config="/j/sandbox.json",
        connection_file="/tmp/c.json",
        extra=["--debug"],
        env={"PATH": "/usr/bin"},
    )
    runner = RunnerStart(request="/j/request.json", cwd="/j", env={"HOME": "/root/x"})
    for request in (kernel, runner):
        data = json.loads(json.dumps(zygote_request_to_json(request)))
        assert zygote_request_from_json(data) == request
    assert zygote_request_to_json(runner)["kind"] == "runner"


def test_the_limits_inside_the_sandbox_configuration_are_typed():
    """Does the sandbox configuration's `limits` come back as a `Limits`,
    an int given for a float taken as one?"""
    data = CONFIG.to_json()
    data["limits"]["cpu_share"] = 2  # JSON writes 2.0 as 2 from some writers: still a float here
    config = SandboxConfig.from_json(data)
    assert isinstance(config.limits, Limits) and config.limits.cpu_share == 2.0
    assert isinstance(config.limits.cpu_share, float)


# ---- malformed messages: one clear error naming the message and the field
# -------------------------------------


def _without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


@pytest.mark.parametrize(
    "cls, data, words",
    [
        (
            GradingRequest,
            _without(REQUEST.to_json(), "timeout"),
            "GradingRequest lacks the field 'timeout'",
        ),
        (
            GradingRequest,
            {**REQUEST.to_json(), "timeout": "300"},
            "GradingRequest.timeout must be a number, not str",
        ),
        (
            GradingRequest,
            {**REQUEST.to_json(), "timeout": True},
            "GradingRequest.timeout must be a number, not bool",
        ),
        (GradingRequest, {**REQUEST.to_json(), "call_secs": 3}, "unknown field(s): call_secs"),
        (
            GradingRequest,
            {**REQUEST.to_json(), "kernel_env": {"A": 1}},
            "GradingRequest.kernel_env['A'] must be str",
        ),
        (
            GradingRequest,
            {**REQUEST.to_json(), "cgroups": ["memory"]},
            "GradingRequest.cgroups must be an object",
        ),
        (GradingRequest, ["not", "an", "object"], "GradingRequest must be a JSON object, not list"),
        (
            SandboxConfig,
            {**CONFIG.to_json(), "uid": "61001"},
            "SandboxConfig.uid must be int, not str",
        ),
        (
            SandboxConfig,
            {**CONFIG.to_json(), "uid": 61001.0},
            "SandboxConfig.uid must be int, not float",
        ),
        (
            SandboxConfig,
            {**CONFIG.to_json(), "isolated": 1},
            "SandboxConfig.isolated must be bool, not int",
        ),
        (
            SandboxConfig,
            {**CONFIG.to_json(), "limits": {"memory_bytes": "4G"}},
            "SandboxConfig.limits.memory_bytes must be int, not str",
        ),
        (
            SandboxConfig,
            {**CONFIG.to_json(), "limits": {"memory": 1}},
            "SandboxConfig.limits has unknown field(s)",
        ),
        (
            SandboxConfig,
            _without(CONFIG.to_json(), "sock_dir"),
            "SandboxConfig lacks the field 'sock_dir'",
        ),
        (
            KernelStart,
            {"config": "/c", "connection_file": "/f", "extra": "--debug", "env": {}},
            "KernelStart.extra must be a list",
        ),
        (Started, {}, "Started lacks the field 'pid'"),
        (Exited, {"code": "0"}, "Exited.code must be int, not str"),
    ],
)
def test_a_malformed_message_raises_one_clear_error(cls, data, words):
    """Does a missing, unknown or mistyped field (nested ones too) raise MessageError naming the
    message and the field, never a KeyError or TypeError from deeper inside?"""
    with pytest.raises(MessageError) as caught:
        cls.from_json(data)
    assert words in str(caught.value)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("text", [b"", b"{", b"\xff\xfe", b"[" * 100000])
def test_text_that_is_not_json_raises_the_same_error(text, tmp_path):
    """Is a request file that is empty, cut short, not UTF-8 or nested past
    Python's limits a MessageError too?"""
    path = tmp_path / "request.json"
    path.write_bytes(text)
    with pytest.raises(MessageError, match="GradingRequest"):
        GradingRequest.read(path)


@pytest.mark.parametrize(
    "data, words",
    [
        ({"config": "/c"}, "kind must be one of kernel, runner, not None"),
        ({"kind": "shell", "cmd": "sh"}, "not 'shell'"),
        ("runner", "must be a JSON object"),
        (
            {"kind": "runner", "runner": ["/r"], "cwd": "/", "env": {}},
            "RunnerStart has unknown field(s): runner",
        ),
    ],
)
def test_a_zygote_request_of_no_known_kind_is_refused(data, words):
    with pytest.raises(MessageError) as caught:
        zygote_request_from_json(data)
    assert words in str(caught.value)


# ---- the zygote's socket: a stand-in zygote answers, or answers nonsense
# ----------------------------------------


def _stand_in_zygote(path: pathlib.Path, replies: list[bytes], seen: list) -> threading.Thread:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def serve():
        conn, _ = listener.accept()
        seen.append(zygote_request_from_json(json.loads(zygotelink.read_line(conn))))
        for reply in replies:
            conn.sendall(reply)
        conn.close()
        listener.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return thread


def test_the_zygote_protocol_carries_a_request_its_pid_and_its_exit(tmp_path):
    """Does `ask` send the typed request and return the child's pid, and
    `wait_exit` its exit code?"""
    seen: list = []
    thread = _stand_in_zygote(
        tmp_path / "z.sock",
        [Started(4242).dumps().encode() + b"\n", Exited(3).dumps().encode() + b"\n"],
        seen,
    )
    request = RunnerStart(request="/j/request.json", cwd="/j", env={"A": "b"})
    pid, conn = zygotelink.ask(str(tmp_path / "z.sock"), request)
    assert pid == 4242 and zygotelink.wait_exit(conn, 10) == 3
    conn.close()
    thread.join(10)
    assert seen == [request]


@pytest.mark.parametrize(
    "replies, pid, code",
    [
        # a pid that is not a number: no child
        ([b'{"pid": "4242"}\n'], None, None),
        # an exit report of the old shape: unreadable
        ([b'{"pid": 7}\n', b'{"exit": 0}\n'], 7, 1),
        # the zygote went away without a report
        ([b'{"pid": 7}\n'], 7, 1),
    ],
)
def test_a_zygote_answer_that_is_not_a_message_is_never_taken_for_one(tmp_path, replies, pid, code):
    """Is a reply that is not the typed message refused: no child (None),
    or exit code 1 (as when it is gone)?"""
    thread = _stand_in_zygote(tmp_path / "z.sock", replies, [])
    started = zygotelink.ask(str(tmp_path / "z.sock"), RunnerStart(request="/r", cwd="/", env={}))
    if pid is None:
        assert started is None
    else:
        assert started[0] == pid and zygotelink.wait_exit(started[1], 10) == code
        started[1].close()
    thread.join(10)


def test_no_zygote_at_the_socket_gives_no_child(tmp_path):
    assert (
        zygotelink.ask(str(tmp_path / "absent.sock"), RunnerStart(request="/r", cwd="/", env={}))
        is None
    )


def test_waiting_for_an_exit_past_the_timeout_gives_none():
    ours, theirs = socket.socketpair()
    try:
        assert zygotelink.wait_exit(ours, 0.2) is None
    finally:
        ours.close()
        theirs.close()


# ---- the processes that read them: one line and a non-zero exit, never a traceback
# ------------------------------


def test_a_kernel_launcher_given_a_malformed_sandbox_configuration_refuses_to_start(tmp_path):
    """Does `python -m autograder.confine` with a malformed sandbox.json exit 70 (never running a
    kernel unconfined) with one line naming the field?"""
    bad = tmp_path / "sandbox.json"
    bad.write_text(json.dumps({**CONFIG.to_json(), "isolated": "yes"}))
    env = {k: v for k, v in os.environ.items() if k != "AEKIT_RUNNER_PID"}
    done = subprocess.run(
        [sys.executable, "-m", "autograder.confine", str(bad), str(tmp_path / "c.json")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 70
    assert done.stderr.strip().splitlines() == [
        f"sandbox: cannot read {bad}: SandboxConfig.isolated must be bool, not str"
    ]


def test_a_grading_run_given_a_malformed_request_exits_1_without_a_result(tmp_path, capsys):
    path = tmp_path / "request.json"
    path.write_text(json.dumps(_without(REQUEST.to_json(), "cwd")))
    assert pipeline.main([str(path)]) == 1
    assert "GradingRequest lacks the field 'cwd'" in capsys.readouterr().err


# ---- typed reasons: a kernel that is gone, a student's function that failed
# ------------------------------------


@pytest.mark.parametrize(
    "reason, left, status",
    [
        (Gone.DIED, 10.0, "crashed"),
        (Gone.NO_START, 10.0, "crashed"),
        (Gone.TIME_UP, 10.0, "timeout"),
        (Gone.DIED, 0.0, "timeout"),
    ],
)
def test_a_kernel_that_is_gone_makes_its_status_from_its_reason(reason, left, status):
    """Is the status the reason's, whatever the text around it says ("died"
    and "time" both in each)?"""
    assert pipeline.status_of(KernelGone(reason, "it died at the time"), left) == status


class _StandInKernel:
    """What `run_tests` needs of a kernel: its time left and calls, each answered by `answer`."""

    def __init__(self, answer):
        self.answer, self.hung = answer, set()

    def left(self) -> float:
        return 100.0

    def call(self, name, args, kwargs, rngs, swaps=None, compiled=False):
        return self.answer()


def _run_one_test(answer, code="assert f(1) == 1"):
    plan = Plan(
        run=[],
        tests=[cells.TestCell("test_f", 2.0, False, code)],
        exercises=["f"],
        manual=[],
        notes=[],
        notebook={"cells": []},
    )
    results, status = pipeline.run_tests(_StandInKernel(answer), plan, {"cells": []}, 300.0)
    return results[0], status


def _raises(exc):
    def answer():
        raise exc

    return answer


@pytest.mark.parametrize(
    "text",
    [
        "RuntimeError: the kernel died",
        "TimeoutError: time ran out",
        "KernelGone: the notebook's time ran out",
    ],
)
def test_a_student_whose_message_says_died_or_time_keeps_the_status_graded(text):
    """A student's function raising with "died" or "time" in its message: is the notebook still
    `graded` and the test failed with the student's message, never `crashed` or `timeout`?"""
    result, status = _run_one_test(_raises(calls.StudentError(text, kernel_server.RAISED)))
    assert status == "graded"
    assert (result.score, result.message) == (0.0, f"AssertionError: f raised {text}")


def test_a_kernel_that_died_during_a_test_crashes_the_notebook_and_a_timeout_times_it_out():
    result, status = _run_one_test(_raises(KernelGone(Gone.DIED)))
    assert status == "crashed" and result.message.startswith("did not run: the kernel died")
    result, status = _run_one_test(_raises(KernelGone(Gone.TIME_UP)))
    assert status == "timeout" and "time limit" in result.message


def test_not_done_comes_from_the_errors_kind_not_from_its_text():
    """Is an exercise "not done yet" only when the kernel's reply says NotImplementedError was
    raised, and a message that merely starts with "NotImplementedError: " an ordinary failure?"""
    result, _ = _run_one_test(
        _raises(calls.StudentError("NotImplementedError: ", kernel_server.NOT_IMPLEMENTED))
    )
    assert result.message == pipeline.NOT_DONE
    forged = "NotImplementedError: pretend"
    result, _ = _run_one_test(
        _raises(calls.StudentError(f"ValueError: {forged}", kernel_server.RAISED))
    )
    assert result.message == f"AssertionError: f raised ValueError: {forged}"
    assert (
        json.loads(kernel_server.raised_reply(ValueError(forged)))["kind"] == kernel_server.RAISED
    )
    assert (
        json.loads(kernel_server.raised_reply(NotImplementedError()))["kind"]
        == kernel_server.NOT_IMPLEMENTED
    )


@pytest.mark.parametrize(
    "kind, expected",
    [
        ("not_implemented", "not_implemented"),
        ("answer", "answer"),
        ("root", "raised"),
        (None, "raised"),
        ([1], "raised"),
    ],
)
def test_the_kind_a_kernel_reply_claims_is_one_of_the_known_or_raised(kind, expected):
    """The kernel's reply is untrusted: is an unknown kind read as `raised`?"""
    kernel = calls.Kernel.__new__(calls.Kernel)  # no kernel started: only the reading of a reply
    kernel.hung, kernel.call_cap, kernel.swapped, kernel.pending = set(), 5.0, {}, None
    payload = {"error": "ValueError: no", **({} if kind is None else {"kind": kind})}
    kernel._execute = lambda *a, **k: {
        "content": {"user_expressions": {"r": {"data": {"text/plain": repr(json.dumps(payload))}}}}
    }
    with pytest.raises(calls.StudentError) as caught:
        kernel._request("call", {}, "f", name="f")
    assert caught.value.kind == expected and str(caught.value) == "ValueError: no"


# ---- the one runner of a test's code (the grading run's and selftest's)
# ----------------------------------------


def test_the_single_test_runner_reports_each_way_a_test_ends():
    ns: dict = {}
    assert pipeline.run_test("x = 1", "t", ns) == "" and ns["x"] == 1
    assert pipeline.run_test("raise NotImplementedError('mine')", "t", {}) == pipeline.NOT_DONE
    assert pipeline.run_test("assert 1 == 2, 'nope'", "t", {}) == "AssertionError: nope"
    assert pipeline.run_test("1 / 0", "t", {}) == "ZeroDivisionError: division by zero"
    assert len(pipeline.run_test(f"raise ValueError({'v' * 5000!r})", "t", {})) == MESSAGE_LIMIT
    ns = {"gone": _raises(KernelGone(Gone.DIED))}
    with pytest.raises(KernelGone):
        pipeline.run_test("gone()", "t", ns)


def test_only_the_grader_marks_a_cell_stopped():
    """Does the notebook's detail name the cells the grader stopped or did not run, and never a cell
    whose own error merely says "was stopped" or "not run"?"""
    problems = [
        calls.CellProblem("RuntimeError: I was stopped, not run").labelled("cell 3"),
        calls.CellProblem("the cell ran longer than 10 s and was stopped", stopped=True).labelled(
            "fit"
        ),
        calls.CellProblem("cell 9: not run (the cells' time was used up)", stopped=True),
    ]
    assert pipeline.stopped_detail(problems) == (
        "fit: the cell ran longer than 10 s and was stopped; "
        "cell 9: not run (the cells' time was used up)"
    )
    assert pipeline.stopped_detail(problems[:1]) == ""
