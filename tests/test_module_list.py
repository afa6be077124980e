"""Is the README's module list of the grader true: every module of autograder/ listed once with its
job, no module listed that does not exist, and imports running down the list, never up (a module
imports only modules listed below it)?

The import graph is read with `ast` (no module is imported): every `import` and `from ... import` of
a module of the package, at the top of a file or inside a function alike. A new module, or a new
import that goes up the list, fails here with the line to add or the edge to remove; the README's
list is then rewritten in the true order (a topological order of the graph this file computes,
`python tests/test_module_list.py` prints one).
"""

from __future__ import annotations

import ast
import pathlib
import re
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = REPO / "autograder"
HEADING = "The grader, by the job each module does (imports run down this list, never up):"
# the package's docstring; it is run by every import of autograder, so it
# may import nothing of it (checked below)
UNLISTED = {"__init__.py"}
LINE = re.compile(r"(?P<module>\S+\.py)\s{2,}(?P<job>\S.*)")


def listed_modules(readme: str) -> list[tuple[str, str]]:
    """(module file name, its job) of each entry of the text block after
    HEADING, in order. An entry is a line
    `name.py  its job`; an indented line below it continues its job."""
    head, found, rest = readme.partition(HEADING)
    if not found:
        raise ValueError(f"the README has no line {HEADING!r}")
    block = re.match(r"\s*```text\n(.*?)\n```", rest, re.S)
    if block is None:
        raise ValueError("the README's module list is not a ```text block right after its heading")
    out = []
    for line in block.group(1).splitlines():
        if out and line[:1].isspace() and line.strip():
            out[-1] = (out[-1][0], f"{out[-1][1]} {line.strip()}")
            continue
        match = LINE.fullmatch(line.rstrip())
        if match is None:
            raise ValueError(f"not `module.py  its job` in the README's module list: {line!r}")
        out.append((match["module"], match["job"]))
    return out


def imported_modules(path: pathlib.Path, package: str) -> set[str]:
    """The modules of `path`'s package (file names) that `path` imports, anywhere in the file."""
    folder = path.parent
    here = path.name
    found: set[str] = set()

    def add(dotted: str, names: list[str]) -> None:
        if dotted:
            found.add(dotted.split(".")[0] + ".py")
        else:  # `from . import a, b`: the names that are modules
            found.update(f"{n}.py" for n in names if (folder / f"{n}.py").is_file())

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            names = [a.name for a in node.names]
            if node.level == 1:
                add(node.module or "", names)
            elif node.level == 0 and node.module and node.module.split(".")[0] == package:
                add(node.module.partition(".")[2], names)
            elif node.level > 1:
                raise ValueError(
                    f"{path}: an import from above the package ({'.' * node.level}{node.module})"
                )
        elif isinstance(node, ast.Import):
            for alias in node.names:
                first, _, rest = alias.name.partition(".")
                if first == package and rest:
                    found.add(rest.split(".")[0] + ".py")
    found.discard(here)
    return found


def import_graph(folder: pathlib.Path) -> dict[str, set[str]]:
    """Each module file of the package `folder` -> the module files of it that it imports."""
    return {p.name: imported_modules(p, folder.name) for p in sorted(folder.glob("*.py"))}


def problems(
    listed: list[tuple[str, str]], graph: dict[str, set[str]], unlisted: set[str]
) -> list[str]:
    """What is false about `listed` for `graph`: one line each."""
    out = []
    names = [m for m, _ in listed]
    position = {m: i for i, m in enumerate(names)}
    for m in sorted({m for m in names if names.count(m) > 1}):
        out.append(f"{m} is listed {names.count(m)} times")
    for m in sorted(set(graph) - set(names) - unlisted):
        out.append(f"{m} is not listed: add `{m}  <its job>` above every module it imports")
    for m in sorted(set(names) - set(graph)):
        out.append(f"{m} is listed but there is no such module")
    for m in sorted(unlisted & set(graph)):
        for b in sorted(graph[m]):
            out.append(f"{m} (not listed) imports {b}")
    for m, job in listed:
        if not job.strip():
            out.append(f"{m} has no job")
    for a in names:
        for b in sorted(graph.get(a, ())):
            if b in position and position[b] < position[a]:
                out.append(f"{a} imports {b}, which is listed above it")
    return out


def true_order(graph: dict[str, set[str]], preferred: list[str]) -> list[str]:
    """An order of the modules where each imports only modules after it, as
    close to `preferred` as the graph allows (modules not in `preferred` go
    last); a cycle raises ValueError naming its modules."""
    rank = {m: i for i, m in enumerate(preferred)}
    importers = {m: {a for a in graph if m in graph[a]} for m in graph}
    order: list[str] = []
    while len(order) < len(graph):
        ready = [m for m in graph if m not in order and not (importers[m] - set(order))]
        if not ready:
            raise ValueError(f"an import cycle among {sorted(set(graph) - set(order))}")
        order.append(min(ready, key=lambda m: (rank.get(m, len(rank)), m)))
    return order


def test_the_readme_lists_every_module_of_the_grader_in_import_order():
    listed = listed_modules((REPO / "README.md").read_text(encoding="utf-8"))
    found = problems(listed, import_graph(PACKAGE), UNLISTED)
    assert not found, "the README's module list is not true:\n" + "\n".join(found)


def test_the_grader_has_no_import_cycle():
    graph = import_graph(PACKAGE)
    true_order(graph, sorted(graph))  # raises on a cycle


# ---- the checks themselves, on a made-up package: each falsehood of a
# list is found ---------------------------


def _package(tmp_path: pathlib.Path, files: dict[str, str]) -> pathlib.Path:
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _readme(*lines: str) -> str:
    return f"intro\n\n{HEADING}\n\n```text\n" + "\n".join(lines) + "\n```\n\nmore\n"


MADE_UP = {
    "__init__.py": '"""the package"""\n',
    "top.py": "from . import low\nimport pkg.mid\n",
    "mid.py": "def f():\n    from .low import g  # inside a function: counts\n    return g\n",
    "low.py": "import os\nfrom pkg import other_package_name_not_a_module\n",
}


def test_the_import_graph_counts_every_form_of_import(tmp_path):
    graph = import_graph(_package(tmp_path, MADE_UP))
    assert graph == {
        "__init__.py": set(),
        "top.py": {"low.py", "mid.py"},
        "mid.py": {"low.py"},
        "low.py": set(),
    }


def test_a_true_list_has_no_problem(tmp_path):
    graph = import_graph(_package(tmp_path, MADE_UP))
    listed = listed_modules(
        _readme("top.py   the top", "mid.py   the middle", "low.py   the bottom")
    )
    assert problems(listed, graph, {"__init__.py"}) == []


@pytest.mark.parametrize(
    "lines, expected",
    [
        (
            ("mid.py   the middle", "top.py   the top", "low.py   the bottom"),
            ["top.py imports mid.py, which is listed above it"],
        ),
        (
            ("top.py   the top", "low.py   the bottom"),
            ["mid.py is not listed: add `mid.py  <its job>` above every module it imports"],
        ),
        (
            ("top.py   the top", "mid.py   the middle", "gone.py  removed", "low.py   the bottom"),
            ["gone.py is listed but there is no such module"],
        ),
        (
            ("top.py   the top", "mid.py   the middle", "low.py   the bottom", "low.py   again"),
            ["low.py is listed 2 times"],
        ),
    ],
    ids=["upward import", "module missing", "module gone", "listed twice"],
)
def test_each_falsehood_of_a_list_is_found(tmp_path, lines, expected):
    graph = import_graph(_package(tmp_path, MADE_UP))
    assert problems(listed_modules(_readme(*lines)), graph, {"__init__.py"}) == expected


def test_an_unlisted_module_that_imports_is_found(tmp_path):
    graph = import_graph(_package(tmp_path, {**MADE_UP, "__init__.py": "from .low import g\n"}))
    listed = listed_modules(
        _readme("top.py   the top", "mid.py   the middle", "low.py   the bottom")
    )
    assert problems(listed, graph, {"__init__.py"}) == ["__init__.py (not listed) imports low.py"]


def test_an_indented_line_continues_the_job_above():
    listed = listed_modules(
        _readme("top.py   the top,", "         and more", "low.py   the bottom")
    )
    assert listed == [("top.py", "the top, and more"), ("low.py", "the bottom")]


def test_a_line_without_a_job_or_a_list_without_its_heading_is_refused():
    with pytest.raises(ValueError, match="not `module.py  its job`"):
        listed_modules(_readme("top.py"))
    with pytest.raises(ValueError, match="no line"):
        listed_modules("no list here\n")


def test_the_true_order_follows_imports_and_names_a_cycle():
    graph = {"a.py": {"b.py"}, "b.py": {"c.py"}, "c.py": set(), "d.py": {"c.py"}}
    assert true_order(graph, ["c.py", "d.py", "b.py", "a.py"]) == ["d.py", "a.py", "b.py", "c.py"]
    with pytest.raises(ValueError, match=r"cycle among \['a.py', 'b.py'\]"):
        true_order({"a.py": {"b.py"}, "b.py": {"a.py"}, "c.py": set()}, [])


def proposed_list(readme: str, graph: dict[str, set[str]], unlisted: set[str]) -> str:
    """The module list in a true order nearest to the README's, each with the README's job ("?" for
    a module it does not list yet), columns as the README's."""
    try:
        jobs = dict(listed_modules(readme))
    except ValueError:
        jobs = {}
    modules = {m: g & (set(graph) - unlisted) for m, g in graph.items() if m not in unlisted}
    width = max(map(len, modules)) + 2
    return "\n".join(f"{m:{width}s}{jobs.get(m, '?')}" for m in true_order(modules, list(jobs)))


def test_the_proposed_list_is_true_and_keeps_the_readmes_jobs(tmp_path):
    graph = import_graph(_package(tmp_path, {**MADE_UP, "new.py": "from . import top\n"}))
    readme = _readme("mid.py   the middle", "top.py   the top", "low.py   the bottom")
    proposed = proposed_list(readme, graph, {"__init__.py"})
    assert proposed.splitlines() == [
        "new.py  ?",
        "top.py  the top",
        "mid.py  the middle",
        "low.py  the bottom",
    ]
    assert (
        problems(
            listed_modules(_readme(*proposed.replace("?", "its job").splitlines())),
            graph,
            {"__init__.py"},
        )
        == []
    )


# print a true order, nearest to the README's own, with the README's jobs
if __name__ == "__main__":
    print(
        proposed_list(
            (REPO / "README.md").read_text(encoding="utf-8"), import_graph(PACKAGE), UNLISTED
        )
    )
    sys.exit(0)


def modules_without_a_logger(folder: pathlib.Path) -> list[str]:
    """The module files of `folder` (but `__init__.py` and `__main__.py`) that do not define
    `log = logging.getLogger(__name__)` at their top level."""
    lacking = []
    for path in sorted(folder.glob("*.py")):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        found = any(
            isinstance(node, ast.Assign)
            and [ast.unparse(t) for t in node.targets] == ["log"]
            and ast.unparse(node.value) == "logging.getLogger(__name__)"
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
        if not found:
            lacking.append(path.name)
    return lacking


def test_every_module_of_the_grader_has_its_own_logger(tmp_path):
    """Issue 31: a logger per module (what a module swallows is logged at
    debug; `grade --verbose` shows it). Does every module define one, and
    is a module without one (or with a shared name) found?"""
    assert modules_without_a_logger(PACKAGE) == []
    (tmp_path / "good.py").write_text("import logging\n\nlog = logging.getLogger(__name__)\n")
    (tmp_path / "shared.py").write_text("import logging\n\nlog = logging.getLogger('autograder')\n")
    (tmp_path / "none.py").write_text("x = 1\n")
    assert modules_without_a_logger(tmp_path) == ["none.py", "shared.py"]
