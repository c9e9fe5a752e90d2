"""Turn edited copies of a reference solution into mutant patches.

Usage: ``.venv/bin/python scripts/make_patch.py HW FILE.py [FILE.py ...]``: for each
file (a copy of ``reference/HW``'s solution with one mistake, its docstring saying
"Must lose points in: ..."), writes ``FILE.patch`` next to it, checks that the patch
gives the file back byte for byte, and leaves the ``.py`` in place (git ignores
``reference/hw*/mutants/*.py``; commit the patch). See ``grader/patches.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.patches import apply_patch, make_patch, reference_file  # noqa: E402


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    base = reference_file(ROOT, argv[0])
    base_text = base.read_text(encoding="utf-8")
    for name in argv[1:]:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        patch = make_patch(base_text, text, base.name)
        if apply_patch(base_text, patch) != text:
            print(f"{path}: the patch does not give the file back exactly (no final newline?)", file=sys.stderr)
            return 1
        path.with_suffix(".patch").write_text(patch, encoding="utf-8")
        print(f"{path.with_suffix('.patch')}: {len(patch.splitlines())} lines (the file has {len(text.splitlines())})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
