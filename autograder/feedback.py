"""Feedback pages: each test's result and message, never a hidden test's source."""
from __future__ import annotations

import html
import json
import pathlib

from .nbgrade import NotebookResult

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:860px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;
vertical-align:top}.ok{color:#1a7f37}.fail{color:#c62828}pre{background:#f6f8fa;padding:.6em;overflow:auto;
white-space:pre-wrap}.muted{color:#777}
"""


def _visible_test_sources(source_nb: pathlib.Path) -> dict[str, str]:
    nb = json.loads(source_nb.read_text(encoding="utf-8"))
    out = {}
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if meta.get("grade") and "### BEGIN HIDDEN TESTS" not in src:
            out[meta["grade_id"]] = src
    return out


def render(student_id: str, result: NotebookResult, source_nb: pathlib.Path) -> str:
    """An HTML page for one student's notebook."""
    visible = _visible_test_sources(source_nb) if source_nb.is_file() else {}
    e = html.escape
    rows = []
    for t in result.tests:
        cls, verdict = ("ok", "passed") if t.passed else ("fail", "failed")
        kind = "hidden test (runs only when graded)" if t.hidden else "visible test"
        body = f"<div class='{cls}'>{verdict}</div>"
        if t.message:
            body += f"<pre>{e(t.message)}</pre>"
        if not t.hidden and t.test_id in visible:
            body += f"<details><summary class='muted'>test code</summary><pre>{e(visible[t.test_id])}</pre></details>"
        rows.append(f"<tr><td><code>{e(t.test_id)}</code><div class='muted'>{kind}</div></td>"
                    f"<td>{t.score:g} / {t.max_score:g}</td><td>{body}</td></tr>")
    status = "" if result.status == "graded" else \
        f"<p class='fail'>Status: <b>{e(result.status)}</b>: {e(result.detail)}</p>"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(result.assignment)}: feedback</title>"
            f"<style>{_STYLE}</style></head><body><h1>{e(result.assignment)}</h1>"
            f"<p>Student <b>{e(student_id)}</b>: <b>{result.score:g} / {result.max_score:g}</b> points</p>"
            f"{status}<table><tr><th>test</th><th>points</th><th>result</th></tr>{''.join(rows)}</table>"
            f"</body></html>")
