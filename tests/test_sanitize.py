"""Does what a student wrote or displayed reach a TA's browser only as text, maths
and images? (autograder.sanitize; no kernel, no browser: tests/test_formgrader.py
opens an attacker's submission in formgrader in Chromium.)"""

import json

import pytest
from bleach._vendor import html5lib

from autograder import cells, review, sanitize, selftest
from autograder.paths import ASSIGNMENTS, release_notebook, source_notebook

A = "01_conv_as_matrix"

HONEST = r"""The matrix is **sparse**: most entries of $M_{ij}$ are $0$, since $|i - j| > k$ or $a_{ij} < b$ there.

$$\operatorname{nnz}(M) = \sum_{i<j} [m_{ij} \neq 0] \le k \cdot n$$

- it needs *much* less memory;
- a product costs $O(\mathrm{nnz})$, not $O(n^2)$.

| storage | memory |
|:--|--:|
| dense | $n^2$ |
| CSR | $2\,\mathrm{nnz} + n$ |

> a quoted line, then `x < y` in code, <sup>2</sup> and <b>bold</b> as HTML.
"""  # noqa: E501  (verbatim text: its lines are what the code feeds on)

ATTACKS = [
    "<script>fetch('/api/kernels', {method: 'POST'})</script>",
    "an image <img src=x onerror=\"fetch('/api/kernels', {method: 'POST'})\">",
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "[click me](javascript:alert(1))",
    "[click me](JaVa&#x09;ScRiPt:alert(1))",
    "![plot](javascript:alert(1))",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<a href="data:text/html,<script>alert(1)</script>">x</a>',
    "<b onmouseover=alert(1)>hover</b>",
    # formgrader binds its score boxes by class inside an answer's panel
    '<span class="score">10</span>',
    "## test_conv2d_naive\nformgrader finds its score boxes by id: a "
    "heading with a grade id would take one",
    "<style>body{display:none}</style>",
    '<form action="/api/shutdown" method=post><button>ok</button></form>',
]


def _script_capable(html: str) -> list[str]:
    """What in `html` a browser could run or send on its own (an
    independent check of `unsafe_part`)."""
    found = []
    for element in html5lib.parseFragment(html, treebuilder="etree").iter():
        if not isinstance(element.tag, str):
            continue
        name = element.tag.rsplit("}", 1)[-1]
        if name in (
            "script",
            "iframe",
            "object",
            "embed",
            "svg",
            "math",
            "style",
            "form",
            "link",
            "meta",
            "base",
        ):
            found.append(name)
        for attr, value in element.attrib.items():
            compact = "".join(value.split()).lower()
            if attr.lower().startswith("on") or compact.startswith(
                ("javascript:", "vbscript:", "data:text")
            ):
                found.append(f"{name} {attr}")
    return found


def test_an_honest_written_answer_keeps_its_text_and_maths():
    """Is a written answer with maths, emphasis, a list, a table, a quote
    and harmless HTML kept exactly?"""
    assert sanitize.markdown(HONEST) == HONEST
    html = sanitize.render(HONEST)
    assert (
        "<strong>sparse</strong>" in html and "<li>it needs <em>much</em> less memory;</li>" in html
    )
    assert "$a_{ij} &lt; b$" in html  # maths reaches MathJax as the student typed it (`<` as text)
    assert r"$$\operatorname{nnz}(M) = \sum_{i&lt;j} [m_{ij} \neq 0] \le k \cdot n$$" in html
    assert "<table>" in html and "<blockquote>" in html and "<sup>2</sup>" in html
    assert not _script_capable(html)


def test_every_markdown_cell_of_the_kit_is_kept_as_written():
    """Are the kit's own markdown cells (instructions, questions) unchanged
    by formgrader's sanitising?"""
    kept = 0
    for a in ASSIGNMENTS:
        for path in (source_notebook(a), release_notebook(a)):
            if not path.is_file():
                continue
            nb = json.loads(path.read_text(encoding="utf-8"))
            reserved = sanitize.reserved_ids(nb)
            for cell in nb["cells"]:
                if cell["cell_type"] == "markdown":
                    text = cells.source_text(cell)
                    assert (
                        sanitize.markdown(
                            text, sanitize.attachments_of(cell), sanitize.Page(reserved)
                        )
                        == text
                    ), text[:200]
                    kept += 1
    assert kept > 50


@pytest.mark.parametrize("attack", ATTACKS)
def test_markup_that_could_act_in_a_browser_is_shown_as_text(attack):
    """Is each attack seen by the check, and is what is kept harmless once
    rendered, with its words still shown?"""
    reserved = sanitize.reserved_ids(json.loads(source_notebook(A).read_text(encoding="utf-8")))
    assert sanitize.unsafe_part(sanitize.render(attack), reserved) is not None
    safe = sanitize.markdown(attack, page=sanitize.Page(reserved))
    html = sanitize.render(safe)
    assert sanitize.unsafe_part(html, reserved) is None and not _script_capable(html)
    words = [
        w
        for w in ("fetch", "alert", "click me", "hover", "10", "test_conv2d_naive", "display", "ok")
        if w in attack
    ]
    assert words and all(w in html for w in words), "the student's words should stay readable"


def test_outputs_keep_only_text_and_raster_images():
    """Are HTML, JavaScript, SVG, widget and markdown outputs dropped, and text and PNG kept?"""
    data = {
        "text/plain": "<IPython.core.display.HTML object>",
        "text/html": "<script>alert(1)</script>",
        "application/javascript": "alert(1)",
        "image/svg+xml": "<svg onload='alert(1)'/>",
        "application/vnd.jupyter.widget-view+json": {"model_id": "x"},
        "text/markdown": "<script>",
        "image/png": "iVBORw0KGgo=\n",
    }
    assert sanitize.output_data(data) == {
        "text/plain": data["text/plain"],
        "image/png": "iVBORw0KGgo=\n",
    }
    assert sanitize.output_data({"image/png": '" onerror="alert(1)', "text/plain": ["a", "b"]}) == {
        "text/plain": "ab"
    }
    assert sanitize.output_data("not a dict") == {}


def test_a_hostile_submission_goes_into_the_autograded_notebook_only_as_text():
    """Are the written answer's script, saved HTML outputs, raw HTML cells,
    hidden-code metadata and invented nbgrader metadata gone from the
    notebook formgrader shows, and the student's code and words kept?"""
    source = json.loads(source_notebook(A).read_text(encoding="utf-8"))
    nb = selftest.build_submission(A)
    answer = next(
        c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "q_sparse_matrix"
    )
    answer["source"] = HONEST + "\n<script>fetch('/api/kernels', {method: 'POST'})</script>\n"
    exercise = next(
        c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "conv2d_naive"
    )
    exercise["metadata"]["transient"] = {"remove_source": True}
    exercise["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {"text/html": "<img src=x onerror=alert(1)>", "text/plain": "fake"},
        }
    ]
    nb["cells"].append(
        {
            "cell_type": "raw",
            "metadata": {"raw_mimetype": "text/html"},
            "source": "<script>alert(2)</script>",
        }
    )
    nb["cells"].append(
        {
            "cell_type": "markdown",
            "metadata": {"nbgrader": {"grade": True, "solution": True, "points": 5}},
            "source": "extra",
        }
    )
    plan = cells.plan(source, nb)
    text = json.dumps(plan.notebook)
    assert "remove_source" not in text and "onerror" not in text and "raw_mimetype" not in text
    merged = next(
        c
        for c in plan.notebook["cells"]
        if cells.nbgrader_meta(c).get("grade_id") == "q_sparse_matrix"
    )
    # with a script in it, every tag of the answer is shown as text; its words and maths stay
    assert "&lt;script>fetch" in merged["source"] and "$a_{ij} < b$" in merged["source"]
    assert HONEST.split("<sup>")[0].replace("<j", "&lt;j") in merged["source"]
    code = next(
        c
        for c in plan.notebook["cells"]
        if cells.nbgrader_meta(c).get("grade_id") == "conv2d_naive"
    )
    assert code["outputs"] == [] and "def conv2d_naive" in code["source"]
    raw = [c for c in plan.notebook["cells"] if "alert(2)" in cells.source_text(c)]
    assert len(raw) == 1 and raw[0]["cell_type"] == "markdown"
    assert sanitize.unsafe_part(sanitize.render(raw[0]["source"])) is None
    extra = next(c for c in plan.notebook["cells"] if cells.source_text(c) == "extra")
    assert "nbgrader" not in extra["metadata"]
    for c in plan.notebook["cells"]:
        if c["cell_type"] == "markdown":
            assert not _script_capable(sanitize.render(c["source"], c.get("attachments")))


def test_formgrader_sanitises_a_notebook_graded_before_the_grader_did(tmp_path):
    """Does the exporter that the results folder's config gives formgrader (with
    nbgrader's formgrade template) render an unsanitised autograded notebook
    without anything that runs, and an honest answer with its maths?"""
    from nbconvert import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config.loader import PyFileConfigLoader

    review.write_config(tmp_path, f"sqlite:///{tmp_path / 'gradebook.db'}")
    config = PyFileConfigLoader(review.CONFIG, path=str(tmp_path)).load_config()
    assert config.Exchange.root == str(tmp_path / review.EXCHANGE)
    config.HTMLExporter.template_name = "formgrade"  # as nbgrader's FormgradeExtension sets it
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    nb = selftest.build_submission(A)
    answer = next(
        c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "q_sparse_matrix"
    )
    answer["source"] = HONEST + '\n<img src=x onerror="alert(1)"><script>alert(2)</script>'
    exercise = next(
        c for c in nb["cells"] if cells.nbgrader_meta(c).get("grade_id") == "conv2d_naive"
    )
    exercise["outputs"] = [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "text/html": "<script>alert(3)</script>",
                "text/plain": "shown",
                "application/javascript": "alert(4)",
            },
        }
    ]
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    resources = {
        "assignment_id": A,
        "notebook_id": A,
        "submission_id": "x",
        "index": 0,
        "total": 1,
        "base_url": "",
        "student": "ada",
        "last_name": None,
        "first_name": None,
        "notebook_path": "x",
    }
    html, _ = HTMLExporter(config=config).from_filename(str(path), resources=resources)
    page = html5lib.parse(html, treebuilder="etree")
    scripts = [
        e.text or "" for e in page.iter() if isinstance(e.tag, str) and e.tag.endswith("}script")
    ]
    assert scripts and not [s for s in scripts if "alert(" in s]  # formgrader's own scripts only
    handlers = [
        v
        for e in page.iter()
        if isinstance(e.tag, str)
        for a, v in e.attrib.items()
        if a.startswith("on")
    ]
    assert set(handlers) <= {"toggle_name(true);", "toggle_name(false);"}  # formgrader's own
    assert "$a_{ij} &lt; b$" in html and "<strong>sparse</strong>" in html and "shown" in html


def test_what_a_kernel_displays_is_kept_as_text_and_images():
    """Does the grader keep of a (hostile) kernel's messages only text and
    PNG, with a valid stream name and execution count?"""
    from autograder.calls import _OutputCollector

    kept = []
    collect = _OutputCollector(kept)
    collect(
        {
            "header": {"msg_type": "display_data"},
            "content": {
                "data": {
                    "text/html": "<script>alert(1)</script>",
                    "application/javascript": "alert(2)",
                    "text/plain": "<IPython.core.display.HTML object>",
                    "image/png": "iVBORw0KGgo=",
                }
            },
        }
    )
    collect(
        {
            "header": {"msg_type": "execute_result"},
            "content": {
                "data": {"text/markdown": "<img src=x onerror=alert(3)>", "text/plain": "7"},
                "execution_count": "<script>",
            },
        }
    )
    collect({"header": {"msg_type": "stream"}, "content": {"name": "<script>", "text": "hello"}})
    assert kept == [
        {
            "output_type": "display_data",
            "metadata": {},
            "data": {
                "text/plain": "<IPython.core.display.HTML object>",
                "image/png": "iVBORw0KGgo=",
            },
        },
        {
            "output_type": "execute_result",
            "metadata": {},
            "data": {"text/plain": "7"},
            "execution_count": None,
        },
        {"output_type": "stream", "name": "stdout", "text": "hello"},
    ]


def test_a_notebook_of_huge_markdown_is_not_rendered_past_its_budget():
    """Is markdown past a notebook's rendering budget shown as a code block
    without being rendered (a cell needing seconds each would otherwise
    hold the grader up), and the budget's first cells kept as written?"""
    import time

    source = json.loads(source_notebook(A).read_text(encoding="utf-8"))
    nb = selftest.build_submission(A)
    nb["cells"] += [
        {"cell_type": "markdown", "metadata": {}, "source": "<a>" * 10_000} for _ in range(40)
    ]
    start = time.monotonic()
    plan = cells.plan(source, nb)
    assert time.monotonic() - start < 30
    shown = [c["source"] for c in plan.notebook["cells"] if "<a><a>" in c["source"]]
    rendered = [s for s in shown if not s.startswith(sanitize.CODE_BLOCK_NOTE)]
    assert len(shown) == 40 and 0 < len(rendered) <= sanitize.NOTEBOOK_RENDERED_CHARS // 30_000
