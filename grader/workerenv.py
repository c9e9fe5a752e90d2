"""The worker environment: the Python that student code runs with when the instructor grades.

Under bubblewrap (and the unisolated subprocess sandbox) the worker would otherwise run
with the grader's own interpreter, so student code could import whatever the trusted side
has (pandas, the docker SDK, pytest, grader itself), and whatever a student needs would have
to be installed on the trusted side. ``grader env build`` makes dedicated virtual
environments from the declarations instead, under the course root (git-ignored)::

    .grader/envs/base/                   the base packages (grader.imports.BASE_PACKAGES:
                                         numpy, scipy, matplotlib, torch)
    .grader/envs/<packages>-<hash>/      an assignment's [environment] packages, layered
                                         on base through a .pth file (torch is not copied)

Each holds ``grader-env.json``: the requirements asked for and every distribution installed
(name -> version). Packages the grader itself has (numpy, torch, ...) are pinned to the
grader's versions, so arrays cross the wire unchanged and the versions the templates state
(:mod:`grader.environment`) hold; the rest resolve to the newest release and are recorded.
pip is not installed in them (the grader's own pip installs into them
with ``--python``). The Docker image is built from the same list
(``grader env requirements``, used by scripts/docker-setup.sh).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable

from .config import AssignmentConfig
from .course import Course, CourseError
from .imports import BASE_PACKAGES, package_name

ENVS_DIR = Path(".grader") / "envs"
MANIFEST = "grader-env.json"
BASE_NAME = "base"
LAYER_PTH = "grader-base-env.pth"
PYTORCH_INDEX = "https://download.pytorch.org/whl/{tag}"


class EnvError(CourseError):
    """A worker environment cannot be built or used; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class WorkerEnv:
    """A worker environment: ``path`` (its folder), ``python`` (its interpreter), the
    ``requirements`` it was built from and the distributions it holds (``installed``,
    lower-case name -> version; a layered one's include its base's)."""

    path: Path
    python: Path
    requirements: tuple[str, ...]
    installed: dict[str, str]
    base: Path | None = None


def extra_packages(config: AssignmentConfig) -> list[str]:
    """The assignment's declared packages beyond the base ones, as written (sorted by name)."""
    return sorted({p for p in config.environment if package_name(p) not in BASE_PACKAGES}, key=package_name)


def env_name(packages: Iterable[str]) -> str:
    """The folder name of the environment for ``packages`` (extra requirements): ``base`` for
    none, else the names joined and a hash of the exact requirements, e.g.
    ``pandas-scikit-learn-1f2e3d4c``."""
    packages = sorted(packages, key=package_name)
    if not packages:
        return BASE_NAME
    names = "-".join(re.sub(r"[^a-z0-9]+", "-", package_name(p)) for p in packages)[:60]
    digest = hashlib.sha256("\n".join(packages).encode()).hexdigest()[:8]
    return f"{names}-{digest}"


def envs_dir(course: Course) -> Path:
    return course.root / ENVS_DIR


def _venv_python(path: Path) -> Path:
    return path / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def _pin(name: str) -> str:
    """``name`` pinned to the version the grader's own environment has, or bare if it has none."""
    try:
        return f"{name}=={metadata.version(name)}"
    except metadata.PackageNotFoundError:
        return name


def base_requirements() -> list[str]:
    """The base environment's requirements: numpy (the worker's own need) and the base
    packages, at the grader's versions where it has them."""
    return [_pin(name) for name in BASE_PACKAGES]


def load(path: Path) -> WorkerEnv | None:
    """The environment built at ``path``, or None if there is none (or a build did not finish:
    the manifest is written last)."""
    try:
        data = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError):
        return None
    python = _venv_python(path)
    if not python.exists():
        return None
    base = Path(data["base"]) if data.get("base") else None
    return WorkerEnv(path=path, python=python, requirements=tuple(data["requirements"]),
                     installed=dict(data["installed"]), base=base)


def env_for(course: Course, config: AssignmentConfig) -> WorkerEnv | None:
    """The built environment ``config``'s students run in, or None if it is not built, or was
    built from other requirements (a changed declaration, or a grader with other versions)."""
    extra = extra_packages(config)
    base = load(envs_dir(course) / BASE_NAME)
    if base is None or list(base.requirements) != base_requirements():
        return None
    if not extra:
        return base
    env = load(envs_dir(course) / env_name(extra))
    if env is None or list(env.requirements) != extra or env.base != base.path:
        return None
    return env


def _pip(python: Path, args: list[str], log: Callable[[str], None]) -> None:
    """Run the grader's own pip on the environment of ``python``."""
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-input",
           "--disable-pip-version-check", *args]
    log("$ pip install " + " ".join(args))
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise EnvError(f"pip install {' '.join(args)} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")


def _installed(python: Path) -> dict[str, str]:
    """Every distribution ``python`` can import (its own and a base layer's): name -> version."""
    code = ("import json, importlib.metadata as m\n"
            "print(json.dumps({d.metadata['Name'].lower(): d.version for d in m.distributions()}))")
    proc = subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True, check=True)
    installed: dict[str, str] = json.loads(proc.stdout)
    return installed


def _torch_args(requirement: str) -> list[str]:
    """pip's arguments for the torch pin: a local version (``+cpu``, ``+cu128``) exists only on
    PyTorch's own index, so that index is added for torch alone (``--no-deps``: its
    dependencies come from the usual index with the rest)."""
    match = re.search(r"\+([a-z0-9]+)$", requirement)
    args = [requirement, "--no-deps"]
    if match:
        args += ["--extra-index-url", PYTORCH_INDEX.format(tag=match.group(1))]
    return args


def _make_venv(path: Path) -> Path:
    """A new virtual environment at ``path`` without pip, from the interpreter behind this one."""
    if path.exists():
        shutil.rmtree(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", "--without-pip", str(path)], check=True, capture_output=True)
    return _venv_python(path)


def _site_packages(python: Path) -> Path:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    return Path(subprocess.run([str(python), "-I", "-c", code], capture_output=True, text=True,
                               check=True).stdout.strip())


def _finish(path: Path, requirements: list[str], base: Path | None) -> WorkerEnv:
    python = _venv_python(path)
    installed = _installed(python)
    for name in (package_name(r) for r in requirements):
        if name not in installed:
            raise EnvError(f"{name} is not importable in {path} after installing it")
    manifest = {"requirements": requirements, "installed": dict(sorted(installed.items())),
                "base": str(base) if base else None, "python": ".".join(map(str, sys.version_info[:3]))}
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return load(path)  # type: ignore[return-value]


def build_base(course: Course, *, force: bool = False, log: Callable[[str], None] = print) -> WorkerEnv:
    """Build (or reuse) the base environment.

    Raises:
        EnvError: pip could not install a package.
    """
    path = envs_dir(course) / BASE_NAME
    requirements = base_requirements()
    existing = load(path)
    if existing is not None and not force and list(existing.requirements) == requirements:
        log(f"{path}: up to date")
        return existing
    log(f"{path}: building ({', '.join(requirements)})")
    python = _make_venv(path)
    torch = [r for r in requirements if package_name(r) == "torch"]
    if torch:
        _pip(python, _torch_args(torch[0]), log)
    _pip(python, requirements, log)  # torch is already there: its dependencies come with the rest
    return _finish(path, requirements, None)


def build_layer(course: Course, packages: list[str], base: WorkerEnv, *, force: bool = False,
                log: Callable[[str], None] = print) -> WorkerEnv:
    """Build (or reuse) the environment of ``packages`` on top of ``base``: a virtual environment
    whose site-packages has a .pth file naming base's, and holds only what ``packages`` add.
    What base has is pinned (a constraint), so no package of base is installed twice.

    Raises:
        EnvError: pip could not install a package, or a package needs another version of one of base's.
    """
    path = envs_dir(course) / env_name(packages)
    existing = load(path)
    if existing is not None and not force and list(existing.requirements) == packages and existing.base == base.path:
        log(f"{path}: up to date")
        return existing
    log(f"{path}: building ({', '.join(packages)} on {base.path.name})")
    python = _make_venv(path)
    (_site_packages(python) / LAYER_PTH).write_text(str(_site_packages(base.python)) + "\n")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(f"{name}=={version}" for name, version in sorted(base.installed.items())) + "\n")
        constraints = f.name
    try:
        _pip(python, [*packages, "-c", constraints], log)
    finally:
        os.unlink(constraints)
    return _finish(path, packages, base.path)


def build(course: Course, configs: Iterable[AssignmentConfig], *, force: bool = False,
          log: Callable[[str], None] = print) -> dict[str, WorkerEnv]:
    """Build the environments the assignments ``configs`` need: base, and one layer per distinct
    set of declared packages. Returns assignment name -> its environment.

    Raises:
        EnvError: a package could not be installed.
    """
    configs = list(configs)
    base = build_base(course, force=force, log=log)
    layers: dict[str, WorkerEnv] = {}
    out: dict[str, WorkerEnv] = {}
    for config in configs:
        extra = extra_packages(config)
        if not extra:
            out[config.name] = base
            continue
        name = env_name(extra)
        if name not in layers:
            layers[name] = build_layer(course, extra, base, force=force, log=log)
        out[config.name] = layers[name]
    return out


def course_requirements(course: Course, configs: Iterable[AssignmentConfig]) -> list[str]:
    """One requirement per package any of ``configs`` may import (the base and every declared
    one), pinned to the version a built worker environment has, else the grader's own, else as
    declared: the list the Docker image is built from, so that both sandboxes offer the same."""
    pins: dict[str, str] = {}
    for config in configs:
        env = env_for(course, config)
        if env is not None:
            pins.update(env.installed)
    out: dict[str, str] = {}
    for requirement in [*BASE_PACKAGES, *(p for c in configs for p in c.environment)]:
        name = package_name(requirement)
        if name in out:
            continue
        if name in pins:
            out[name] = f"{name}=={pins[name]}"
        else:
            pinned = _pin(name)
            out[name] = pinned if "==" in pinned else requirement
    return list(out.values())


@lru_cache(maxsize=None)
def interpreter_paths(python: str) -> tuple[Path, ...]:
    """The host directories the interpreter ``python`` reads: its prefixes, its executable's
    installation and every directory on its ``sys.path`` (a layer's base included). A sandbox
    binds these read-only, and nothing else of Python.

    Raises:
        EnvError: the interpreter does not run.
    """
    code = ("import json, os, sys\n"
            "dirs = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,\n"
            "        os.path.dirname(os.path.dirname(os.path.realpath(sys.executable))), *sys.path]\n"
            "print(json.dumps([d for d in dirs if d and os.path.isdir(d)]))")
    try:
        proc = subprocess.run([python, "-I", "-c", code], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise EnvError(f"the worker environment's Python {python} does not run: {exc}") from exc
    dirs = {Path(d).resolve() for d in json.loads(proc.stdout)}
    return tuple(sorted(dirs, key=lambda p: len(p.parts)))


def size_bytes(path: Path) -> int:
    """Bytes of the files under ``path`` (links not followed)."""
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
