"""Student repositories, as GitHub Classroom hands them back.

``gh classroom clone student-repos`` clones one repository per student into a
folder, each named ``<assignment-prefix>-<github-username>``. A submissions
folder whose entries are all git repositories is read this way:

* the student id is the GitHub username: the name less the prefix all the
  repositories share (up to its last ``-``), or less ``--repo-prefix``;
* the commit graded is ``HEAD``, or with a deadline and ``at_deadline`` the
  last commit at or before the deadline's cutoff; its files are read from git
  (``git archive``), never from the working tree, and the result records it;
* the submission's time is that commit's committer time (what the student's
  git wrote: a clone does not say when it was pushed);
* the notebook or module may be anywhere in the repository: the shallowest
  file with an accepted name is graded;
* what the release put there (the public tests, ``assignment.toml``, the
  workflow) is compared with what ``grader release`` writes today: a change is
  flagged on the result, because a student may have edited them to pass CI.
  They are never used for grading anyway.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from .config import AssignmentConfig
from .submissions import SKIP_NAMES, Submission, read_submission, student_id

# files of the release, not the student's work: they never travel with the submission
RELEASE_NAMES = frozenset({"assignments", "wheels", "requirements.txt", "README.md"})


class RepoError(Exception):
    """A repository git cannot read."""


def is_repos_folder(folder: Path) -> bool:
    """Whether every student entry of ``folder`` is a git repository (and there is one at least)."""
    entries = [e for e in folder.iterdir() if e.name not in SKIP_NAMES and not e.name.startswith(".")
               and not e.name.lower().startswith("readme")]
    return bool(entries) and all(e.is_dir() and not e.is_symlink() and (e / ".git").exists() for e in entries)


def shared_prefix(names: list[str]) -> str:
    """The prefix all ``names`` share, cut after its last ``-`` ('' for fewer than two names)."""
    if len(names) < 2:
        return ""
    common = os.path.commonprefix(names)
    return common[:common.rfind("-") + 1] if "-" in common else ""


def _git(repo: Path, *args: str) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if proc.returncode != 0:
        raise RepoError(proc.stderr.strip()[:300] or f"git {args[0]} failed")
    return proc.stdout.strip()


def pick_commit(repo: Path, before: datetime | None = None) -> tuple[str, datetime] | None:
    """``(sha, committer time)`` of HEAD, or of the last commit on HEAD's history at or before
    ``before``; None when there is none.

    Raises:
        RepoError: git cannot read the repository.
    """
    args = ["log", "-1", "--format=%H %cI"] + ([f"--before={before.isoformat()}"] if before else []) + ["HEAD"]
    out = _git(repo, *args)
    if not out:
        return None
    sha, when = out.split(" ", 1)
    return sha, datetime.fromisoformat(when)


def export(repo: Path, sha: str, dest: Path) -> None:
    """The files of commit ``sha`` of ``repo``, written under ``dest`` (links are not followed later)."""
    with tempfile.TemporaryFile() as tar:
        proc = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", sha], stdout=tar,
                              stderr=subprocess.PIPE, timeout=300)
        if proc.returncode != 0:
            raise RepoError(proc.stderr.decode(errors="replace").strip()[:300])
        tar.seek(0)
        with tarfile.open(fileobj=tar) as archive:
            archive.extractall(dest, filter="data")


def find_main(tree: Path, config: AssignmentConfig) -> tuple[Path | None, str | None]:
    """The shallowest file with an accepted name in ``tree`` (ties: the order of ``files``);
    outside ``.git``, ``.github`` and the release's ``assignments/``."""
    found: list[tuple[int, int, Path]] = []
    for root, dirs, names in os.walk(tree, followlinks=False):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_NAMES and not d.startswith(".")
                         and not (here == tree and d in RELEASE_NAMES))
        for name in names:
            if name in config.files and (here / name).is_file() and not (here / name).is_symlink():
                found.append((len((here / name).relative_to(tree).parts), config.files.index(name), here / name))
    if not found:
        return None, f"no {' or '.join(config.files)} in the repository"
    found.sort()
    depth, _, best = found[0]
    rivals = [p for d, _, p in found[1:] if d == depth and p.name == best.name]
    if rivals:
        listed = ", ".join(str(p.relative_to(tree)) for p in [best, *rivals])
        return None, f"several {best.name} at the same depth ({listed}); keep one"
    return best, None


def release_files(config: AssignmentConfig) -> dict[str, bytes]:
    """What ``grader release --classroom`` puts in a repository that students must not change."""
    from .release import classroom_workflow, public_settings

    name = config.name
    files = {f"assignments/{name}/tests/{p.name}": p.read_bytes()
             for p in sorted(config.public_tests_dir.glob("*.py"))}
    files[f"assignments/{name}/assignment.toml"] = public_settings(
        (config.assignment_dir / "assignment.toml").read_text()).encode()
    files[".github/workflows/classroom.yml"] = classroom_workflow(name).encode()
    return files


def tampering(tree: Path, config: AssignmentConfig) -> list[str]:
    """The release's files that ``tree`` changed, removed or added to (its public tests), one line
    each; empty when the tree does not come from a release (it has neither ``assignments/`` nor
    the workflow). A file is unchanged when it is byte for byte what the course would release now,
    or what any earlier ``grader release`` of the assignment wrote (:func:`grader.release.released`):
    a deadline added to ``assignment.toml`` after the release flags nobody."""
    from .release import released

    if not (tree / "assignments").is_dir() and not (tree / ".github" / "workflows" / "classroom.yml").exists():
        return []
    known = released(config)
    flags = []
    for rel, content in release_files(config).items():
        path = tree / rel
        if not path.is_file():
            flags.append(f"removed from the release: {rel}")
        elif path.read_bytes() != content and hashlib.sha256(path.read_bytes()).hexdigest() not in known.get(rel, ()):
            flags.append(f"changed from the release: {rel}")
    tests = tree / "assignments" / config.name / "tests"
    prefix = f"assignments/{config.name}/tests/"
    shipped = {p.name for p in config.public_tests_dir.glob("*.py")} | \
        {rel.removeprefix(prefix) for rel in known if rel.startswith(prefix)}
    if tests.is_dir():
        flags += [f"added to the release: assignments/{config.name}/tests/{p.name}"
                  for p in sorted(tests.iterdir()) if p.name not in shipped and p.name != "__pycache__"]
    return flags


def read_repo(repo: Path, student: str, config: AssignmentConfig, before: datetime | None = None) -> Submission:
    """The submission in one student's repository; never raises (a problem becomes ``problem``)."""
    try:
        picked = pick_commit(repo, before)
    except (RepoError, subprocess.TimeoutExpired) as exc:
        return Submission(student=student, problem=f"{repo.name}: git cannot read it: {exc}")
    if picked is None:
        cutoff = f" at or before {before.isoformat()}" if before else ""
        return Submission(student=student, problem=f"{repo.name} has no commit{cutoff}")
    sha, when = picked
    with tempfile.TemporaryDirectory(prefix="grader-repo-") as tmp:
        tree = Path(tmp)
        try:
            export(repo, sha, tree)
        except (RepoError, subprocess.TimeoutExpired, tarfile.TarError, OSError) as exc:
            return Submission(student=student, commit_sha=sha, submitted_at=when,
                              problem=f"{repo.name}: commit {sha[:12]} cannot be read: {exc}")
        main, problem = find_main(tree, config)
        folder = main.parent if main is not None else None
        sub = read_submission(student, main, config, folder=folder, problem=problem,
                              skip=RELEASE_NAMES if folder == tree else frozenset())
        if main is not None:
            sub.path = Path(main.relative_to(tree))  # the path inside the repository, not the scratch copy
        sub.flags = tampering(tree, config)
    sub.commit_sha, sub.submitted_at = sha, when
    return sub


def discover_repos(folder: Path, config: AssignmentConfig, *, prefix: str | None = None,
                   before: datetime | None = None) -> list[Submission]:
    """Every student repository in ``folder``, sorted by student id (the GitHub username).

    Args:
        prefix: the repositories' common prefix (default: :func:`shared_prefix` of their names).
        before: grade the last commit at or before this time instead of HEAD.
    """
    repos = sorted(e for e in folder.iterdir() if e.is_dir() and (e / ".git").exists()
                   and e.name not in SKIP_NAMES and not e.name.startswith("."))
    cut = shared_prefix([r.name for r in repos]) if prefix is None else prefix
    subs: dict[str, list[tuple[Path, Submission]]] = {}
    for repo in repos:
        name = repo.name[len(cut):] if cut and repo.name.startswith(cut) and len(repo.name) > len(cut) else repo.name
        student, hidden = student_id(name)
        if hidden:
            sub = Submission(student=student, problem=f"the repository name {repo.name!a} holds invisible or "
                             f"control characters ({', '.join(hidden)})")
        else:
            sub = read_repo(repo, student, config, before)
        subs.setdefault(student, []).append((repo, sub))
    out = []
    for student, found in sorted(subs.items()):
        if len(found) > 1:
            names = ", ".join(r.name for r, _ in found)
            out.append(Submission(student=student, problem=f"several repositories for one student: {names}"))
        else:
            out.append(found[0][1])
    return out
