"""How long `python -m autograder merge` takes per 1,000 notebooks (README, Measured).

    .venv/bin/python bench/merge_speed.py [--notebooks 1000] [--shards 3]

The shards are made of fake records (tests/test_merge.py's `fake_shard`: records, autograded
notebooks, first-seen times and a collection report as `grade --shard` leaves them, for notebook
01), so no notebook is graded: what is timed is the merge alone. Prints the first merge into a new
results folder (course registration, every record written to the gradebook, tables and feedback
pages rebuilt), a merge of the same shards again (nothing changes: the tables and feedback are still
rebuilt) and one after a shard was rerun with every tenth notebook regraded.
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from autograder import merge, shard
from tests.test_merge import fake_record, fake_shard, put_record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=1000)
    parser.add_argument("--shards", type=int, default=3)
    args = parser.parse_args()
    students = [f"student-{n:05d}" for n in range(args.notebooks)]
    with tempfile.TemporaryDirectory(prefix="aekit-merge-speed-") as tmp:
        root = pathlib.Path(tmp)
        folders = [
            fake_shard(root / "shards", k, n=args.shards, students=students)
            for k in range(args.shards)
        ]
        into = root / "results"
        rows = []

        def timed(what: str, *args) -> None:
            wall, cpu = time.monotonic(), time.process_time()
            done = merge.merge(*args)
            rows.append((what, time.monotonic() - wall, time.process_time() - cpu, done))

        timed("first merge into a new folder", folders, into)
        timed("the same shards again", folders, into)
        mine = [s for s in students if shard.shard_of(s, args.shards) == 0]
        for sid in mine[::10]:
            put_record(folders[0], fake_record(sid, lost=1, file="rerun"))
        timed(f"after shard 0/{args.shards} regraded {len(mine[::10])}", folders, into)
    print(
        f"| merge of {args.notebooks} notebooks in {args.shards} shards | wall clock | CPU (this "
        "process) | CPU per 1,000 notebooks | added / replaced / unchanged |"
    )
    print("| --- | --- | --- | --- | --- |")
    for what, wall, cpu, done in rows:
        print(
            f"| {what} | {wall:.1f} s | {cpu:.1f} s | {cpu * 1000 / args.notebooks:.1f} s | "
            f"{done.added} / {done.replaced} / {done.unchanged} |"
        )


if __name__ == "__main__":
    main()
