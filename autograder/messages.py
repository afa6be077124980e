"""The messages the grader's processes send each other: one dataclass each,
with `to_json` and `from_json`.

- `GradingRequest`: the launcher (launcher.py) to one notebook's grading
  run (pipeline.py), as the job's `request.json`;
- `SandboxConfig` (with `Limits`): the grader (`sandbox.JobSandbox`) to a kernel's confinement
  (confine.py, zygote.py), as the job's `sandbox.json`;
- `KernelStart` and `RunnerStart`: what the zygote is asked to fork (by a kernel's stand-in,
  confine.py, and by the launcher); `Started` and `Exited`: its two replies. Each is one JSON line
  on the zygote's socket (zygotelink.py).

`from_json` checks every field's type and raises `MessageError` (a
`ValueError`), naming the message and the field, for anything else: a missing
or unknown field, a wrong type. It never fails deeper, with a `KeyError`.

This module is imported on the kernel's side too (confine.py, before any
student code runs): the standard library only.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import pathlib
import types
import typing

log = logging.getLogger(__name__)

# the grading run's pid, for the kernel stand-in it starts (confine.main)
RUNNER_PID_ENV = "AEKIT_RUNNER_PID"
# the kernel's socket path prefix (sandbox.JobSandbox.kernel_env, kernelproc)
KERNEL_IP_ENV = "AEKIT_KERNEL_IP"


class MessageError(ValueError):
    """A message that is not what its dataclass says (missing or unknown
    field, wrong type, not JSON)."""


def _check(hint, value, where: str):
    """`value` as the type `hint` says (int accepted for float), or MessageError."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        kinds = [a for a in args if a is not type(None)]
        for i, kind in enumerate(kinds):
            try:
                return _check(kind, value, where)
            except MessageError:
                if i == len(kinds) - 1:
                    raise
    if dataclasses.is_dataclass(hint):
        return _decode(hint, value, where)
    if origin is dict:
        if not isinstance(value, dict):
            raise MessageError(f"{where} must be an object, not {type(value).__name__}")
        key, item = args
        return {
            _check(key, k, f"{where} key"): _check(item, v, f"{where}[{k!r}]")
            for k, v in value.items()
        }
    if origin is list:
        if not isinstance(value, list):
            raise MessageError(f"{where} must be a list, not {type(value).__name__}")
        return [_check(args[0], v, f"{where}[{i}]") for i, v in enumerate(value)]
    if hint is float:
        if type(value) not in (int, float):
            raise MessageError(f"{where} must be a number, not {type(value).__name__}")
        return float(value)
    if hint in (int, str, bool):
        if type(value) is not hint:
            raise MessageError(f"{where} must be {hint.__name__}, not {type(value).__name__}")
        return value
    # a field this module does not know how to read: our bug
    raise TypeError(f"{where}: no check for {hint!r}")


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def _decode(cls, data, where: str):
    if not isinstance(data, dict):
        raise MessageError(f"{where} must be a JSON object, not {type(data).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise MessageError(f"{where} has unknown field(s): {', '.join(unknown)}")
    values = {}
    for name, field in fields.items():
        if name in data:
            values[name] = _check(_hints(cls)[name], data[name], f"{where}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise MessageError(f"{where} lacks the field {name!r}")
    return cls(**values)


class Message:
    """What every message has: `to_json` (plain data for json.dumps) and `from_json` (checked)."""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data):
        return _decode(cls, data, cls.__name__)

    def dumps(self) -> str:
        return json.dumps(self.to_json())

    @classmethod
    def loads(cls, text: str | bytes):
        try:
            data = json.loads(text)
        # JSONDecodeError and UnicodeDecodeError are ValueErrors
        except (ValueError, RecursionError) as exc:
            raise MessageError(f"{cls.__name__}: not JSON ({str(exc)[:120]})") from None
        return cls.from_json(data)

    def write(self, path: pathlib.Path) -> None:
        pathlib.Path(path).write_text(self.dumps(), encoding="utf-8")

    @classmethod
    def read(cls, path: pathlib.Path):
        """The message in the file `path`; MessageError when it is
        malformed (OSError when it cannot be read)."""
        return cls.loads(pathlib.Path(path).read_bytes())


@dataclasses.dataclass
class Limits(Message):
    """What one job may use (the grader sets them: sandbox.py; the kernel's
    side applies them: confine.py)."""

    wall_seconds: float = 300.0
    cpu_seconds: int = 600
    memory_bytes: int = 4 * 1024**3
    processes: int = 256
    file_bytes: int = 256 * 1024**2
    tmp_bytes: int = 512 * 1024**2
    tmp_inodes: int = 16384  # files and folders each of a kernel's writable places may hold
    open_files: int = 1024
    threads: int = 0  # CPU threads a kernel's TensorFlow and BLAS may use (0: their default)
    cpu_share: float = 0  # cores a job may use at most (cgroup CPU quota; 0: no quota)


@dataclasses.dataclass(frozen=True)
class GradingRequest(Message):
    """One notebook to grade: the launcher writes it as the job's
    `request.json`, the grading run reads it."""

    assignment: str
    source: str  # the run's copy of the source notebook (tests and answers)
    submission: str  # the job's private copy of the submitted notebook
    timeout: float  # the notebook's time limit, seconds
    # the limit of one test call or one cell (`paths.call_seconds` by default)
    call_seconds: float
    result: str  # where the run writes its `results.NotebookResult`
    autograded: str  # where it writes the autograded notebook
    cwd: str  # the job's folder
    # the run's: what it builds counts there
    cgroups: dict[str, str] = dataclasses.field(default_factory=dict)
    # the cgroups holding the student's processes alone
    # (`cgroups.JobCgroups.student`): emptied at a restart
    student_cgroups: dict[str, str] = dataclasses.field(default_factory=dict)
    # what the kernel is started with
    kernel_env: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class SandboxConfig(Message):
    """One job's confinement: `sandbox.JobSandbox` writes it as the job's `sandbox.json`; every
    start of the job's kernel (confine.py, directly or forked from the zygote) reads it."""

    limits: Limits
    uid: int | None  # the kernel's own user id (None: not root, the grader's own)
    # the job's root-owned folder: the kernel's sockets (ipc/), uid-only homes
    sock_dir: str
    # the course checkout whose aekit/, autograder/ and data/ the kernel may read
    repo: str
    isolated: bool  # namespaces and a fresh root (False: uid-only, or not root)
    # the kernel's cgroups, by controller
    cgroups: dict[str, str] = dataclasses.field(default_factory=dict)
    zygote: str | None = None  # the zygote's socket, to fork the kernel from (None: exec it)


@dataclasses.dataclass(frozen=True)
class KernelStart(Message):
    """To the zygote: fork a kernel (the child confines itself as `config`,
    the job's sandbox.json, says)."""

    config: str
    connection_file: str
    extra: list[str]  # more arguments for ipykernel
    env: dict[str, str]
    KIND: typing.ClassVar[str] = "kernel"


@dataclasses.dataclass(frozen=True)
class RunnerStart(Message):
    """To the zygote: fork a grading run (`pipeline.main` of the job's
    request.json) in `cwd`, with `env`."""

    request: str
    cwd: str
    env: dict[str, str]
    KIND: typing.ClassVar[str] = "runner"


ZYGOTE_REQUESTS = {cls.KIND: cls for cls in (KernelStart, RunnerStart)}


def zygote_request_to_json(request: KernelStart | RunnerStart) -> dict:
    """The request as sent: its fields and its kind."""
    return {"kind": request.KIND, **request.to_json()}


def zygote_request_from_json(data) -> KernelStart | RunnerStart:
    """A request to the zygote, of the kind it names; MessageError when it is malformed."""
    if not isinstance(data, dict):
        raise MessageError(f"a zygote request must be a JSON object, not {type(data).__name__}")
    data = dict(data)
    kind = data.pop("kind", None)
    if kind not in ZYGOTE_REQUESTS:
        raise MessageError(
            f"a zygote request's kind must be one of {', '.join(ZYGOTE_REQUESTS)}, not {kind!r}"
        )
    return ZYGOTE_REQUESTS[kind].from_json(data)


@dataclasses.dataclass(frozen=True)
class Started(Message):
    """The zygote's first reply: the child it forked."""

    pid: int


@dataclasses.dataclass(frozen=True)
class Exited(Message):
    """The zygote's second reply: how that child ended (its exit code; minus a signal's number)."""

    code: int
