"""The `nbgrader_config.py` of a course folder the grader makes: its one writer.

Its text is the template `templates/nbgrader_config.py.j2`: the course (`paths.COURSE_ID`), its
gradebook, an exchange inside the folder, and the sanitising of everything a student wrote
(`sanitize.SanitizeNotebook`, and nbconvert's own `HTMLExporter.sanitize_html`). A results folder's
(`grade`, `merge`, `review`) names no cell timeout; the benchmark's stock nbgrader course folder
gives one. `resultsdir.configured_db_url` reads the file back without running it.
"""

from __future__ import annotations

import functools
import logging
import pathlib

from .paths import COURSE_ID

log = logging.getLogger(__name__)

CONFIG = "nbgrader_config.py"
EXCHANGE = "exchange"  # the exchange's folder inside the course folder
TEMPLATE = "nbgrader_config.py.j2"


@functools.lru_cache(maxsize=1)
def _template():
    import jinja2

    # Python, not HTML: no escaping (`select_autoescape` escapes .html and .xml templates only);
    # every value is a Python literal made by repr()
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("autograder", "templates"),
        autoescape=jinja2.select_autoescape(),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template(TEMPLATE)


def render(db_url: str, execute_timeout: int | None = None) -> str:
    """The text of the config naming the gradebook `db_url` (and nbgrader's
    cell timeout, when given)."""
    return _template().render(
        db_url=repr(db_url),
        course_id=repr(COURSE_ID),
        exchange=repr(EXCHANGE),
        execute_timeout=None if execute_timeout is None else int(execute_timeout),
    )


def write_config(
    folder: pathlib.Path, db_url: str, execute_timeout: int | None = None
) -> pathlib.Path:
    """Write `folder/nbgrader_config.py` (see the module docstring); return its path."""
    path = pathlib.Path(folder) / CONFIG
    path.write_text(render(db_url, execute_timeout), encoding="utf-8")
    log.debug("wrote %s naming the gradebook %s", path, db_url)
    return path
