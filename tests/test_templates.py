"""The template notebooks state the grading rules where students read them (issue 9).

Each template's rules (its first markdown cell, or a "Rules for grading" markdown
cell right after it) must state

* the grading environment's versions, as grader.environment reads them: Python and
  NumPy in every template, PyTorch in those that import torch and in no other;
* wherever the hidden tests check that a function leaves its inputs unchanged
  (assert_inputs_unchanged, or a test_inputs_unchanged of its own), that rule, naming
  exactly the functions checked, as read from the hidden tests themselves.

The statements are parsed out of the notebook text and compared with those sources,
so a version bump, a new in-place check or an edited notebook that drifts apart fails here.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest

from grader import environment

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = sorted(p.parent.name for p in ROOT.glob("assignments/*/assignment.toml"))

# the bullet that states the in-place rule starts with this (tests find it by it)
INPUTS_RULE = "Leave your inputs unchanged"
ENVIRONMENT_RULE = "Grading environment"
VERSION = {
    "Python": r"Python (\d+(?:\.\d+)+)",
    "NumPy": r"NumPy (\d+(?:\.\d+)+)",
    "PyTorch": r"PyTorch (\d+(?:\.\d+)+)",
}


def template(name: str) -> Path:
    return ROOT / "assignments" / name / f"{name}.ipynb"


def rules_text(nb) -> str:
    """The first markdown cell, and a "Rules for grading" markdown cell right after it."""
    cells = nb.cells
    assert cells and cells[0].cell_type == "markdown", "the template must open with a markdown cell"
    text = cells[0].source
    if len(cells) > 1 and cells[1].cell_type == "markdown" and re.match(r"#+\s*Rules for grading", cells[1].source):
        text += "\n\n" + cells[1].source
    return text


def code(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def defined_functions(nb) -> set[str]:
    return set(re.findall(r"^\s*def (\w+)\(", code(nb), flags=re.M))


def uses_torch(nb) -> bool:
    return re.search(r"^\s*(import torch|from torch)\b", code(nb), flags=re.M) is not None


def bullet(text: str, start: str) -> str | None:
    """The list item (or paragraph) of ``text`` that contains ``start``, up to the next item or blank line."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if start in line:
            item = [line]
            for following in lines[i + 1:]:
                if not following.strip() or re.match(r"\s*(?:[*-]|\d+\.)\s", following):
                    break
                item.append(following)
            return "\n".join(item)
    return None


def _parametrized(fn: ast.FunctionDef, arg: str) -> set[str]:
    """The string values ``arg`` takes in ``fn``'s @pytest.mark.parametrize(arg, [...])."""
    values: set[str] = set()
    for deco in fn.decorator_list:
        if (isinstance(deco, ast.Call) and deco.args and isinstance(deco.args[0], ast.Constant)
                and deco.args[0].value == arg and len(deco.args) > 1):
            values |= {v for v in ast.literal_eval(deco.args[1]) if isinstance(v, str)}
    return values


def checked_functions(test_file: Path) -> set[str]:
    """The submission's functions whose inputs ``test_file`` checks for in-place changes: those a
    test_inputs_unchanged (or any test calling assert_inputs_unchanged) calls as ``submission.f`` or
    ``getattr(submission, name)`` with ``name`` parametrized."""
    names: set[str] = set()
    for fn in ast.parse(test_file.read_text()).body:
        if not isinstance(fn, ast.FunctionDef):
            continue
        nodes = list(ast.walk(fn))
        calls_assert = any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
                           and n.func.id == "assert_inputs_unchanged" for n in nodes)
        if not (fn.name.startswith("test_inputs_unchanged") or calls_assert):
            continue
        for n in nodes:
            if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "submission":
                names.add(n.attr)
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "getattr"
                  and len(n.args) >= 2 and isinstance(n.args[0], ast.Name) and n.args[0].id == "submission"):
                if isinstance(n.args[1], ast.Constant):
                    names.add(n.args[1].value)
                else:
                    assert isinstance(n.args[1], ast.Name), f"{test_file.name}::{fn.name}: getattr on an expression"
                    found = _parametrized(fn, n.args[1].id)
                    assert found, f"{test_file.name}::{fn.name}: {n.args[1].id} is not parametrized with names"
                    names |= found
    return names


def hidden_checked_functions(name: str) -> set[str]:
    tests = ROOT / "reference" / name / "tests"
    return set().union(*(checked_functions(p) for p in sorted(tests.glob("test_*.py"))))


def stated_versions(text: str) -> dict[str, set[str]]:
    return {lib: set(re.findall(pattern, text)) for lib, pattern in VERSION.items()}


# --------------------------------------------------------------------------- the sources themselves


def test_there_are_templates_and_hidden_in_place_checks():
    assert {"hw1", "hw2", "hw3", "hw4", "hw5", "lab-iris"} <= set(ASSIGNMENTS)
    assert hidden_checked_functions("hw4") >= {"sgd", "adam"}, "the hidden tests' in-place checks were not found"


def test_checked_functions_reads_submission_attributes_and_parametrized_names(tmp_path):
    test_file = tmp_path / "test_x_hidden.py"
    test_file.write_text(
        "import pytest\n"
        "@pytest.mark.parametrize('name', ['f', 'g'])\n"
        "def test_inputs_unchanged(submission, name):\n"
        "    assert_inputs_unchanged(getattr(submission, name), 1)\n"
        "    submission.h(2)\n"
        "def test_value(submission):\n"
        "    submission.k(3)\n"
        "def test_other_check(submission):\n"
        "    assert_inputs_unchanged(submission.m, 1)\n")
    assert checked_functions(test_file) == {"f", "g", "h", "m"}


def test_environment_versions_are_the_installed_ones_and_match_the_torch_pin():
    import numpy

    assert environment.NUMPY == environment.release(numpy.__version__, 2)
    assert re.fullmatch(r"\d+\.\d+", environment.PYTHON) and re.fullmatch(r"\d+\.\d+", environment.NUMPY)
    pins = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["torch"]
    pinned = {p.split("==")[1] for p in pins if p.startswith("torch==")}
    if environment.TORCH is not None:
        assert pinned == {environment.TORCH}, "the installed torch is not the one pyproject.toml pins"
    assert environment.release("2.13.0+cpu") == "2.13.0" and environment.release("2.4.6", 2) == "2.4"


# --------------------------------------------------------------------------- what each template states


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_template_states_the_grading_environment_versions(name):
    nb = nbformat.read(template(name), as_version=4)
    text = rules_text(nb)
    item = bullet(text, ENVIRONMENT_RULE)
    assert item is not None, f"{name}: the rules do not state the {ENVIRONMENT_RULE!r}"
    stated = stated_versions(text)
    expected = {"Python": {environment.PYTHON}, "NumPy": {environment.NUMPY}}
    if uses_torch(nb):
        assert environment.TORCH is not None, f"{name} imports torch, which is not installed here"
        expected["PyTorch"] = {environment.TORCH}
    else:
        expected["PyTorch"] = set()  # a template that does not use torch names no torch version
    assert stated == expected, f"{name}: the rules state {stated}, the grading environment is {expected}"
    assert "fail" in item and "removed" in item, f"{name}: say that removed or changed functions fail in grading"


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_template_states_the_inputs_unchanged_rule_for_the_checked_functions(name):
    nb = nbformat.read(template(name), as_version=4)
    checked = hidden_checked_functions(name)
    item = bullet(rules_text(nb), INPUTS_RULE)
    if not checked:
        assert item is None, f"{name}: no hidden test checks the inputs, yet the rules say {INPUTS_RULE!r}"
        return
    assert item is not None, f"{name}: the hidden tests check {sorted(checked)} for in-place changes; " \
                             f"the rules must say {INPUTS_RULE!r} and name them"
    defined = defined_functions(nb)
    assert checked <= defined, f"{name}: checked functions missing from the template: {sorted(checked - defined)}"
    named = set(re.findall(r"`(\w+)`", item)) & defined
    assert named == checked, (f"{name}: the rule names {sorted(named)}, the hidden tests check {sorted(checked)} "
                              f"(missing {sorted(checked - named)}, not checked {sorted(named - checked)})")
    assert "copy" in item and "in place" in item, f"{name}: say how to avoid the in-place change (a copy)"
