"""Feedback pages: the student's own notebook as graded, each test's verdict next to the code it tests.

Built from the autograded notebook (whose hidden test cells hold only their
docstring) and the gradebook (a TA's scores and comments). A hidden test's
code is never shown.

Markdown cells are rendered with mistune, the renderer nbconvert (and so nbgrader's own feedback) uses, with
raw HTML escaped (a student's `<script>` or `onerror=` is shown as text, never run), `javascript:` links
neutralised by mistune, and images shown as their alt text (no request leaves the reader's browser for a
student's URL). Maths (`$...$`, `$$...$$`) is typeset by MathJax with its `Safe` extension, loaded from the URL
nbconvert's HTML exporter uses, on pages that have maths; offline, the TeX source stays readable.
"""
from __future__ import annotations

import functools
import html
import json
import pathlib
import re

import mistune

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_STYLE = """
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4em;text-align:left;
vertical-align:top}.ok{color:#1a7f37}.fail{color:#c62828}pre{background:#f6f8fa;padding:.6em;overflow:auto;
white-space:pre-wrap;margin:.3em 0}.muted{color:#777}.cell{margin:1em 0}.md{color:#333}
.verdict{border-left:4px solid #c62828;padding:.2em .8em;background:#fff5f5}.verdict.ok{border-color:#1a7f37;
background:#f3fbf5}.out{border-left:3px solid #ddd;padding-left:.6em}img{max-width:100%}
"""


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML with raw HTML escaped and images as their alt text."""

    def __init__(self):
        super().__init__(escape=True)

    def image(self, text: str, url: str, title=None) -> str:
        return f"<span class='muted'>[image: {text}]</span>"  # `text`: mistune's rendered, escaped alt text


@functools.lru_cache(maxsize=1)
def _markdown():
    return mistune.create_markdown(renderer=_Renderer(), plugins=["math", "table", "strikethrough"])


def markdown(source: str) -> str:
    """A markdown cell as safe HTML (see the module docstring)."""
    return _markdown()(source)


@functools.lru_cache(maxsize=1)
def mathjax_url() -> str:
    """nbconvert's MathJax URL (with the `Safe` extension, which forbids `\\href{javascript:...}` and styles)."""
    from nbconvert.exporters.html import HTMLExporter

    url = HTMLExporter().mathjax_url
    return url if "Safe" in url else url + (",Safe" if "config=" in url else "?config=TeX-AMS_CHTML-full,Safe")


def verdict(test, grade) -> tuple[float, bool, str]:
    """(points, passed, who said so) of one test: a TA's override when there is one, else the autograder's."""
    if grade is not None and grade.manual and grade.score is not None:
        return grade.score, grade.score >= test.max_score, " (set by a TA)"
    return test.score, test.passed, ""


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _outputs(cell: dict) -> str:
    e, parts = html.escape, []
    for out in cell.get("outputs", [])[:50]:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(f"<pre class='out'>{e(_text(out.get('text'))[:20000])}</pre>")
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            png = data.get("image/png")
            if isinstance(png, str) and re.fullmatch(r"[A-Za-z0-9+/=\s]+", png):
                parts.append(f"<img alt='figure' src='data:image/png;base64,{png.strip()}'>")
            elif "text/plain" in data:
                parts.append(f"<pre class='out'>{e(_text(data['text/plain'])[:20000])}</pre>")
        elif kind == "error":
            tb = _ANSI.sub("", "\n".join(_text(t) for t in out.get("traceback", [])[-6:]))
            parts.append(f"<pre class='out fail'>{e(tb[-4000:] or out.get('ename', 'Error'))}</pre>")
    return "".join(parts)


def render(student_id: str, result, autograded: pathlib.Path, cells: list, score: float, max_score: float,
           comments: dict | None = None) -> str:
    """An HTML page for one student's notebook (`cells`: gradebook.CellGrade of each graded cell; `comments`: a
    TA's comments by cell)."""
    comments = comments or {}
    e = html.escape
    tests = {t.test_id: t for t in result.tests}
    by_name = {c.name: c for c in cells}
    rows = []
    for t in result.tests:
        c = by_name.get(t.test_id)
        points, passed, who = verdict(t, c)
        ta = f"<div class='muted'>TA: {e(c.comment)}</div>" if c and c.comment else ""
        override = f" <span class='muted'>{who.strip()}</span>" if who else ""
        rows.append(f"<tr><td><code>{e(t.test_id)}</code><div class='muted'>"
                    f"{'hidden test: checked when graded' if t.hidden else 'visible test'}</div></td>"
                    f"<td>{points:g} / {t.max_score:g}{override}</td><td class='{'ok' if passed else 'fail'}'>"
                    f"{'passed' if passed else 'failed'}{f'<pre>{e(t.message)}</pre>' if t.message else ''}{ta}"
                    "</td></tr>")
    for c in cells:
        if c.name not in tests:  # written answers
            mark = "waiting for a TA" if c.needs_manual_grade else f"{c.score or 0:g} / {c.max_score:g}"
            ta = f"<div class='muted'>TA: {e(c.comment)}</div>" if c.comment else ""
            rows.append(f"<tr><td><code>{e(c.name)}</code><div class='muted'>written answer</div></td>"
                        f"<td>{mark}</td><td>{ta}</td></tr>")
    status = "" if result.status == "graded" else \
        f"<p class='fail'>Status: <b>{e(result.status)}</b>: {e(result.detail)}</p>"
    notes = "".join(f"<li>{e(n)}</li>" for n in result.notes)
    body = []
    try:  # the grader's own process reads it: a notebook past the limit is left out of the page
        nb = json.loads(autograded.read_text(encoding="utf-8")) if autograded.stat().st_size <= MAX_NOTEBOOK_BYTES \
            else {"cells": [{"cell_type": "markdown", "source": "(the notebook is too large to show here)"}]}
    except (OSError, ValueError):
        nb = {"cells": []}
    for cell in nb.get("cells", []):
        gid = (cell.get("metadata", {}).get("nbgrader") or {}).get("grade_id")
        src = _text(cell.get("source"))
        if cell.get("cell_type") == "markdown":
            body.append(f"<div class='cell md'>{markdown(src)}</div>")
        elif gid in tests:
            t = tests[gid]
            points, passed, who = verdict(t, by_name.get(gid))
            body.append(f"<div class='cell verdict {'ok' if passed else ''}'><b>{e(gid)}</b>: "
                        f"{'passed' if passed else 'failed'} ({points:g} / {t.max_score:g}{who})"
                        f"{f'<pre>{e(t.message)}</pre>' if t.message else ''}</div>")
        elif cell.get("cell_type") == "code":
            body.append(f"<div class='cell'><pre>{e(src)}</pre>{_outputs(cell)}</div>")
        if gid in comments and gid not in tests:
            body.append(f"<div class='cell verdict ok'><b>TA:</b> {e(comments[gid])}</div>")
    maths = any("class=\"math\"" in part for part in body)
    script = f"<script src='{e(mathjax_url())}'></script>" if maths else ""
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(result.assignment)}: feedback</title>"
            f"<style>{_STYLE}</style>{script}</head><body><h1>{e(result.assignment)}</h1>"
            f"<p>Student <b>{e(student_id)}</b>: <b>{score:g} / {max_score:g}</b> points</p>{status}"
            f"{f'<ul class=muted>{notes}</ul>' if notes else ''}"
            f"<table><tr><th>test</th><th>points</th><th>result</th></tr>{''.join(rows)}</table>"
            f"<h2>Your notebook, as graded</h2>{''.join(body)}</body></html>")
