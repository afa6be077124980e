"""Grading on a real cgroup v2 kernel (issue 25): a class of notebook 04 graded inside a Linux guest
whose only cgroup hierarchy is the unified one, in each place a v2 grader finds itself.

The guest is Debian's user-mode-linux where it can run Python on this machine, else
Debian's own kernel (linux-image-amd64) in QEMU; both boot this machine's root
read-only (hostfs, or a read-only 9p share) with tests/uml/guest_init.sh as init, which
mounts cgroup2 and writable tmpfs folders, puts the grader in the place asked for,
grades, and writes what is left into a report folder shared with the host. Only `make
test-cgroup2` (pytest -m cgroup2) runs these tests: each boot grades for minutes.

user-mode-linux 6.1 (Debian bookworm) cannot run a process on a CPU whose extended register state is
larger than it expects (AMX: the host refuses its PTRACE_SETREGSET, "ptrace set fp regs failed,
errno = 14"); the test then uses QEMU, under KVM where AEKIT_VM_ACCEL=kvm says it works, else under
TCG (slower, but the same kernel).
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from autograder import selftest

pytestmark = [pytest.mark.cgroup2, pytest.mark.slow]

A = "04_gaussian_generative_models"
HERE = pathlib.Path(__file__).parent
GUEST_INIT = HERE / "uml" / "guest_init.sh"
ATTACKS = HERE / "attacks"
PYTHON = sys.executable  # the guest sees the same path (the host's root, read-only)
# one guest's whole life: boot, a class of five notebooks under QEMU's TCG, power-off
BOOT_SECONDS = 3600
# `grade --timeout`: a notebook's limit in the (slow) guest. The honest student takes about 90 s
# alone on an idle machine, but took 925 s beside another guest on a machine at load 15 to 24
NOTEBOOK_SECONDS = 1500
# `grade --call-timeout`: one call's or cell's limit (30 s on the host; TCG is ~10x slower)
CALL_SECONDS = 150
MODULES = (
    "virtio",
    "virtio_ring",
    "virtio_pci_modern_dev",
    "virtio_pci_legacy_dev",
    "virtio_pci",
    "netfs",
    # what the guest kernel needs for its 9p root (the order)
    "fscache",
    "9pnet",
    "9pnet_virtio",
    "9p",
)
INITRAMFS_INIT = pathlib.Path(HERE / "uml" / "initramfs_init.sh")
# top folders the guest has of its own (initramfs_init.sh, guest_init.sh): a checkout under one of
# them is out of its sight; any other top folder, the checkout's, is bound from the host
GUEST_OWN_TOPS = ("tmp", "run", "proc", "sys", "dev", "host")
CHECKOUT_TOP = HERE.resolve().parts[1]


@dataclasses.dataclass
class GuestRun:
    """What one guest reported: `grade`'s exit status and output, the
    results, and what was left after."""

    rc: int | None
    stderr: str
    grades: dict[str, dict]  # student id -> grades.csv row of notebook 04
    tests: dict[str, list]  # student id -> tests.csv rows of notebook 04
    processes: list[str]
    cgroups: list[str]
    files: list[str]
    subtree_control: str
    log: str


# ---- the class
# ----------------------------------------------------------------------------------------------


def _attack(name: str) -> dict:
    """The reference notebook with tests/attacks/NAME.py run first in its first exercise cell."""
    case = selftest.load_case(ATTACKS / f"{name}.py")
    exercise, code = next(iter(selftest.solution_sources(A).items()))
    return selftest.build_submission(A, {exercise: f"{case.overrides['attack']}\n{code}"})


def make_class(folder: pathlib.Path, students: list[str]) -> pathlib.Path:
    exercise = next(iter(selftest.solution_sources(A)))
    notebooks = {
        "honest": lambda: selftest.build_submission(A),
        "memory_hog": lambda: _attack("memory_hog"),
        "fork_bomb": lambda: _attack("fork_bomb"),
        "forking_implant": lambda: _attack("pid_hopping_implant"),
        "cell_never_ends": lambda: selftest.build_submission(
            A, {exercise: "while True:\n    pass\n"}
        ),
    }
    for sid in students:
        (folder / sid).mkdir(parents=True)
        (folder / sid / f"{A}.ipynb").write_text(json.dumps(notebooks[sid]()), encoding="utf-8")
    os.chmod(folder, 0o755)
    return folder


# ---- booting a guest
# ------------------------------------------------------------------------------------------


def _guest_env(place: str, klass: str) -> list[str]:
    """init's parameters (the kernel hands each NAME=VALUE of its command
    line it does not know to init)."""
    return [
        f"AEKIT_GUEST_PLACE={place}",
        f"AEKIT_GUEST_CLASS={klass}",
        f"AEKIT_GUEST_PYTHON={PYTHON}",
        f"AEKIT_GUEST_TIMEOUT={NOTEBOOK_SECONDS}",
        f"AEKIT_GUEST_CALL_TIMEOUT={CALL_SECONDS}",
    ]


def _last_console_problem(console: str) -> str:
    lines = [ln.strip() for ln in console.splitlines() if ln.strip() and not ln.startswith(" [<")]
    bad = [
        ln
        for ln in lines
        if any(w in ln for w in ("failed", "panic", "segfault", "Kernel", "Error"))
    ]
    return (bad or lines or ["no console output"])[0 if bad else -1][:300]


def uml_problem(tmp: pathlib.Path) -> str | None:
    """Why user-mode-linux cannot grade here (None: it boots and runs this Python)."""
    uml = shutil.which("linux.uml")
    if uml is None:
        return "user-mode-linux is not installed (apt-get install user-mode-linux)"
    report = tmp / "uml-probe"
    report.mkdir()
    try:
        proc = subprocess.run(
            [
                uml,
                "mem=1G",
                "rootfstype=hostfs",
                "rootflags=/",
                "ro",
                f"init={GUEST_INIT}",
                f"AEKIT_GUEST_OUT={report}",
                f"AEKIT_GUEST_PYTHON={PYTHON}",
                "AEKIT_GUEST_PLACE=probe",
                "con=null",
                "con0=fd:0,fd:1",
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=120,
        )
        console = proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        console = f"{exc.stdout or ''} (no power-off within 120 s)"
    probe = report / "probe"
    if probe.exists() and probe.read_text().strip() == "0":
        return None
    return (
        f"user-mode-linux {'ran init but not Python' if probe.exists() else 'did not run init'}: "
        + _last_console_problem(
            console if isinstance(console, str) else console.decode(errors="replace")
        )
    )


def _kernel() -> tuple[pathlib.Path, str] | None:
    for image in sorted(pathlib.Path("/boot").glob("vmlinuz-*"), reverse=True):
        release = image.name[len("vmlinuz-") :]
        if (pathlib.Path("/lib/modules") / release / "kernel" / "fs" / "9p").is_dir():
            return image, release
    return None


def qemu_problem() -> str | None:
    if shutil.which("qemu-system-x86_64") is None:
        return "QEMU is not installed (apt-get install --no-install-recommends qemu-system-x86)"
    if _kernel() is None:
        return (
            "no Debian kernel with its modules in /boot (apt-get install "
            "--no-install-recommends linux-image-amd64)"
        )
    if not pathlib.Path("/bin/busybox").is_file():
        return "no /bin/busybox for the guest's first stage (apt-get install busybox-static)"
    if shutil.which("cpio") is None:
        return "no cpio to pack the guest's first stage (apt-get install cpio)"
    return None


def _initramfs(tmp: pathlib.Path, release: str) -> pathlib.Path:
    """The guest's first stage: busybox, the 9p modules, and an init that
    mounts the host's root and switches."""
    root = tmp / "initramfs"
    for d in ("bin", "modules", "proc", "dev", "newroot"):
        (root / d).mkdir(parents=True)
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    order = []
    for module in MODULES:
        path = subprocess.run(
            ["modinfo", "-k", release, "-n", module], capture_output=True, text=True
        ).stdout.strip()
        if path:  # built into some kernels
            shutil.copy(path, root / "modules")
            order.append(pathlib.Path(path).name)
    (root / "modules" / "order").write_text("\n".join(order) + "\n")
    shutil.copy(INITRAMFS_INIT, root / "init")
    os.chmod(root / "init", 0o755)
    out = tmp / "initramfs.cpio"
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    with open(out, "wb") as f:
        subprocess.run(
            ["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=files, stdout=f, check=True
        )
    return out


def boot(tmp: pathlib.Path, place: str, klass: pathlib.Path, how: str) -> GuestRun:
    """Boot a guest (`how`: "uml" or "qemu") that grades `klass` from `place`; what it reported."""
    report = tmp / f"report-{place}"
    report.mkdir()
    if how == "uml":
        cmd = [
            "linux.uml",
            "mem=4G",
            "rootfstype=hostfs",
            "rootflags=/",
            "ro",
            f"init={GUEST_INIT}",
            f"AEKIT_GUEST_OUT={report}",
            *_guest_env(place, str(klass)),
            "con=null",
            "con0=fd:0,fd:1",
        ]
    else:
        image, release = _kernel()
        accel = (
            ["-enable-kvm", "-cpu", "host"]
            if os.environ.get("AEKIT_VM_ACCEL") == "kvm"
            else ["-accel", "tcg", "-cpu", "max"]
        )
        cmd = [
            "qemu-system-x86_64",
            *accel,
            "-m",
            "4G",
            "-smp",
            "2",
            "-nographic",
            "-no-reboot",
            "-monitor",
            "none",
            "-serial",
            f"file:{tmp / f'console-{place}.log'}",
            "-kernel",
            str(image),
            "-initrd",
            str(_initramfs(tmp / place, release)),
            "-append",
            " ".join(
                [
                    "console=ttyS0",
                    "quiet",
                    "panic=-1",
                    f"AEKIT_GUEST_INIT={GUEST_INIT}",
                    f"AEKIT_GUEST_TOP={CHECKOUT_TOP}",
                    "AEKIT_GUEST_OUT_TAG=out",
                    *_guest_env(place, f"/host{klass}"),
                ]
            ),
            "-virtfs",
            "local,path=/,mount_tag=root,security_model=passthrough,readonly=on",
            "-virtfs",
            f"local,path={report},mount_tag=out,security_model=passthrough",
        ]
    subprocess.run(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=BOOT_SECONDS,
    )

    def text(name: str) -> str:
        path = report / name
        return path.read_text(errors="replace") if path.exists() else ""

    grades, tests = {}, {}
    if (report / "grades.csv").exists():
        with open(report / "grades.csv", encoding="utf-8", newline="") as f:
            grades = {r["student_id"]: r for r in csv.DictReader(f) if r["notebook"] == A}
        with open(report / "tests.csv", encoding="utf-8", newline="") as f:
            for r in csv.DictReader(f):
                tests.setdefault(r["student_id"], []).append(r)
    rc = text("rc").strip()
    return GuestRun(
        int(rc) if rc else None,
        text("grade.err"),
        grades,
        tests,
        text("processes").split("\n"),
        text("cgroups").split(),
        text("files").split(),
        text("subtree_control").strip(),
        text("guest.log"),
    )


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    """How guests boot here ("uml" or "qemu"); skips, saying exactly why, where neither can. Fails
    in one line for a checkout the guest cannot see: under a top folder the guest has of its own
    (its /tmp, say; tests/uml/initramfs_init.sh binds the checkout's top folder otherwise)."""
    if CHECKOUT_TOP in GUEST_OWN_TOPS:
        pytest.fail(
            f"the cgroup v2 guest cannot see a checkout under /{CHECKOUT_TOP} (it has a "
            f"/{CHECKOUT_TOP} of its own): clone the repository elsewhere, e.g. under /work, and "
            "run make test-cgroup2 there"
        )
    tmp = tmp_path_factory.mktemp("guest-probe")
    uml = uml_problem(tmp)
    if uml is None:
        return "uml"
    qemu = qemu_problem()
    if qemu is None:
        return "qemu"
    pytest.skip(f"no cgroup v2 guest can boot here: {uml}; {qemu}")


def run_class(tmp_path_factory, guest: str, place: str, students: list[str]) -> GuestRun:
    tmp = tmp_path_factory.mktemp(f"cgroup2-{place}")
    os.chmod(tmp, 0o755)
    return boot(tmp, place, make_class(tmp / "class", students), guest)


CLASS = ["honest", "memory_hog", "fork_bomb", "forking_implant", "cell_never_ends"]


@pytest.fixture(scope="module")
def root_run(tmp_path_factory, guest):
    return run_class(tmp_path_factory, guest, "root", CLASS)


def nothing_left(run: GuestRun) -> None:
    assert [p for p in run.processes if p.strip()] == [], f"processes left: {run.processes}"
    assert run.cgroups == [], f"cgroups left: {run.cgroups}"
    assert run.files == [], f"files left: {run.files}"


def full_marks(run: GuestRun, sid: str) -> bool:
    """Graded, with every automatically graded test passed (the manually
    graded points wait for a TA)."""
    auto = [r for r in run.tests.get(sid, []) if not r["manual"]]
    return (
        run.grades[sid]["status"] == "graded"
        and bool(auto)
        and all(float(r["score"]) == float(r["max_score"]) for r in auto)
    )


def test_a_class_is_graded_and_every_attacker_contained_on_cgroup2(root_run):
    """From the root cgroup of a cgroup v2 kernel: does the honest student keep
    full marks, the memory bomb end `crashed` with 0 and the reason, the fork bomb,
    the implant that keeps forking after its cell and the cell that never ends each
    cost only their own points, and is nothing of any job left afterwards?"""
    run = root_run
    assert run.rc == 0, f"grade failed in the guest: {run.stderr[-2000:]}\n{run.log[-2000:]}"
    assert set(run.grades) == set(CLASS), run.grades
    assert full_marks(run, "honest"), (run.grades["honest"], run.tests.get("honest"))
    hog = run.grades["memory_hog"]
    assert hog["status"] == "crashed" and float(hog["score"]) == 0, hog
    assert "GB of memory" in hog["detail"], hog
    assert run.grades["fork_bomb"]["status"] == "graded", run.grades["fork_bomb"]
    assert full_marks(run, "forking_implant"), (
        run.grades["forking_implant"],
        run.tests.get("forking_implant"),
    )
    hang = run.grades["cell_never_ends"]
    assert hang["status"] == "graded" and 0 < float(hang["score"]) < float(hang["max_score"]), hang
    assert "was stopped" in hang["detail"], hang
    nothing_left(run)


def test_a_delegated_cgroup_is_used_and_given_back(tmp_path_factory, guest):
    """A grader in a cgroup of its own given memory, pids and cpu (what `systemd-run --scope -p
    Delegate=yes` gives): are the honest student and the memory bomb graded as on the root, and is
    the cgroup given back as it was (no job, no leaf, no controller left enabled below it)?"""
    run = run_class(tmp_path_factory, guest, "delegated", ["honest", "memory_hog"])
    assert run.rc == 0, f"grade failed in the guest: {run.stderr[-2000:]}\n{run.log[-2000:]}"
    assert full_marks(run, "honest") and run.grades["memory_hog"]["status"] == "crashed", run.grades
    nothing_left(run)


def test_a_containers_own_cgroup_namespace_is_used_and_given_back(tmp_path_factory, guest):
    """At the root of a cgroup namespace of its own (a Docker or Podman
    container on a v2 host): the same?"""
    run = run_class(tmp_path_factory, guest, "container", ["honest", "memory_hog"])
    assert run.rc == 0, f"grade failed in the guest: {run.stderr[-2000:]}\n{run.log[-2000:]}"
    assert full_marks(run, "honest") and run.grades["memory_hog"]["status"] == "crashed", run.grades
    nothing_left(run)


def test_without_the_memory_controller_grading_is_refused_in_one_line(tmp_path_factory, guest):
    """The same kernel with the memory controller not delegated to the grader's cgroup: does `grade`
    refuse with exit 2 and one line naming memory and --unsafe, grading nothing?"""
    run = run_class(tmp_path_factory, guest, "nomemory", ["honest"])
    assert run.rc == 2, (run.rc, run.stderr, run.log)
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "memory" in lines[0] and "--unsafe" in lines[0], run.stderr
    assert run.grades == {}


def test_a_killed_grader_leaves_nothing_behind(tmp_path_factory, guest):
    """The grader killed with `kill -9` while a job's kernel runs (its zygote
    then kills every child and empties and removes the jobs' cgroups): is no
    process, cgroup or job folder of it left on the v2 kernel?"""
    run = run_class(tmp_path_factory, guest, "killed", ["honest"])
    assert "killed the grader" in run.log, run.log
    assert run.rc == 137, (run.rc, run.stderr[-2000:])
    nothing_left(run)
