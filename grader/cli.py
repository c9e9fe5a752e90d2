"""The ``grader`` command line: a thin shell over the ``main`` functions of
:mod:`grader.check`, :mod:`grader.grade`, :mod:`grader.validate` and the
store's readers. Output goes through :mod:`grader.console`.

Exit codes: 0 success; 1 ``check`` found failing tests or ``validate`` found
problems; 2 bad input or setup (unknown assignment, no sandbox, broken tests).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

import click

from . import __version__, console
from .console import Abort

F = TypeVar("F", bound=Callable[..., Any])  # a command function, as click's decorators take it
BACKENDS = click.Choice(["auto", "bwrap", "docker", "subprocess"])


def sandbox_option(help: str) -> Callable[[F], F]:
    """``--sandbox`` (the issue's name), with ``--backend`` kept as an alias."""
    return click.option("--sandbox", "--backend", "backend", type=BACKENDS, default="auto", show_default=True,
                        help=help)


def image_option(f: F) -> F:
    from .sandbox.docker_engine import DEFAULT_IMAGE, IMAGE_ENV

    return click.option("--image", default=DEFAULT_IMAGE, envvar=IMAGE_ENV, show_default=True, show_envvar=True,
                        help="Grading image of the Docker sandbox.")(f)


def _check_gpus(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from .sandbox.gpus import parse_gpus

    try:
        parse_gpus(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


def gpus_option(f: F) -> F:
    return click.option("--gpus", default=None, callback=_check_gpus, metavar="all|N|device=ID,...",
                        help="GPUs for Docker workers (needs --sandbox docker and the NVIDIA container "
                        "toolkit): each worker gets one, spread over these.")(f)


def course_option(f: F) -> F:
    return click.option("--course", "course", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Course root: the folder holding assignments/ (default: current directory).")(f)


def db_option(f: F) -> F:
    return click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
                        help="Results store (default: grades.db in the course root).")(f)


def _course(ctx: click.Context, course: Path | None) -> Path | None:
    return course or ctx.obj.get("course")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="grader")
@course_option
@click.pass_context
def cli(ctx: click.Context, course: Path | None) -> None:
    """Sandboxed autograder for neural-network courses."""
    ctx.ensure_object(dict)
    ctx.obj["course"] = course


@cli.command()
@click.argument("assignment")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@course_option
@sandbox_option("Sandbox for your code.")
@image_option
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON (same as --format json).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "classroom"]), default="text",
              help="classroom: for a GitHub Classroom workflow step; prints the text report, writes the "
                   "autograding result to $GITHUB_OUTPUT (as `result`) and a Markdown report to "
                   "$GITHUB_STEP_SUMMARY, and exits 0 when grading ran (the reporter step decides).")
@click.pass_context
def check(ctx: click.Context, assignment: str, path: Path | None, course: Path | None, backend: str, image: str,
          as_json: bool, fmt: str) -> None:
    """Run the public tests of ASSIGNMENT on your notebook or module (PATH)."""
    from . import check as check_mod

    fmt = "json" if as_json else fmt
    console.set_json_mode(fmt == "json")
    checked = check_mod.run(assignment, path, course=_course(ctx, course), backend=backend, image=image)
    result = checked.result
    if fmt == "json":
        console.print_json(result.to_dict())
    else:
        from .imports import missing_message

        others = check_mod.others_beside(checked.config, checked.target) if path is None else []
        notes = [f"checked {checked.target.name}; also here: {', '.join(others)} "
                 "(pass its path to check it instead)"] if others else []
        if checked.missing_imports:
            notes.append(missing_message(list(checked.missing_imports), checked.config))
        console.print_check(result, hidden_points=check_mod.hidden_points(checked.config, result),
                            note="\n".join(notes))
    if fmt == "classroom":
        from . import classroom

        output, summary = os.environ.get("GITHUB_OUTPUT"), os.environ.get("GITHUB_STEP_SUMMARY")
        encoded = classroom.write_step_outputs(result, Path(output) if output else None,
                                               Path(summary) if summary else None)
        if not output:
            console.human().print(f"result={encoded}")
        sys.exit(0)
    sys.exit(0 if check_mod.all_passed(result) else 1)


@cli.command()
@click.argument("assignment")
@click.option("--submissions", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Submissions folder (default: submissions/ASSIGNMENT/).")
@db_option
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=None,
              help="Submissions graded in parallel (default: one per CPU core).")
@click.option("--force", is_flag=True, help="Re-grade submissions already graded with the same files and tests.")
@click.option("--student", "students", multiple=True, help="Grade only this student (repeatable).")
@sandbox_option("Sandbox for student code: bwrap (bubblewrap), docker (a container per worker, "
                "docs/docker.md), or subprocess (no isolation).")
@image_option
@gpus_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per submission (a JSON list).")
@click.option("--at-deadline", is_flag=True,
              help="Student repositories (GitHub Classroom's clones): grade the last commit at or before the "
                   "deadline (plus grace) instead of the newest.")
@click.option("--repo-prefix", default=None,
              help="Student repositories: the name part before the GitHub username "
                   "(default: the prefix the repositories share).")
@click.option("--cluster", default=None, metavar="tcp://HOST:PORT|local:N",
              help="Grade on a Dask cluster: a running scheduler's address, or local:N for N local worker "
                   "processes. Each worker machine needs the course folder at the same path and its own "
                   "sandbox (docs/cluster.md).")
@course_option
@click.pass_context
def grade(ctx: click.Context, assignment: str, submissions: Path | None, db: Path | None, jobs: int | None,
          force: bool, students: tuple[str, ...], backend: str, image: str, gpus: str | None, as_json: bool,
          at_deadline: bool, repo_prefix: str | None, cluster: str | None, course: Path | None) -> None:
    """Grade every submission of ASSIGNMENT with the public and hidden tests."""
    from . import grade as grade_mod

    console.set_json_mode(as_json)
    cluster_errors: tuple[type[Exception], ...] = ()
    if cluster is not None:
        from .cluster import ClusterError, parse_cluster

        cluster_errors = (ClusterError,)
        if jobs is not None:
            raise click.UsageError("--jobs and --cluster: with a cluster, the workers' threads decide how many "
                                   "submissions are graded at once (dask worker --nthreads 1 --nworkers N)")
        try:
            parse_cluster(cluster)
        except ClusterError as exc:
            raise click.BadParameter(str(exc), param_hint="--cluster") from None
    if gpus and backend in ("bwrap", "subprocess"):
        raise click.UsageError(f"--gpus needs --sandbox docker: the {backend} sandbox cannot give workers GPUs")
    if backend == "subprocess":
        console.warn("grading WITHOUT isolation: student code can read and change anything you can")
    with console.progress() as bar:
        task = bar.add_task(f"grading {assignment}", total=None, current="")

        def on_event(kind: str, value: Any) -> None:
            if kind == "total":
                bar.update(task, total=value)
            elif kind == "started":
                bar.update(task, current=value)
            elif kind == "result":
                bar.advance(task)
            elif kind == "note":
                console.warn(value)

        try:
            report = grade_mod.main(assignment, course=_course(ctx, course), submissions=submissions, db=db,
                                    jobs=jobs, force=force, backend=backend, image=image, gpus=gpus,
                                    students=students, on_event=on_event, at_deadline=at_deadline,
                                    repo_prefix=repo_prefix, cluster=cluster)
        except cluster_errors as exc:  # none without --cluster
            console.abort(str(exc))
    if as_json:
        console.print_json([r.to_dict() for r in report.all])
        return
    console.out.print(console.summary_table(report.all, f"{assignment}: {len(report.all)} submissions"))
    if report.skipped:
        console.note(f"{len(report.skipped)} already graded with the same files and tests (use --force to re-grade)")
    console.note(f"results stored in {report.db}")


@cli.command()
@click.option("--assignment", "-a", default=None, help="One assignment, with a column per question.")
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Export to FILE: .csv, .xlsx or .parquet.")
@course_option
@click.pass_context
def gradebook(ctx: click.Context, assignment: str | None, db: Path | None, output: Path | None,
              course: Path | None) -> None:
    """Show or export the gradebook (one row per student)."""
    from .gradebook import export
    from .gradebook import gradebook as build
    from .store import ResultStore

    with ResultStore.open(_db(ctx, db, course), create=False) as store:
        df = build(store, assignment)
    if output is not None:
        path = export(df, output)
        console.human().print(f"wrote {console.shown(path)} ({len(df)} students)")
        return
    wide = [c for c in ("max_score", "percent", "graded_at", "days_late", "submitted_at", "commit_sha")
            if c in df.columns]
    if wide or "flags" in df.columns:  # an assignment's: the terminal shows what fits, -o FILE has all
        if "status" in df.columns and (df["status"] == "graded").all():
            wide.append("status")
        shown = df.drop(columns=wide)
        if "flags" in shown.columns:
            shown["flags"] = shown["flags"].map(lambda f: len(f.split("; ")) if isinstance(f, str) and f else 0)
        shown.attrs = df.attrs
        out_of = df["max_score"].max() if "max_score" in df.columns and len(df) else 0
        console.out.print(console.gradebook_table(shown, f"gradebook: {assignment} (out of {out_of:g})"))
        console.note("late_penalty: points taken off; flags: how many of the release's files the student changed; "
                     "export with -o FILE.csv for them, the days late, the commit and its time")
        return
    console.out.print(console.gradebook_table(df, f"gradebook{': ' + assignment if assignment else ''}"))


def _db(ctx: click.Context, db: Path | None, course: Path | None) -> Path:
    if db is not None:
        return db
    from .course import Course

    return Course.at(_course(ctx, course)).default_db


@cli.command()
@click.argument("assignment")
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an HTML page (table and plot) to FILE.html.")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@course_option
@click.pass_context
def leaderboard(ctx: click.Context, assignment: str, db: Path | None, output: Path | None, as_json: bool,
                course: Path | None) -> None:
    """Rank the submissions of ASSIGNMENT by held-out accuracy."""
    from . import leaderboard as lb
    from . import leaderboard_render as board
    from .store import ResultStore

    console.set_json_mode(as_json)
    with ResultStore.open(_db(ctx, db, course), create=False) as store:
        df = lb.leaderboard(store, assignment)
    if as_json:
        console.print_json(lb.to_records(df))
    else:
        console.out.print(board.render_table(df, title=f"{assignment} leaderboard"))
    if output is not None:
        path = board.write_html(df, output, title=f"{assignment} leaderboard")
        console.human().print(f"wrote {console.shown(path)}")


@cli.command()
@click.argument("assignment")
@course_option
@sandbox_option("Sandbox for the reference and the template.")
@image_option
@gpus_option
@click.pass_context
def validate(ctx: click.Context, assignment: str, course: Path | None, backend: str, image: str,
             gpus: str | None) -> None:
    """Check that the reference scores full marks and the template does not."""
    from . import validate as validate_mod

    v = validate_mod.main(assignment, course=_course(ctx, course), backend=backend, image=image, gpus=gpus)
    c = console.human()
    for label, r in (("reference", v.reference), ("template", v.template)):
        if r is not None:
            message = " — " + console.shown(r.message, multiline=True) if r.message else ""
            c.print(f"{label}: {r.score:g}/{r.max_score:g} ({r.status}){message}")
    if v.ok:
        c.print(f"[green]{assignment} is valid[/]")
        return
    for p in v.problems:
        c.print(f"[red]problem:[/] {console.shown(p, multiline=True)}")
    sys.exit(1)


@cli.command()
@click.argument("assignment")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the release into (new or empty).")
@click.option("--classroom", is_flag=True,
              help="A GitHub Classroom template repository: adds the autograding workflow.")
@course_option
@click.pass_context
def release(ctx: click.Context, assignment: str, output: Path, classroom: bool, course: Path | None) -> None:
    """Write what students receive for ASSIGNMENT: the template, the public tests and data,
    the public settings, a README and the pinned grader; never the reference or hidden tests."""
    from . import release as release_mod
    from .config import load_assignment
    from .course import Course

    out = release_mod.release(Course.at(_course(ctx, course)), assignment, output, classroom=classroom,
                              keep_record=True)
    console.human().print(f"released {assignment} into {out}: students run `grader check {assignment}` there")
    config = load_assignment(Course.at(_course(ctx, course)), assignment)
    console.note(f"recorded in {release_mod.record_path(config)} (commit it with the course: grading "
                 "recognises the released files by it after you change them)")


@cli.group()
def env() -> None:
    """The worker environments: the Python student code runs with under bubblewrap when you grade."""


def _configs(course_root: Path | None, assignments: tuple[str, ...]) -> tuple[Any, list[Any]]:
    from .config import load_assignment
    from .course import Course

    course_obj = Course.at(course_root)
    names = assignments or tuple(course_obj.assignment_names())
    return course_obj, [load_assignment(course_obj, name) for name in names]


@env.command("build")
@click.argument("assignments", nargs=-1)
@click.option("--force", is_flag=True, help="Rebuild environments that are up to date.")
@course_option
@click.pass_context
def env_build(ctx: click.Context, assignments: tuple[str, ...], force: bool, course: Path | None) -> None:
    """Build the worker environments of ASSIGNMENTS (default: all): the base packages at the grader's
    versions, and each assignment's [environment] packages on top. Up-to-date ones are kept."""
    from . import workerenv

    course_obj, configs = _configs(_course(ctx, course), assignments)
    say = console.human().print
    envs = workerenv.build(course_obj, configs, force=force, log=lambda line: say(line, markup=False, highlight=False))
    for name, built in envs.items():
        say(f"{name}: {console.shown(built.python)}", highlight=False)


@env.command("show")
@click.argument("assignments", nargs=-1)
@course_option
@click.pass_context
def env_show(ctx: click.Context, assignments: tuple[str, ...], course: Path | None) -> None:
    """Say which worker environment each assignment is graded with, and what it holds."""
    from . import workerenv
    from .imports import environment_packages, package_name

    course_obj, configs = _configs(_course(ctx, course), assignments)
    say = console.human().print
    for config in configs:
        built = workerenv.env_for(course_obj, config)
        if built is None:
            say(f"{config.name}: not built (student code would run with the grader's own Python; "
                f"run `grader env build {config.name}`)", highlight=False)
            continue
        wanted = [package_name(p) for p in environment_packages(config)]
        versions = ", ".join(f"{n} {built.installed.get(n, '?')}" for n in wanted)
        say(f"{config.name}: {console.shown(built.path)} ({versions})", highlight=False)


@env.command("requirements")
@click.argument("assignments", nargs=-1)
@course_option
@click.pass_context
def env_requirements(ctx: click.Context, assignments: tuple[str, ...], course: Path | None) -> None:
    """Print one pinned requirement per package student code of ASSIGNMENTS (default: all) may
    import: what the Docker grading image installs (scripts/docker-setup.sh)."""
    from . import workerenv

    course_obj, configs = _configs(_course(ctx, course), assignments)
    click.echo("\n".join(workerenv.course_requirements(course_obj, configs)))


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning expected errors into messages and exit code 2."""
    from .course import CourseError
    from .sandbox import SandboxError
    from .store import StoreError

    try:
        cli.main(args=argv, prog_name="grader", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        console.err.print("aborted")
        sys.exit(130)
    except Abort as exc:
        _error(str(exc))
        sys.exit(exc.code)
    except (CourseError, SandboxError, StoreError, FileNotFoundError, LookupError, ValueError) as exc:
        _error(str(exc))
        sys.exit(2)
    except Exception as exc:
        from .harness.session import HarnessError

        if isinstance(exc, HarnessError):
            _error(str(exc))
            sys.exit(2)
        import traceback

        _error(f"internal error: {type(exc).__name__}: {exc}")
        console.err.print(console.shown(traceback.format_exc(), multiline=True), style="dim")
        console.err.print("This is a bug in grader; please report it with the text above.")
        sys.exit(3)


def _error(message: str) -> None:
    console.error(message)


if __name__ == "__main__":
    main()
