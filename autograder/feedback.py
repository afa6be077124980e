"""Feedback pages: the student's own notebook as graded, each test's
verdict next to the code it tests.

Built from the autograded notebook (whose hidden test cells hold only their
docstring) and the gradebook (a TA's scores and comments). A hidden test's
code is never shown.

Markdown cells are rendered with mistune, the renderer nbconvert (and so nbgrader's own feedback)
uses, with raw HTML escaped (a student's `<script>` or `onerror=` is shown as text, never run),
`javascript:` links neutralised by mistune, and images shown as their alt text (no request leaves
the reader's browser for a student's URL). Maths (`$...$`, `$$...$$`) is typeset by MathJax with its
`Safe` extension, loaded from the URL nbconvert's HTML exporter uses, on pages that have maths;
offline, the TeX source stays readable.

The page is `templates/feedback.html.j2`, rendered by Jinja2 (as nbgrader's and nbconvert's pages
are) with autoescape on: everything a student or a TA wrote reaches it as text and is escaped there;
only the markdown HTML above, already escaped by mistune, is marked safe.
"""

from __future__ import annotations

import functools
import json
import logging
import pathlib
import re

import jinja2
import markupsafe
import mistune

from aekit.nbcells import grade_id, multiline_text, source_text

log = logging.getLogger(__name__)
TEMPLATES = pathlib.Path(__file__).resolve().parent / "templates"

MAX_NOTEBOOK_BYTES = 20 * 1024 * 1024
TEMPLATE = "feedback.html.j2"  # in autograder/templates/
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


class _Renderer(mistune.HTMLRenderer):
    """mistune's HTML with raw HTML escaped and images as their alt text."""

    def __init__(self):
        super().__init__(escape=True)

    def image(self, text: str, url: str, title=None) -> str:
        # `text`: mistune's rendered, escaped alt text
        return f"<span class='muted'>[image: {text}]</span>"


@functools.lru_cache(maxsize=1)
def _markdown():
    return mistune.create_markdown(renderer=_Renderer(), plugins=["math", "table", "strikethrough"])


def markdown(source: str) -> str:
    """A markdown cell as safe HTML (see the module docstring)."""
    return _markdown()(source)


@functools.lru_cache(maxsize=1)
def mathjax_url() -> str:
    """nbconvert's MathJax URL (with the `Safe` extension, which forbids
    `\\href{javascript:...}` and styles)."""
    from nbconvert.exporters.html import HTMLExporter

    url = HTMLExporter().mathjax_url
    return (
        url
        if "Safe" in url
        else url + (",Safe" if "config=" in url else "?config=TeX-AMS_CHTML-full,Safe")
    )


def verdict(test, grade) -> tuple[float, bool, str]:
    """(points, passed, who said so) of one test: a TA's override when
    there is one, else the autograder's."""
    if grade is not None and grade.manual and grade.score is not None:
        return grade.score, grade.score >= test.max_score, " (set by a TA)"
    return test.score, test.passed, ""


def _shown(text: str = "", png: str | None = None, error: bool = False) -> dict:
    return {"text": text, "png": png, "error": error}


def _outputs(cell: dict) -> list[dict]:
    """What a code cell displayed, as the page shows it: text (`text`,
    `error`) or a PNG (`png`, base64)."""
    shown = []
    for out in cell.get("outputs", [])[:50]:
        kind = out.get("output_type")
        if kind == "stream":
            shown.append(_shown(text=multiline_text(out.get("text"))[:20000]))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            png = data.get("image/png")
            if isinstance(png, str) and _BASE64.fullmatch(png):
                shown.append(_shown(png=png.strip()))
            elif "text/plain" in data:
                shown.append(_shown(text=multiline_text(data["text/plain"])[:20000]))
        elif kind == "error":
            tb = _ANSI.sub("", "\n".join(multiline_text(t) for t in out.get("traceback", [])[-6:]))
            shown.append(_shown(text=tb[-4000:] or str(out.get("ename", "Error")), error=True))
    return shown


@functools.lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["g"] = lambda number: format(number, "g")
    return env.get_template(TEMPLATE)


def _notebook(autograded: pathlib.Path) -> dict:
    """The autograded notebook, or a stand-in: the grader's own process reads it, so one past the
    limit is left out of the page."""
    try:
        if autograded.stat().st_size > MAX_NOTEBOOK_BYTES:
            return {
                "cells": [
                    {"cell_type": "markdown", "source": "(the notebook is too large to show here)"}
                ]
            }
        return json.loads(autograded.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.debug("feedback page of %s without its notebook: %s", autograded, exc)
        return {"cells": []}


def render(
    student_id: str,
    result,
    autograded: pathlib.Path,
    cells: list,
    score: float,
    max_score: float,
    comments: dict | None = None,
) -> str:
    """An HTML page for one student's notebook (`cells`: gradebook.CellGrade of each graded cell;
    `comments`: a TA's comments by cell), from templates/feedback.html.j2."""
    comments = comments or {}
    tests = {t.test_id: t for t in result.tests}
    by_name = {c.name: c for c in cells}
    rows = []
    for t in result.tests:
        c = by_name.get(t.test_id)
        points, passed, who = verdict(t, c)
        rows.append(
            {
                "test": t,
                "name": t.test_id,
                "points": points,
                "passed": passed,
                "who": who.strip(),
                "comment": c.comment if c else None,
            }
        )
    for c in cells:
        if c.name not in tests:  # written answers
            mark = (
                "waiting for a TA"
                if c.needs_manual_grade
                else f"{c.score or 0:g} / {c.max_score:g}"
            )
            rows.append({"test": None, "name": c.name, "mark": mark, "comment": c.comment})
    body = []
    for cell in _notebook(autograded).get("cells", []):
        if not isinstance(cell, dict):
            continue
        gid = grade_id(cell)
        if cell.get("cell_type") == "markdown":
            # mistune's HTML with the student's raw HTML escaped (_Renderer)
            html = markdown(source_text(cell))
            body.append({"kind": "markdown", "html": markupsafe.Markup(html)})  # noqa: S704  (escaped above)
        elif gid in tests:
            points, passed, who = verdict(tests[gid], by_name.get(gid))
            body.append(
                {
                    "kind": "verdict",
                    "name": gid,
                    "test": tests[gid],
                    "points": points,
                    "passed": passed,
                    "who": who,
                }
            )
        elif cell.get("cell_type") == "code":
            body.append({"kind": "code", "source": source_text(cell), "outputs": _outputs(cell)})
        if gid in comments and gid not in tests:
            body.append({"kind": "comment", "text": comments[gid]})
    maths = any('class="math"' in item["html"] for item in body if item["kind"] == "markdown")
    return _template().render(
        assignment=result.assignment,
        student_id=student_id,
        score=score,
        max_score=max_score,
        status=result.status,
        detail=result.detail,
        notes=result.notes,
        rows=rows,
        body=body,
        mathjax_url=mathjax_url() if maths else None,
    )
