"""What a student wrote, and what their code displayed, made safe to show in a TA's browser.

nbgrader's formgrader shows the autograded notebook as HTML on the Jupyter server's own origin, so a
script in it would act as the TA: start kernels, change every student's scores. nbconvert renders a
markdown cell's raw HTML as it is, and nbgrader's formgrade template leaves markdown out of
nbconvert's own sanitiser. So:

- `markdown`: a student's markdown is kept exactly as written when nbconvert's renderer turns it
  into harmless HTML (text, maths, lists, tables, emphasis, code, links to web pages, embedded
  raster images); otherwise its tags are escaped (shown as text); when even that renders something
  unsafe (a `javascript:` link, an id of formgrader's own page) the whole answer is shown as a code
  block. The check parses the rendered HTML as a browser would (html5lib) and allows only the listed
  tags, attributes and URL schemes.
- `output_data`: what a cell displayed, reduced to text and raster images
  (no HTML, markdown, JavaScript, SVG or widgets).
- `student_cell`: a submitted cell rebuilt from those (its metadata,
  attachments and saved outputs dropped).
- `SanitizeNotebook`: the same as an nbconvert preprocessor, which the results folder's
  `nbgrader_config.py` gives formgrader (with nbconvert's own `HTMLExporter.sanitize_html`), for
  notebooks graded before this module existed.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from bleach._vendor import (
    html5lib,  # the HTML5 parsing algorithm, as a browser parses (bleach's own parser)
)
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor

from aekit.nbcells import grade_id, source_text  # not via cells.py, which imports this module

log = logging.getLogger(__name__)

# what a student's display may show, in this order
OUTPUT_TYPES = ("text/plain", "image/png", "image/jpeg")
# a longer markdown cell is shown as a code block without rendering it (time)
MAX_RENDERED_CHARS = 50_000
# markdown rendered per notebook (the kit's longest has 19,000 characters)
NOTEBOOK_RENDERED_CHARS = 200_000
CODE_BLOCK_NOTE = (
    "*(shown as plain text: the grader passes on only text, maths, links and images it can check)*"
)
# ids of formgrader's own submission page (nbgrader's formgrade templates), which a student's
# heading must not take: formgrader finds its score boxes by id (besides each graded cell's
# grade_id, `-comment`, `_extra_credit`)
PAGE_IDS = frozenset({"notebook", "notebook-container", "statusmessage", "main-table", "a", "b"})

_HTML_NS = "{http://www.w3.org/1999/xhtml}"
_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]*")
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")
_TAGS = frozenset(
    "p br hr h1 h2 h3 h4 h5 h6 em strong b i u s del ins sub sup code pre kbd samp var blockquote "
    "ul ol li dl dt dd table thead tbody tfoot tr th td caption a img "
    "span div mark small abbr".split()
)
_HEADINGS = frozenset(f"h{n}" for n in range(1, 7))
_ALIGN = re.compile(r"\s*text-align\s*:\s*(left|right|center)\s*;?\s*")
# pygments' token classes (`n`, `mi`, `s1`), none of formgrader's
_PYGMENTS_CLASS = re.compile(r"[a-z]{1,3}[0-9]?")


def _url_scheme(url: str) -> str | None:
    """The scheme of `url` as a browser reads it (blanks and control
    characters removed), or None if relative."""
    url = _CONTROL.sub("", url).lower()
    head = re.split(r"[/?#]", url, maxsplit=1)[0]
    return head.split(":", 1)[0] if ":" in head else None


def _attribute_ok(tag: str, name: str, value: str, reserved_ids: frozenset[str]) -> bool:
    if tag == "a" and name == "href":
        return _url_scheme(value) in (None, "http", "https", "mailto")
    if tag == "a" and name == "class":
        return value == "anchor-link"  # nbconvert's heading anchors
    if tag == "img" and name == "src":
        return bool(
            re.fullmatch(r"data:image/(png|jpeg|gif);base64,[A-Za-z0-9+/=\s]*", value.strip())
        )
    if name in ("title", "alt") and tag in ("a", "img", "abbr"):
        return True
    if tag in ("th", "td") and name == "style":
        return bool(_ALIGN.fullmatch(value))
    if tag in ("th", "td") and name == "align":
        return value in ("left", "right", "center")
    if tag == "ol" and name == "start":
        return value.isdigit()
    if tag in _HEADINGS and name == "id":  # nbconvert names each heading after its text
        return value not in reserved_ids and value not in PAGE_IDS
    if tag == "span" and name == "class":
        return all(_PYGMENTS_CLASS.fullmatch(c) for c in value.split())
    if tag == "div" and name == "class":
        return value == "highlight"
    return False


def unsafe_part(html: str, reserved_ids: frozenset[str] = frozenset()) -> str | None:
    """The first element or attribute of `html` that is not harmless (None
    when all is): a tag, attribute or URL scheme outside the lists above,
    any SVG or MathML, or an id that formgrader's page uses."""
    for element in html5lib.parseFragment(html, treebuilder="etree").iter():
        tag = element.tag
        if tag == "DOCUMENT_FRAGMENT" or callable(tag):  # the fragment itself, or an HTML comment
            continue
        if not tag.startswith(_HTML_NS) or tag[len(_HTML_NS) :] not in _TAGS:
            return f"<{tag.rsplit('}', 1)[-1]}>"
        name = tag[len(_HTML_NS) :]
        for attr, value in element.attrib.items():
            if not _attribute_ok(name, attr, value, reserved_ids):
                return f"<{name} {attr}=...>"
    return None


def render(source: str, attachments: dict | None = None) -> str:
    """`source` as nbconvert's HTML exporter (formgrader's) renders a markdown cell."""
    return MarkdownWithMath(
        renderer=IPythonRenderer(escape=False, attachments=attachments or {})
    ).render(source)


def _renders_safely(source: str, attachments: dict | None, reserved_ids: frozenset[str]) -> bool:
    try:
        html = render(source, attachments)
    except Exception as exc:  # noqa: BLE001  (e.g. an image naming a missing attachment: formgrader would fail too)
        log.debug(
            "markdown that nbconvert cannot render, shown escaped: %s: %s", type(exc).__name__, exc
        )
        return False
    return unsafe_part(html, reserved_ids) is None


def as_code_block(text: str) -> str:
    """`text` as a fenced code block, shown verbatim (its fence longer than
    any run of backticks in it)."""
    fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", text)), default=0))
    return f"{CODE_BLOCK_NOTE}\n\n{fence}text\n{text}\n{fence}\n"


@dataclasses.dataclass
class Page:
    """One notebook's page as formgrader shows it: the element ids it gives the graded cells
    (`reserved_ids`, which a student's markdown may not take), and the markdown it may still
    have rendered for checking (`chars`, `NOTEBOOK_RENDERED_CHARS` at first)."""

    reserved_ids: frozenset[str] = frozenset()
    chars: int = NOTEBOOK_RENDERED_CHARS

    @classmethod
    def of(cls, notebook: dict) -> Page:
        return cls(reserved_ids(notebook))

    def take(self, n: int) -> bool:
        if n > min(self.chars, MAX_RENDERED_CHARS):
            return False
        self.chars -= n
        return True


def markdown(source: str, attachments: dict | None = None, page: Page | None = None) -> str:
    """A markdown cell's source that renders to harmless HTML: `source` itself when it does,
    else with every tag escaped, else as a code block (also when it is longer than `page`
    allows: a fresh page, with no reserved ids, by default)."""
    page = page or Page()
    if page.take(len(source)):
        for candidate in (source, _TAG_OPEN.sub("&lt;", source)):
            if _renders_safely(candidate, attachments, page.reserved_ids):
                return candidate
    return as_code_block(source)


def output_data(data) -> dict:
    """A display's data reduced to text and raster images (`OUTPUT_TYPES`),
    each a string as nbformat wants."""
    out = {}
    if not isinstance(data, dict):
        return out
    for kind in OUTPUT_TYPES:
        value = data.get(kind)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "".join(value)
        if not isinstance(value, str):
            continue
        if kind.startswith("image/") and not _BASE64.fullmatch(value):
            continue
        out[kind] = value
    return out


def attachments_of(cell: dict) -> dict:
    """A markdown cell's attachments that are raster images in base64 (an
    SVG may carry a script)."""
    found = cell.get("attachments")
    if not isinstance(found, dict):
        return {}
    kept = {}
    for name, bundle in found.items():
        images = {k: v for k, v in output_data(bundle).items() if k.startswith("image/")}
        if isinstance(name, str) and images:
            kept[name] = images
    return kept


def reserved_ids(notebook: dict) -> frozenset[str]:
    """The element ids formgrader gives a notebook's graded cells (their
    grade ids, `-comment`, `_extra_credit`)."""
    ids = set()
    for cell in notebook.get("cells", []):
        gid = grade_id(cell)
        if gid is not None:
            ids.update({gid, f"{gid}-comment", f"{gid}_extra_credit"})
    return frozenset(ids)


def student_cell(cell: dict, cell_type: str | None = None, page: Page | None = None) -> dict:
    """A submitted cell as it may go into the autograded notebook, as `cell_type`
    (default: its own type): code keeps its source and loses its saved outputs (the
    grader's run fills them); markdown is `markdown`-safe and keeps its raster
    attachments; anything else becomes a code block in markdown. No metadata is
    kept: the caller adds the source's nbgrader metadata to an answer cell."""
    kind = cell_type or cell.get("cell_type")
    source = source_text(cell)
    if kind == "code":
        out = {
            "cell_type": "code",
            "execution_count": None,
            "metadata": {},
            "outputs": [],
            "source": source,
        }
    elif kind == "markdown":
        attachments = attachments_of(cell)
        out = {
            "cell_type": "markdown",
            "metadata": {},
            "source": markdown(source, attachments, page),
        }
        if attachments:
            out["attachments"] = attachments
    else:
        out = {"cell_type": "markdown", "metadata": {}, "source": as_code_block(source)}
    cell_id = cell.get("id")
    if isinstance(cell_id, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,64}", cell_id):
        out["id"] = cell_id
    return out


class SanitizeNotebook(Preprocessor):
    """nbconvert preprocessor: every markdown cell through `markdown`,
    every output through `output_data`, raw cells as code blocks, no widget
    state (formgrader's exporter, configured in the results folder)."""

    def preprocess(self, nb, resources):
        page = Page.of(nb)
        for cell in nb.cells:
            cell.metadata.pop("transient", None)  # it can hide a cell's code from the TA
            if cell.cell_type == "markdown":
                cell.attachments = attachments_of(cell)
                cell.source = markdown(source_text(cell), cell.attachments, page)
            elif cell.cell_type == "code":
                for output in cell.get("outputs", []):
                    if output.get("output_type") in ("display_data", "execute_result"):
                        output["data"] = output_data(output.get("data"))
                        output["metadata"] = {}
            else:
                cell.cell_type, cell.source = "markdown", as_code_block(source_text(cell))
                cell.metadata.pop("raw_mimetype", None)
        nb.metadata.pop("widgets", None)
        return nb, resources
