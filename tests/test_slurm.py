"""A class graded across a Slurm cluster, really run: Debian's munge and Slurm started here
(slurmctld and slurmd on localhost, one node of 2 CPUs, a configuration of the test's own), the
repository's array script submitted with N = 3 and its merge job after it; the merged tables must
equal one `grade` run of the same class on one machine.

Run with `make test-slurm` (installs slurm-wlm and munge from Debian when
missing); not in the main run.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from autograder.paths import REPO
from tests import scaleout_class

pytestmark = pytest.mark.slurm
N, AT_ONCE = 3, 2
DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "sinfo", "scontrol")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: pathlib.Path, host: str) -> str:
    mem = next(
        int(line.split()[1]) // 1024
        for line in open("/proc/meminfo")
        if line.startswith("MemTotal")
    )
    return "\n".join(
        [
            "ClusterName=aekit-test",
            f"SlurmctldHost={host}(127.0.0.1)",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            f"AuthInfo=socket={root / 'munge.sock'}",
            "CredType=cred/munge",
            f"StateSaveLocation={root / 'state'}",
            f"SlurmdSpoolDir={root / 'spool'}",
            f"SlurmctldPidFile={root / 'slurmctld.pid'}",
            f"SlurmdPidFile={root / 'slurmd.pid'}",
            f"SlurmctldLogFile={root / 'slurmctld.log'}",
            f"SlurmdLogFile={root / 'slurmd.log'}",
            # Slurm leaves the cgroup tree to the grader, whose sandbox
            # makes a cgroup for each kernel
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_CPU",
            "MpiDefault=none",
            "ReturnToService=2",
            "MinJobAge=3600",
            f"NodeName={host} NodeAddr=127.0.0.1 CPUs=2 RealMemory={mem} State=UNKNOWN",
            f"PartitionName=grading Nodes={host} Default=YES MaxTime=INFINITE State=UP",
            "",
        ]
    )


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """munged, slurmctld and slurmd of this test's own; yields the environment its commands need."""
    missing = [d for d in DAEMONS if not shutil.which(d) and not os.path.exists(f"/usr/sbin/{d}")]
    if missing:
        pytest.skip(
            f"Slurm cannot start here: {', '.join(missing)} not installed (`apt-get install -y "
            "slurm-wlm munge`, which `make test-slurm` does on Debian as root)"
        )
    if os.geteuid() != 0:
        pytest.skip(
            "Slurm cannot start here: the test runs slurmd and the grader's sandbox as root, and "
            f"this is user {os.geteuid()}"
        )
    # munge's socket path must be short (sun_path)
    root = pathlib.Path("/tmp") / f"aekit-slurm-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(mode=0o700)
    (root / "state").mkdir()
    (root / "spool").mkdir()
    key = root / "munge.key"
    key.write_bytes(os.urandom(1024))
    key.chmod(0o400)
    host = socket.gethostname().split(".")[0]
    conf = root / "slurm.conf"
    conf.write_text(_config(root, host))
    env = dict(os.environ, SLURM_CONF=str(conf))
    sbin = lambda name: shutil.which(name) or f"/usr/sbin/{name}"
    started: list[subprocess.Popen] = []

    def start(args: list[str], log: str) -> None:
        started.append(
            subprocess.Popen(
                args,
                env=env,
                stdout=open(root / log, "w"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    try:
        start(
            [
                sbin("munged"),
                "-F",
                "--force",
                "-S",
                str(root / "munge.sock"),
                f"--key-file={key}",
                f"--pid-file={root / 'munged.pid'}",
                f"--seed-file={root / 'munged.seed'}",
                f"--log-file={root / 'munged.log'}",
            ],
            "munged.out",
        )
        for _ in range(50):
            if (root / "munge.sock").exists():
                break
            time.sleep(0.1)
        start([sbin("slurmctld"), "-D", "-f", str(conf)], "slurmctld.out")
        start([sbin("slurmd"), "-D", "-f", str(conf), "-N", host], "slurmd.out")
        state = ""
        for _ in range(120):
            dead = [p.args[0] for p in started if p.poll() is not None]
            if dead:
                break
            state = subprocess.run(
                ["sinfo", "-h", "-o", "%T"], env=env, capture_output=True, text=True
            ).stdout
            if state.strip() == "idle":
                break
            time.sleep(0.5)
        if state.strip() != "idle":
            logs = "; ".join(
                f"{p.name}: {p.read_text(errors='replace')[-300:]!r}"
                for p in sorted(root.glob("*.out"))
                if p.stat().st_size
            )
            pytest.skip(
                f"Slurm cannot start here (node state {state.strip()!r}, "
                f"daemons gone: {dead}): {logs}"
            )
        version = subprocess.run(
            ["sinfo", "--version"], env=env, capture_output=True, text=True
        ).stdout.strip()
        print(
            f"\nSlurm ran here: {version}, slurmctld and slurmd on {host} "
            f"(127.0.0.1), 1 node of 2 CPUs, config {conf}"
        )
        yield env
    finally:
        subprocess.run(["scancel", "--full", "--user=root"], env=env, capture_output=True)
        for proc in reversed(started):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        shutil.rmtree(root, ignore_errors=True)


def _job_states(job: str, env: dict) -> list[str]:
    out = subprocess.run(
        ["scontrol", "-o", "show", "job", job], env=env, capture_output=True, text=True
    ).stdout
    return [
        f"{w.split('=')[1]} {e.split('=')[1]}"
        for line in out.splitlines()
        for w, e in [
            (
                next(x for x in line.split() if x.startswith("JobState=")),
                next(x for x in line.split() if x.startswith("ExitCode=")),
            )
        ]
    ]


def _job_times(job: str, env: dict) -> list[tuple[str, float, float]]:
    """(task, seconds from submission to start, seconds it ran) of each
    task of `job` (Slurm's whole seconds)."""
    import datetime

    out = subprocess.run(
        ["scontrol", "-o", "show", "job", job], env=env, capture_output=True, text=True
    ).stdout
    times = []
    for line in out.splitlines():
        field = dict(word.split("=", 1) for word in line.split() if "=" in word)
        at = {
            k: datetime.datetime.fromisoformat(field[k])
            for k in ("SubmitTime", "StartTime", "EndTime")
        }
        times.append(
            (
                field.get("ArrayTaskId", field["JobId"]),
                (at["StartTime"] - at["SubmitTime"]).total_seconds(),
                (at["EndTime"] - at["StartTime"]).total_seconds(),
            )
        )
    return times


def test_a_class_graded_by_a_slurm_array_and_merged_equals_one_machine(slurm, tmp_path_factory):
    """Does `sbatch --array=0-2%2 deploy/slurm/grade-array.sbatch 3 ...` grade each of
    the class's students in exactly one of three shards, the dependent
    `deploy/slurm/merge.sbatch` merge them, and the merged grades.csv and tests.csv
    equal, score for score, one `grade` run of the same class on one machine?"""
    ref = scaleout_class.reference(tmp_path_factory.mktemp("scaleout"))
    cls, one_machine, one_seconds = ref.cls, ref.out, ref.seconds
    grading = tmp_path_factory.mktemp("grading")
    env = dict(
        slurm,
        AEKIT_PYTHON=sys.executable,
        AEKIT_HOME=str(ref.checkout),
        AEKIT_REPO=ref.env["AEKIT_REPO"],
        PYTHONPATH=ref.env["PYTHONPATH"],
    )
    start = time.monotonic()
    array = subprocess.run(
        [
            "sbatch",
            "--parsable",
            f"--array=0-{N - 1}%{AT_ONCE}",
            "--cpus-per-task=1",
            "--mem=2G",
            f"--output={grading}/grade-%A_%a.out",
            str(REPO / "deploy/slurm/grade-array.sbatch"),
            str(N),
            str(cls),
            str(grading),
            *scaleout_class.GRADE_OPTIONS,
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert array.returncode == 0, array.stderr
    job = array.stdout.strip().split(";")[0]
    merged = subprocess.run(
        [
            "sbatch",
            "--wait",
            f"--dependency=afterok:{job}",
            "--kill-on-invalid-dep=yes",
            f"--output={grading}/merge.out",
            str(REPO / "deploy/slurm/merge.sbatch"),
            str(N),
            str(grading),
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.monotonic() - start
    logs = "\n".join(
        f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}"
        for p in sorted(grading.glob("*.out"))
    )
    assert merged.returncode == 0, f"{merged.stdout}{merged.stderr}\n{logs}"
    assert _job_states(job, env) == ["COMPLETED 0:0"] * N, logs
    shards = [grading / "shards" / str(k) for k in range(N)]
    students = sorted(p.name for p in cls.iterdir())
    graded = [
        sorted(
            p.name for p in (s / ".state").iterdir() if p.is_dir() and not p.name.startswith(".")
        )
        for s in shards
    ]
    assert sorted(sum(graded, [])) == students and all(graded), graded  # each once, no shard idle
    scaleout_class.assert_same_grades(grading / "results", one_machine)
    assert "3 results folders (0/3, 1/3, 2/3)" in (grading / "merge.out").read_text()
    merge_job = merged.stdout.split()[-1] if merged.stdout.split() else ""
    tasks = "; ".join(
        f"task {t}: queued {q:.0f} s, ran {r:.0f} s" for t, q, r in _job_times(job, env)
    )
    print(
        f"\nSlurm's own times: {tasks}; merge job: "
        + "; ".join(f"queued {q:.0f} s, ran {r:.0f} s" for _, q, r in _job_times(merge_job, env))
    )
    print(
        f"\nmeasured: one machine (N = 1) {one_seconds:.1f} s; Slurm N = "
        f"{N} (at most {AT_ONCE} at once, 1 CPU each, on 2 CPUs) plus the "
        f"merge {seconds:.1f} s; {len(students)} students of {scaleout_class.A}"
    )
