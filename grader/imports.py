"""What a submission imports, against what the grading environment has.

The grading environment is the same for every assignment at its base (the
Docker image installs these, and so does the bubblewrap sandbox's worker
environment, :mod:`grader.workerenv`): :data:`BASE_PACKAGES`. An assignment adds its own
in ``assignment.toml``::

    [environment]
    packages = ["scikit-learn", "pandas"]   # pip names

``grader check`` tells a student whose code imports anything else (outside the
standard library and their own files): it would fail when the instructor grades.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from .config import AssignmentConfig
from .submissions import Submission

BASE_PACKAGES = ("numpy", "scipy", "matplotlib", "torch")

# pip name -> the modules it provides, where they differ from the name
MODULES_OF = {
    "scikit-learn": ("sklearn",), "pillow": ("PIL",), "pyyaml": ("yaml",), "opencv-python": ("cv2",),
    "scikit-image": ("skimage",), "beautifulsoup4": ("bs4",), "python-dateutil": ("dateutil",),
    "torch": ("torch", "torchgen", "functorch"), "matplotlib": ("matplotlib", "mpl_toolkits", "pylab"),
}
# module -> the pip name to suggest, for the messages
PACKAGE_OF = {m: p for p, mods in MODULES_OF.items() for m in mods}


def package_name(requirement: str) -> str:
    """``"scikit-learn>=1.3"`` -> ``"scikit-learn"`` (lower case)."""
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower()


def modules_of(packages: Iterable[str]) -> set[str]:
    """The top-level modules the pip packages provide."""
    out: set[str] = set()
    for requirement in packages:
        name = package_name(requirement)
        out.update(MODULES_OF.get(name, (name.replace("-", "_"),)))
    return out


def environment_packages(config: AssignmentConfig) -> list[str]:
    """The grading environment's packages for ``config``: the base and the assignment's own."""
    return [*BASE_PACKAGES, *(p for p in config.environment if package_name(p) not in BASE_PACKAGES)]


def imported_modules(sources: Iterable[str]) -> set[str]:
    """Top-level modules imported by absolute imports in ``sources`` (Python code; notebook
    cells with their ``%`` and ``!`` lines dropped). Code that does not parse is skipped."""
    found: set[str] = set()
    for source in sources:
        code = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def missing_imports(sub: Submission, config: AssignmentConfig) -> list[str]:
    """The modules ``sub`` imports that grading will not have, sorted: not in the standard
    library, the grading environment (:func:`environment_packages`) or the submission's own files."""
    if sub.kind == "notebook":
        sources = [c.source for c in sub.cells]
    else:
        sources = [content.decode("utf-8", "replace") for name, content in sub.files.items() if name.endswith(".py")]
    own = {name.split("/")[0].removesuffix(".py") for name in sub.files}
    have = set(sys.stdlib_module_names) | modules_of(environment_packages(config)) | own | {"__future__"}
    return sorted(imported_modules(sources) - have)


def missing_message(modules: list[str], config: AssignmentConfig) -> str:
    """A sentence for the student naming what is missing and what grading has."""
    named = ", ".join(f"{m} (pip: {PACKAGE_OF.get(m, m)})" if PACKAGE_OF.get(m, m) != m else m for m in modules)
    return (f"your code imports {named}, which the grading environment does not have: it will fail when your "
            f"instructor grades. Grading has {', '.join(environment_packages(config))} and Python's standard "
            "library.")


def unavailable_packages(config: AssignmentConfig, python: str | Path | None = None) -> list[str]:
    """The assignment's declared packages that the interpreter ``python`` (default: this one)
    cannot import, as pip names. The bubblewrap and subprocess sandboxes run student code with
    the assignment's worker environment (:mod:`grader.workerenv`), or else with this Python."""
    import json
    import subprocess
    from importlib.util import find_spec

    wanted = {package_name(r): sorted(modules_of([r])) for r in config.environment}
    if python is None:
        found = {m: find_spec(m) is not None for mods in wanted.values() for m in mods}
    else:
        code = ("import json, sys; from importlib.util import find_spec\n"
                "print(json.dumps({m: find_spec(m) is not None for m in sys.argv[1:]}))")
        mods = [m for ms in wanted.values() for m in ms]
        proc = subprocess.run([str(python), "-I", "-c", code, *mods], capture_output=True, text=True, timeout=60)
        found = json.loads(proc.stdout) if proc.returncode == 0 else {}
    return [name for name, mods in wanted.items() if not all(found.get(m) for m in mods)]
