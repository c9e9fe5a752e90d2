"""Mutants kept as patches (grader/patches.py): each applies to today's reference, gives
a file that differs from it, and a patch that no longer applies is an error."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from grader.patches import PatchError, apply_patch, make_patch, materialize, materialize_course, reference_file

ROOT = Path(__file__).resolve().parent.parent
PATCHES = sorted((ROOT / "reference").glob("*/*/*.patch"))


HWS = sorted(p.name for p in (ROOT / "reference").iterdir() if (p / "mutants").is_dir())


def _shared_lines(a: str, b: str) -> float:
    """The share of ``a``'s lines that ``b`` repeats in the same order (difflib's matching blocks)."""
    a_lines, b_lines = a.splitlines(), b.splitlines()
    matcher = difflib.SequenceMatcher(None, a_lines, b_lines, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()) / len(a_lines)


def test_the_whole_file_copies_are_gone():
    assert HWS == ["hw1", "hw2", "hw3", "hw4", "hw5"]
    for hw in HWS:
        mutants = sorted((ROOT / "reference" / hw / "mutants").glob("*.py"))
        assert len(mutants) >= 15
        unpatched = [p.name for p in mutants if not p.with_suffix(".patch").is_file()]
        assert unpatched == [], f"{hw}: mutants kept as whole files instead of patches: {unpatched}"


@pytest.mark.parametrize("hw", HWS)
def test_variants_are_other_implementations_not_copies_of_the_reference(hw: str):
    """A variant is a whole solution in another style (loops, einsum, float32, torch): it shares
    under a third of the reference's lines (today at most a fifth); a near-copy that changes a
    few functions belongs in a patch."""
    base = reference_file(ROOT, hw).read_text(encoding="utf-8")
    for variant in sorted((ROOT / "reference" / hw / "variants").glob("*.py")):
        shared = _shared_lines(base, variant.read_text(encoding="utf-8"))
        assert shared < 1 / 3, f"{variant.name} repeats {shared:.0%} of {hw}'s reference"


@pytest.mark.parametrize("patch", PATCHES, ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_each_patch_applies_to_the_reference_and_changes_it(patch: Path):
    base = reference_file(ROOT, patch.parts[-3]).read_text(encoding="utf-8")
    text = apply_patch(base, patch.read_text(encoding="utf-8"))
    assert text != base
    assert "Must lose points in: " in text, "a mutant's docstring names the questions it must lose points in"
    compile(text, str(patch), "exec")


def test_materialize_writes_the_patched_files(tmp_path: Path):
    base = tmp_path / "hw.py"
    base.write_text("def f(x):\n    return x + 1\n\n\ndef g(x):\n    return 2 * x\n")
    folder = tmp_path / "mutants"
    folder.mkdir()
    changed = base.read_text().replace("x + 1", "x - 1")
    (folder / "f_minus.patch").write_text(make_patch(base.read_text(), changed, "hw.py"))
    [out] = materialize(folder, base)
    assert out == folder / "f_minus.py" and out.read_text() == changed


def test_a_patch_that_no_longer_applies_is_an_error(tmp_path: Path):
    base = tmp_path / "hw.py"
    base.write_text("def f(x):\n    return x + 1\n")
    folder = tmp_path / "mutants"
    folder.mkdir()
    (folder / "m.patch").write_text(make_patch(base.read_text(), "def f(x):\n    return x - 1\n", "hw.py"))
    base.write_text("def f(x):\n    return x + 2\n")  # the reference changed under the patch
    with pytest.raises(PatchError, match="m.patch does not apply"):
        materialize(folder, base)
    assert not (folder / "m.py").exists()


def test_materialize_course_covers_every_patch():
    written = materialize_course(ROOT)
    assert sorted(p.with_suffix(".patch") for p in written) == PATCHES


BASE = '''"""The reference: two functions."""

import numpy as np


def f(x):
    return x + 1


def g(x):
    return 2 * x
'''


def test_a_patch_reads_as_the_mistake_its_question_and_the_changed_function():
    changed = BASE.replace('"""The reference: two functions."""', '"""hw0 mutant: g halves.\n\nMust lose points in: g.\n"""')
    changed = changed.replace("2 * x", "x / 2")
    patch = make_patch(BASE, changed, "hw0.py")
    header, diff = patch.split("--- a/hw0.py", 1)
    assert header == "hw0 mutant: g halves.\n\nMust lose points in: g.\n\n"
    assert "The reference" not in diff, "the reference's docstring is not repeated in the diff"
    assert [line for line in diff.splitlines() if line[:1] in ("+", "-") and line[:3] not in ("---", "+++")] == \
        ["-    return 2 * x", "+    return x / 2"]
    assert diff.splitlines()[2].endswith("@@ g"), "the hunk's heading names the function it changes"
    assert apply_patch(BASE, patch) == changed


def test_a_patch_without_a_description_changes_the_code_only():
    changed = BASE.replace("x + 1", "x - 1")
    patch = make_patch(BASE, changed, "hw0.py")
    assert patch.startswith("--- a/hw0.py") and patch.splitlines()[2].endswith("@@ f")
    assert apply_patch(BASE, patch) == changed


def test_a_description_that_looks_like_a_diff_is_refused():
    changed = BASE.replace('"""The reference: two functions."""', '"""hw0 mutant:\n--- a/hw0.py\n"""')
    with pytest.raises(PatchError, match="starts like a unified diff"):
        make_patch(BASE, changed, "hw0.py")


def test_a_patch_with_no_diff_is_an_error():
    with pytest.raises(PatchError, match="no unified diff"):
        apply_patch(BASE, "hw0 mutant: nothing.\n\nMust lose points in: f.\n")
