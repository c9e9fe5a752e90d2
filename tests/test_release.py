"""``grader release``: the student bundle holds what students need and nothing of the instructor's.

For every shipped assignment the bundle is built and scanned, the wheel's
members included: no instructor-only file (``reference/<a>/``: the reference,
hidden tests, mutants, variants; ``submissions/<a>/``; the store) may be in it
whole, and no line of one that is not also public (in the template, the public
tests, the grader's own source) may appear in any bundle file. A planted leak
shows the scan can fail. ``grader check`` in the bundle scores like in the
course folder.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from grader.course import Course
from grader.release import ReleaseError, public_settings, release

ROOT = Path(__file__).resolve().parents[1]
COURSE = Course.at(ROOT)
ASSIGNMENTS = COURSE.assignment_names()
MIN_LINE = 25  # shorter lines (imports, `return x`) are shared by any two Python files


def bundle_files(bundle: Path) -> dict[str, bytes]:
    """Every file of the bundle by its path, and every member of its wheels as ``wheel!member``."""
    files: dict[str, bytes] = {}
    for path in bundle.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            files[str(path.relative_to(bundle))] = data
            if path.suffix == ".whl":
                with zipfile.ZipFile(io.BytesIO(data)) as whl:
                    for member in whl.namelist():
                        files[f"{path.name}!{member}"] = whl.read(member)
    return files


def instructor_only(name: str) -> list[Path]:
    folders = [COURSE.reference_dir(name), COURSE.submissions_dir(name)]
    files = [p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file()]
    return files + [p for p in ROOT.glob("grades.db*") if p.is_file()]


def public_text(name: str) -> bytes:
    """What students may see anyway: the assignment folder, the grader's source, the README."""
    sources = [p for p in COURSE.assignment_dir(name).rglob("*") if p.is_file()]
    sources += list((ROOT / "grader").rglob("*.py")) + [ROOT / "README.md"]
    return b"\n".join(p.read_bytes() for p in sources)


def leaks(bundle: Path, name: str) -> list[str]:
    """What of the instructor-only material of ``name`` is in ``bundle``, one line per finding."""
    files = bundle_files(bundle)
    public = public_text(name)
    found = []
    for secret in instructor_only(name):
        data = secret.read_bytes()
        where = [f for f, content in files.items() if data and data in content]
        if where:
            found.append(f"{secret.relative_to(ROOT)} is in {where}")
            continue
        for line in {ln.strip() for ln in data.splitlines()}:
            if len(line) >= MIN_LINE and line not in public:
                hits = [f for f, content in files.items() if line in content]
                if hits:
                    found.append(f"{secret.relative_to(ROOT)}: {line[:80]!r} is in {hits}")
                    break
    return found


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:
    return {name: release(COURSE, name, tmp_path_factory.mktemp(name) / "release") for name in ASSIGNMENTS}


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_no_instructor_material_in_the_release(bundles, name):
    assert instructor_only(name), "nothing to protect? the scan would pass vacuously"
    assert leaks(bundles[name], name) == []


def test_the_scan_finds_a_planted_leak(bundles, tmp_path):
    bundle = tmp_path / "leaky"
    subprocess.run(["cp", "-r", str(bundles["hw2"]), str(bundle)], check=True)
    hidden = sorted(COURSE.hidden_tests_dir("hw2").glob("*.py"))[0]
    text = hidden.read_text()
    (bundle / "assignments" / "hw2" / "tests" / "notes.txt").write_text(text[len(text) // 2:])  # half a file
    assert leaks(bundle, "hw2")


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_release_holds_what_students_need(bundles, name):
    bundle = bundles[name]
    config = tomllib.loads((bundle / "assignments" / name / "assignment.toml").read_text())
    assert "reference" not in config
    shipped = sorted(p.name for p in (bundle / "assignments" / name / "tests").glob("*.py"))
    assert shipped == sorted(p.name for p in COURSE.public_tests_dir(name).glob("*.py"))
    for data in config.get("data", []):
        assert (bundle / "assignments" / name / data).read_bytes() == (COURSE.assignment_dir(name) / data).read_bytes()
    assert any((bundle / f).is_file() for f in config["files"]), "no template at the top of the release"
    wheel, *more = (bundle / "requirements.txt").read_text().splitlines()
    assert (bundle / wheel).is_file()
    if "torch" in " ".join(more):  # the CPU build, pinned to the grading environment's release
        from grader.environment import TORCH

        assert any(f"torch=={TORCH}+cpu" in line for line in more)
        assert "--extra-index-url https://download.pytorch.org/whl/cpu" in more
    readme = (bundle / "README.md").read_text()
    assert f"grader check {name}" in readme and "requirements.txt" in readme


def test_public_settings_drop_only_the_reference():
    text = 'title = "x"\nreference = "hw.py"  # secret name\nseed = 3\n\n[limits]\nmemory = "1GiB"\n'
    assert tomllib.loads(public_settings(text)) == {"title": "x", "seed": 3, "limits": {"memory": "1GiB"}}


def test_release_refuses_a_folder_in_use(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ReleaseError, match="not empty"):
        release(COURSE, "hw1", tmp_path)
    assert (tmp_path / "keep.txt").read_text() == "mine"


@pytest.mark.sandbox
@pytest.mark.parametrize("name", ["hw2"])
def test_check_in_the_release_scores_as_in_the_course(bundles, name, tmp_path):
    """The reference (copied out) gets the public points, the template none, run from the release's root."""
    bundle = bundles[name]
    solution = tmp_path / f"{name}.py"
    solution.write_text((COURSE.reference_dir(name) / f"{name}.py").read_text())
    grader = [sys.executable, "-m", "grader.cli", "check", name, "--json"]
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    full = subprocess.run([*grader, str(solution)], cwd=bundle, capture_output=True, text=True, env=env)
    empty = subprocess.run(grader, cwd=bundle, capture_output=True, text=True, env=env)
    import json

    full_result, empty_result = json.loads(full.stdout), json.loads(empty.stdout)
    assert full.returncode == 0, full.stderr
    assert full_result["score"] == full_result["max_score"] > 0
    assert empty.returncode == 1 and empty_result["score"] == 0
