"""What grading one notebook produces: a verdict per test cell, and the
notebook's status and score."""

from __future__ import annotations

import dataclasses
import logging

log = logging.getLogger(__name__)

STATUSES = ("graded", "timeout", "crashed", "invalid", "missing")
MESSAGE_LIMIT = 600


@dataclasses.dataclass
class TestResult:
    """One test cell's verdict."""

    test_id: str
    score: float
    max_score: float
    message: str
    hidden: bool
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score


@dataclasses.dataclass
class NotebookResult:
    assignment: str
    status: str
    score: float
    max_score: float
    tests: list[TestResult]
    detail: str = ""
    seconds: float = 0.0
    notes: list[str] = dataclasses.field(default_factory=list)

    def failed(self) -> list[str]:
        return [t.test_id for t in self.tests if not t.passed]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "NotebookResult":
        data = dict(data)
        data["tests"] = [TestResult(**t) for t in data["tests"]]
        return cls(**data)


def not_graded(
    assignment: str, status: str, tests: list, detail: str, seconds: float = 0.0
) -> NotebookResult:
    """A result whose every test earned nothing (`tests`: cells.TestCell),
    with `detail` as each message."""
    return NotebookResult(
        assignment,
        status,
        0.0,
        sum(t.points for t in tests),
        [TestResult(t.test_id, 0.0, t.points, detail[:MESSAGE_LIMIT], t.hidden) for t in tests],
        detail,
        seconds,
    )
