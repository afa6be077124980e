"""Find the submissions to grade: a folder, a zip of a folder, or an LMS download.

Three forms are accepted (the README shows each):

1. a folder with one sub-folder per student id holding released notebooks,
   `SUBMISSIONS/<student_id>/05_vae.ipynb` (nbgrader's own
   `<student_id>/<assignment>/<notebook>.ipynb` layout works too);
2. a `.zip` of such a folder (with or without one top-level folder);
3. an LMS-style `.zip` of flat files named by student, as nbgrader's
   `zip_collect` expects: `<student_id>_<anything>_05_vae.ipynb` (Canvas adds a
   `-1` before the extension for a resubmission; the newest wins). `--lms-regex`
   overrides the pattern; it must have the groups `student_id` and `notebook`.

Zips are unpacked safely: entries with absolute or `..` paths, links, or more
than the size limits are skipped and reported.
"""
from __future__ import annotations

import dataclasses
import pathlib
import re
import shutil
import stat
import zipfile

from .paths import ASSIGNMENTS, UsageError

LMS_PATTERN = (r"^(?P<student_id>[A-Za-z0-9.\-]+)_(?:.*_)?(?P<notebook>0[1-6]_[a-z_]+?)"
               r"(?:-(?P<attempt>\d+))?\.ipynb$")
MAX_ENTRY_BYTES = 50 * 1024 * 1024
MAX_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
_SAFE_ID = re.compile(r"[^A-Za-z0-9._-]")


@dataclasses.dataclass
class Collection:
    """What was found: `files[(student_id, assignment)] = path`, plus what was skipped and why."""
    students: list[str]
    files: dict[tuple[str, str], pathlib.Path]
    skipped: list[str]


def safe_student_id(raw: str) -> str:
    """A student id usable as a folder name: letters, digits, '.', '_' and '-' only."""
    cleaned = _SAFE_ID.sub("-", raw).strip(".-") or "unnamed"
    return cleaned[:64]


def collect(source: pathlib.Path, unpack_dir: pathlib.Path, lms_regex: str | None = None) -> Collection:
    """Find every student's notebooks in a folder or zip (see the module docstring).

    Raises:
        UsageError: `source` does not exist, is an unreadable zip, or holds no notebook.
    """
    source = pathlib.Path(source)
    if not source.exists():
        raise UsageError(f"{source} does not exist: give a folder of student folders or a .zip")
    skipped: list[str] = []
    if source.is_file():
        if not zipfile.is_zipfile(source):
            raise UsageError(f"{source} is neither a folder nor a zip file")
        if unpack_dir.exists():
            shutil.rmtree(unpack_dir)
        unpack_dir.mkdir(parents=True)
        names = _safe_extract(source, unpack_dir, skipped)
        flat = [n for n in names if "/" not in n.strip("/")]
        if flat and len(flat) == len(names):
            return _collect_lms(unpack_dir, lms_regex or LMS_PATTERN, skipped)
        root = unpack_dir
        entries = [p for p in root.iterdir() if not p.name.startswith((".", "__MACOSX"))]
        if len(entries) == 1 and entries[0].is_dir() and not _looks_like_student(entries[0]):
            root = entries[0]
        return _collect_folder(root, skipped)
    return _collect_folder(source, skipped)


def _looks_like_student(folder: pathlib.Path) -> bool:
    return any((folder / f"{a}.ipynb").exists() or (folder / a / f"{a}.ipynb").exists() for a in ASSIGNMENTS)


def _collect_folder(root: pathlib.Path, skipped: list[str]) -> Collection:
    files: dict[tuple[str, str], pathlib.Path] = {}
    students = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()):
        if folder.name.startswith((".", "__MACOSX")):
            continue
        sid = safe_student_id(folder.name)
        if sid in students:
            skipped.append(f"{folder.name}: same id as another folder after cleaning ({sid})")
            continue
        students.append(sid)
        for a in ASSIGNMENTS:
            candidates = [folder / f"{a}.ipynb", folder / a / f"{a}.ipynb"]
            for c in candidates:
                if c.is_file() and not c.is_symlink():
                    files[(sid, a)] = c
                    break
                if c.is_symlink():
                    skipped.append(f"{sid}/{c.name}: a link, not a file")
    if not students:
        raise UsageError(f"no student folders in {root}: expect <student_id>/05_vae.ipynb and the like")
    return Collection(students, files, skipped)


def _collect_lms(root: pathlib.Path, pattern: str, skipped: list[str]) -> Collection:
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise UsageError(f"--lms-regex is not a valid regular expression: {exc}") from None
    if not {"student_id", "notebook"} <= set(regex.groupindex):
        raise UsageError("--lms-regex needs the named groups (?P<student_id>...) and (?P<notebook>...)")
    best: dict[tuple[str, str], tuple[int, pathlib.Path]] = {}
    for path in sorted(root.iterdir()):
        if not path.is_file() or path.name.startswith("."):
            continue
        m = regex.match(path.name)
        if not m or m.group("notebook") not in ASSIGNMENTS:
            skipped.append(f"{path.name}: name does not match the LMS pattern")
            continue
        attempt = int(m.groupdict().get("attempt") or 0)
        key = (safe_student_id(m.group("student_id")), m.group("notebook"))
        if key not in best or attempt >= best[key][0]:
            best[key] = (attempt, path)
    files = {k: v[1] for k, v in best.items()}
    students = sorted({k[0] for k in files})
    if not students:
        raise UsageError("no file in the zip matches the LMS pattern <student_id>_..._05_vae.ipynb "
                         "(set --lms-regex for another naming)")
    return Collection(students, files, skipped)


def _safe_extract(archive: pathlib.Path, dest: pathlib.Path, skipped: list[str]) -> list[str]:
    """Extract regular files only, inside `dest`, within the size limits; return their names."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"{archive} is not a readable zip: {exc}") from None
    extracted, total = [], 0
    dest = dest.resolve()
    with zf:
        for info in zf.infolist():
            name = info.filename
            if info.is_dir():
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                skipped.append(f"{name}: a link inside the zip")
                continue
            parts = pathlib.PurePosixPath(name.replace("\\", "/")).parts
            if name.startswith("/") or ".." in parts or (parts and ":" in parts[0]):
                skipped.append(f"{name}: path leaves the folder")
                continue
            if info.file_size > MAX_ENTRY_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                skipped.append(f"{name}: larger than {MAX_ENTRY_BYTES // 2**20} MB")
                continue
            target = (dest / pathlib.Path(*parts)).resolve()
            if dest not in target.parents:
                skipped.append(f"{name}: path leaves the folder")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            written = 0
            with zf.open(info) as src, open(target, "wb") as out:
                while chunk := src.read(1 << 20):
                    written += len(chunk)
                    if written > MAX_ENTRY_BYTES:
                        break
                    out.write(chunk)
            if written > MAX_ENTRY_BYTES:
                target.unlink()
                skipped.append(f"{name}: larger than {MAX_ENTRY_BYTES // 2**20} MB once unpacked")
                continue
            total += written
            extracted.append("/".join(parts))
    return extracted
