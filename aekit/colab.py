"""The Colab setup cell: its source (`colab_cell.py`, beside this file) and its place in a notebook.

Every notebook carries, just before its nbgrader setup cell, an ordinary code cell (no nbgrader
metadata) whose source is `colab_cell.py`: on Google Colab it installs the course package with
`pip install --no-deps` from the address the instructor sets there (`WHEEL_URL`), so Colab keeps its
own TensorFlow; anywhere else, the grader's kernel included, it does nothing. `put_cell` puts the
cell into a notebook or brings it up to date, idempotently; the instructor runs it over `solutions/`
after changing `WHEEL_URL`, then `python -m autograder release`.
"""

from __future__ import annotations

import logging
import pathlib

from aekit import nbcells

logger = logging.getLogger(__name__)

CELL_FILE = pathlib.Path(__file__).resolve().parent / "colab_cell.py"


def cell_source() -> str:
    """The setup cell's code, exactly as `colab_cell.py` holds it (no
    trailing newline, as Jupyter stores cells)."""
    return CELL_FILE.read_text(encoding="utf-8").rstrip("\n")


def is_colab_cell(cell: dict) -> bool:
    """Whether `cell` is the Colab setup cell (any version of it: it starts
    with the file's first line)."""
    first_line = cell_source().split("\n", 1)[0]
    return nbcells.is_code(cell) and nbcells.source_text(cell).startswith(first_line)


def put_cell(nb: dict) -> bool:
    """Insert the Colab setup cell before the nbgrader setup cell (grade_id
    "setup"), or update the one there; return whether `nb` changed. A
    notebook without a setup cell gets it as its first code cell."""
    source = cell_source()
    for cell in nb["cells"]:
        if is_colab_cell(cell):
            if nbcells.source_text(cell) == source:
                return False
            cell["source"] = source
            cell["outputs"], cell["execution_count"] = [], None
            return True
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {},
        "outputs": [],
        "source": source,
    }
    cells = nb["cells"]
    setup = [i for i, c in enumerate(cells) if nbcells.grade_id(c) == "setup"]
    code = [i for i, c in enumerate(cells) if nbcells.is_code(c)]
    cells.insert(setup[0] if setup else (code[0] if code else len(cells)), cell)
    return True


def put_cell_in_file(path: pathlib.Path) -> bool:
    """`put_cell` on a notebook file, written back with nbformat only when it changed."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    if not put_cell(nb):
        return False
    nb = nbformat.from_dict(nb)  # the inserted cell is a plain dict
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    logger.info("Colab setup cell written into %s", path)
    return True


def main(argv: list[str] | None = None) -> int:
    """`python -m aekit.colab NOTEBOOK...`: put the Colab setup cell into
    each notebook (the instructor's solutions/*/*.ipynb), then regenerate
    the release with `python -m autograder release`."""
    import sys

    paths = [pathlib.Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths or any(not p.is_file() or p.suffix != ".ipynb" for p in paths):
        print(
            "usage: python -m aekit.colab solutions/*/*.ipynb   (notebook files that exist)",
            file=sys.stderr,
        )
        return 2
    for path in paths:
        print(
            f"{path}: "
            f"{'Colab setup cell written' if put_cell_in_file(path) else 'already up to date'}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
