"""Where things live in a course folder: the one template for every path.

A course root holds::

    assignments/<assignment>/assignment.toml   settings (see grader.config)
    assignments/<assignment>/tests/            public tests (students have them)
    assignments/<assignment>/<data files>      public data declared in the settings
    reference/<assignment>/<solution>.py       reference solution (instructor only)
    reference/<assignment>/tests/              hidden tests (instructor only)
    submissions/<assignment>/<student>/<file>  or submissions/<assignment>/<student>.<ext>
    grades.db                                  the results store (default)

Nothing under ``reference/``, ``submissions/`` or the store is ever placed
inside a sandbox; only one student's files and the declared public data are.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_NAME = "grades.db"


class CourseError(Exception):
    """A course folder or assignment that cannot be used, with a message for humans."""


@dataclass(frozen=True)
class Course:
    """A course root folder. Paths are absolute."""

    root: Path

    @classmethod
    def at(cls, root: str | Path | None = None) -> Course:
        """The course at ``root`` (default: the current directory).

        Raises:
            CourseError: if the folder has no ``assignments/`` subfolder.
        """
        path = Path(root or ".").resolve()
        if not (path / "assignments").is_dir():
            raise CourseError(
                f"{path} is not a course folder: it has no assignments/ folder "
                "(run from the course root or pass --course DIR)"
            )
        return cls(path)

    @property
    def assignments_dir(self) -> Path:
        return self.root / "assignments"

    @property
    def reference_root(self) -> Path:
        return self.root / "reference"

    @property
    def default_db(self) -> Path:
        return self.root / DEFAULT_DB_NAME

    def assignment_dir(self, name: str) -> Path:
        return self.assignments_dir / name

    def public_tests_dir(self, name: str) -> Path:
        return self.assignment_dir(name) / "tests"

    def reference_dir(self, name: str) -> Path:
        return self.reference_root / name

    def hidden_tests_dir(self, name: str) -> Path:
        return self.reference_dir(name) / "tests"

    def submissions_dir(self, name: str) -> Path:
        return self.root / "submissions" / name

    def assignment_names(self) -> list[str]:
        return sorted(
            p.name for p in self.assignments_dir.iterdir() if (p / "assignment.toml").is_file()
        )

    def private_paths(self) -> list[Path]:
        """Folders that must never be visible inside a sandbox."""
        return [self.reference_root, self.root / "submissions", self.root]
