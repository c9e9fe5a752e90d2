"""The ``grader`` command line: a thin shell over the ``main`` functions of
:mod:`grader.check`, :mod:`grader.grade`, :mod:`grader.validate` and the
store's readers. Output goes through :mod:`grader.console`.

Exit codes: 0 success; 1 ``check`` found failing tests or ``validate`` found
problems (or ``gradebook --format canvas`` left graded students out); 2 bad input or setup (unknown assignment, no sandbox, broken tests).
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
              help="Export to FILE: .csv, .xlsx or .parquet by its extension (or as --format says).")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "parquet", "canvas"]), default=None,
              help="Export in this format; without -o, into the course's out/ folder, which git ignores. "
              "canvas: the CSV that Canvas's gradebook import reads (needs --roster).")
@click.option("--max-points-row", is_flag=True,
              help="CSV and XLSX: add a first data row 'max points' (a pseudo-student an LMS would import).")
@click.option("--roster", "rosters", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="With --format canvas: a gradebook exported from Canvas, a CSV student,canvas_id,... or GitHub "
              "Classroom's grades CSV; give an export and one other to chain them.")
@click.option("--canvas-assignment", "canvas_assignments", multiple=True, metavar="A=NAME (ID)",
              help="With --format canvas: our assignment A is Canvas's 'NAME (ID)' (repeatable; default: the "
              "Canvas export's column named like A or its title).")
@click.option("--canvas-assignments", "canvas_map", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              metavar="FILE", help="With --format canvas: a file of A=NAME (ID) lines.")
@click.option("--match-by", type=click.Choice(["auto", "id", "sis_user_id", "sis_login_id", "name"]),
              default="auto", show_default=True,
              help="With --format canvas: the Canvas field our student ids (or Classroom's roster identifiers) "
              "are; auto: the field of the Canvas export that matches the most.")
@course_option
@click.pass_context
def gradebook(ctx: click.Context, assignment: str | None, db: Path | None, output: Path | None, fmt: str | None,
              max_points_row: bool, rosters: tuple[Path, ...], canvas_assignments: tuple[str, ...],
              canvas_map: Path | None, match_by: str, course: Path | None) -> None:
    """Show or export the gradebook (one row per student)."""
    from .gradebook import default_output, export, unignored_in_git
    from .gradebook import gradebook as build
    from .store import ResultStore

    canvas_only = [name for name, given in (("--roster", rosters), ("--canvas-assignment", canvas_assignments),
                                            ("--canvas-assignments", canvas_map),
                                            ("--match-by", match_by != "auto")) if given]
    if fmt != "canvas" and canvas_only:
        raise click.UsageError(f"{', '.join(canvas_only)} go with --format canvas")
    if fmt == "canvas" and not rosters:
        raise click.UsageError("--format canvas needs --roster FILE: a gradebook exported from Canvas, a CSV "
                               "student,canvas_id,... or GitHub Classroom's grades CSV")
    if fmt == "canvas" and max_points_row:
        raise click.UsageError("--max-points-row does not go with --format canvas (Canvas would read the row as "
                               "a student)")
    if fmt not in (None, "canvas") and output is not None and output.suffix.lower() != f".{fmt}":
        raise click.UsageError(f"--format {fmt} writes a .{fmt} file, not {output.name!r}")
    target = output
    if target is None and fmt is not None:
        stem = ("canvas" if fmt == "canvas" else "gradebook") + (f"-{assignment}" if assignment else "")
        target = default_output(_out_root(ctx, course, db), stem, ".csv" if fmt == "canvas" else f".{fmt}")
    if output is not None and output.parent.is_dir() and (repo := unignored_in_git(output)) is not None:
        console.warn(f"{output} is inside the git repository {repo} and not git-ignored: grades could be "
                     "committed by accident (leave out -o to write into the ignored out/ folder, or add the file "
                     "to .gitignore)")
    if max_points_row and target is None:
        raise click.UsageError("--max-points-row goes with an export (-o FILE or --format)")
    if fmt == "canvas":
        assert target is not None
        _gradebook_canvas(ctx, course, db, assignment, target, rosters, canvas_assignments, canvas_map, match_by)
        return
    with ResultStore.open(_db(ctx, db, course), create=False) as store:
        df = build(store, assignment)
    if target is not None:
        path = export(df, target, max_points_row=max_points_row)
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


def _out_root(ctx: click.Context, course: Path | None, db: Path | None) -> Path:
    """Where ``out/`` goes: the course root, or without a course the store's folder."""
    from .course import Course, CourseError

    try:
        return Course.at(_course(ctx, course)).root
    except CourseError:
        if db is None:
            raise
        return db.resolve().parent


def _gradebook_canvas(ctx: click.Context, course: Path | None, db: Path | None, assignment: str | None,
                      target: Path, rosters: tuple[Path, ...], canvas_assignments: tuple[str, ...],
                      canvas_map: Path | None, match_by: str) -> None:
    """``grader gradebook --format canvas``: write the file, then list the students left out (exit 1)."""
    from . import canvas
    from .config import load_assignment
    from .course import Course, CourseError
    from .store import ResultStore

    mapping = canvas.read_assignment_map(list(canvas_assignments))
    if canvas_map is not None:
        from_file = canvas.read_assignment_map(canvas_map.read_text(encoding="utf-8").splitlines(), str(canvas_map))
        mapping = {**from_file, **mapping}
    read = [canvas.read_roster(path) for path in rosters]
    with ResultStore.open(_db(ctx, db, course), create=False) as store:
        titles: dict[str, str] = {}
        try:
            where = Course.at(_course(ctx, course))
            for name in store.assignments():
                try:
                    titles[name] = load_assignment(where, name).title
                except CourseError:
                    pass
        except CourseError:
            pass  # only the store: assignments match Canvas columns by their names
        result = canvas.export_canvas(store, target, read, assignment=assignment, mapping=mapping, titles=titles,
                                      match_by=match_by)
    columns = ", ".join(f"{ours} -> {a.header}" for ours, a in result.columns)
    matched = f", matched by {result.matched_by}" if result.matched_by else ""
    console.human().print(f"wrote {console.shown(result.path)}: {result.rows} rows, {result.written} graded "
                          f"students ({console.shown(columns)}{matched})")
    if result.unmapped:
        console.note(f"left out, no Canvas column: {', '.join(result.unmapped)} (pass --canvas-assignment "
                     "A=NAME (ID) for them)")
    if result.missing:
        lines = "\n".join(f"  {student}: {why}" for student, why in result.missing.items())
        console.abort(f"{len(result.missing)} graded student(s) are not in {result.path.name}; fix the roster and "
                      f"run again, or enter their grades by hand:\n{lines}", 1)


@cli.command()
@click.argument("assignment")
@db_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write an HTML page (date, how accuracy was measured, plot and table) to FILE.html.")
@click.option("--anonymise/--no-anonymise", default=True, show_default=True,
              help="The page shows pseudonyms (picked with LEADERBOARD_NAME = \"...\" in the submission, or "
                   "generated from a secret salt kept next to the store), never student ids.")
@click.option("--submissions", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the picked pseudonyms are read (default: submissions/ASSIGNMENT/ of the course).")
@click.option("--json", "as_json", is_flag=True, help="Print the ranking as JSON.")
@course_option
@click.pass_context
def leaderboard(ctx: click.Context, assignment: str, db: Path | None, output: Path | None, anonymise: bool,
                submissions: Path | None, as_json: bool, course: Path | None) -> None:
    """Rank the submissions of ASSIGNMENT by held-out accuracy."""
    from . import leaderboard as lb
    from . import leaderboard_render as board
    from .store import ResultStore

    console.set_json_mode(as_json)
    db_path = _db(ctx, db, course)
    with ResultStore.open(db_path, create=False) as store:
        df = lb.leaderboard(store, assignment, require_metric=True)
        results = store.results(assignment)
    names = None
    if anonymise and output is not None:
        folder = submissions if submissions is not None else _submissions_dir(ctx, course, assignment)
        config = _config(ctx, course, assignment) if folder is not None else None
        files = lb.submission_files(folder, config) if folder is not None and config is not None else {}
        try:
            salt = lb.load_salt(_salt_path(db_path))
        except (OSError, ValueError) as exc:
            raise click.UsageError(f"pseudonyms need a salt file: {exc} (or pass --no-anonymise)") from None
        names = lb.pseudonyms(df["student"], salt, lb.picked_pseudonyms(results, files))
    if as_json:
        console.print_json(lb.to_records(df))
    else:
        console.out.print(board.render_table(df, title=f"{assignment} leaderboard", names=names))
    if output is not None:
        path = board.write_html(df, output, title=f"{assignment} leaderboard", names=names,
                                method=lb.measurement(results, str(df.attrs["metric"])))
        console.human().print(f"wrote {console.shown(path)}" + (" (pseudonyms; --no-anonymise for student ids)"
                                                                if names is not None else " (student ids)"))


def _salt_path(db: Path) -> Path:
    """The pseudonym salt of a results store: ``grades.db-pseudonym-salt`` beside ``grades.db``."""
    return db.with_name(db.name + "-pseudonym-salt")


def _submissions_dir(ctx: click.Context, course: Path | None, assignment: str) -> Path | None:
    """The course's submissions folder of ``assignment``, or None outside a course."""
    from .course import Course, CourseError

    try:
        return Course.at(_course(ctx, course)).submissions_dir(assignment)
    except CourseError:
        return None


def _config(ctx: click.Context, course: Path | None, assignment: str) -> Any:
    """The assignment's settings (:class:`grader.config.AssignmentConfig`), or None outside a course."""
    from .config import load_assignment
    from .course import Course, CourseError

    try:
        return load_assignment(Course.at(_course(ctx, course)), assignment)
    except CourseError:
        return None


@cli.command()
@click.argument("assignment")
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the pages into: one per student, and index.html.")
@click.option("--student", "students", multiple=True, help="Only this student's page (repeatable).")
@click.option("--notebook", is_flag=True,
              help="Also show each student's notebook (or module), with the feedback beside the cells that define "
                   "the functions each test grades.")
@click.option("--submissions", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Submissions folder, for --notebook and picked pseudonyms (default: submissions/ASSIGNMENT/).")
@db_option
@course_option
@click.pass_context
def report(ctx: click.Context, assignment: str, output: Path, students: tuple[str, ...], notebook: bool,
           submissions: Path | None, db: Path | None, course: Path | None) -> None:
    """Write one self-contained HTML feedback page per student of ASSIGNMENT: points per question, each
    test's status and message (hidden tests as the assignment's [feedback] allows), the late penalty and,
    for a competition lab, the student's place on the leaderboard."""
    from . import leaderboard as lb
    from .config import load_assignment
    from .course import Course
    from .report import ReportError, write_reports
    from .store import ResultStore

    course_obj = Course.at(_course(ctx, course))
    config = load_assignment(course_obj, assignment)
    folder = submissions if submissions is not None else course_obj.submissions_dir(assignment)
    if notebook and not folder.is_dir():
        raise click.UsageError(f"--notebook needs the submissions folder: {console.shown(folder)} is not one "
                               "(pass --submissions DIR)")
    db_path = _db(ctx, db, course)
    try:
        with ResultStore.open(db_path, create=False) as store:
            salt = None
            if any("accuracy_mean" in r.metrics for r in store.results(assignment)):
                salt = lb.load_salt(_salt_path(db_path))
            written = write_reports(store, config, output, students=students, notebook=notebook,
                                    submissions_dir=folder, salt=salt)
    except ReportError as exc:
        raise click.UsageError(str(exc)) from None
    for problem in written.problems:
        console.warn(f"notebook not shown: {problem}")
    console.human().print(f"wrote {len(written.pages)} feedback page(s) and {console.shown(written.index)}")
    from .gradebook import unignored_in_git

    if (repo := unignored_in_git(written.index)) is not None:
        console.warn(f"{output} is inside the git repository {repo} and not git-ignored: the pages hold grades "
                     "and could be committed by accident (write them under out/, which git ignores)")


@cli.group("import")
def import_group() -> None:
    """Bring an assignment written for another autograder into this course."""


@import_group.command("otter")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("--as", "name", required=True, help="The assignment's name here (assignments/NAME/, reference/NAME/).")
@click.option("--student", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The student notebook (a zip holds none).")
@click.option("--solution", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="The solution notebook (a zip holds none): needed to classify the cases.")
@click.option("--force", is_flag=True, help="Replace an existing assignment of that name.")
@course_option
@sandbox_option("Sandbox the solution is graded in, to classify the cases.")
@click.pass_context
def import_otter(ctx: click.Context, source: Path, name: str, student: Path | None, solution: Path | None,
                 force: bool, course: Path | None, backend: str) -> None:
    """Import an otter-grader assignment: SOURCE is its master notebook, the folder `otter assign`
    wrote, or its autograder zip. Its OK-format cases become public and hidden tests, checked in
    the trusted process; the solution, graded once, shows which cases must run in the worker."""
    from .otter import importer

    try:
        report = importer.main(source, name, course=_course(ctx, course), student=student, solution=solution,
                               backend=backend, force=force)
    except FileExistsError as exc:
        raise Abort(str(exc), 2) from None
    c = console.human()
    c.print(f"imported {report.questions} question(s), {report.cases} case(s), {report.points:g} points "
            f"as {name}: {len(report.written)} file(s) written")
    c.print("cases by mode: " + ", ".join(f"{n} {mode}" for mode, n in sorted(report.modes.items())))
    for warning in report.warnings:
        console.warn(warning)
    for case, text in report.failing.items():
        c.print(f"[red]the solution fails {console.shown(case)}[/] in every mode:\n"
                f"{console.shown(text, multiline=True)}")
    if report.failing:
        sys.exit(1)
    c.print(f"next: grader validate {name}; grader grade {name}")


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
    if v.otter_modes:
        counts = ", ".join(f"{n} {mode}" for mode, n in sorted(v.otter_modes.items()))
        worker = v.otter_modes.get("worker", 0)
        c.print(f"otter cases: {counts}; {sum(v.otter_modes.values()) - worker} of {sum(v.otter_modes.values())} "
                f"are checked in the trusted process, {worker} run in the worker (as easy to fool as in otter)")
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
def export() -> None:
    """Export an assignment's grading to another platform (Gradescope)."""


@export.command("gradescope")
@click.argument("assignment")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The autograder zip to write (e.g. autograder.zip). It holds the hidden tests and the reference: "
                   "upload it to Gradescope, never give it to students.")
@course_option
@click.pass_context
def export_gradescope(ctx: click.Context, assignment: str, output: Path, course: Path | None) -> None:
    """Write Gradescope's autograder for ASSIGNMENT: setup.sh, run_autograder, the grader's wheel, the
    assignment and its hidden tests (see grader/gradescope.py)."""
    from . import gradescope
    from .course import Course

    if output.suffix.lower() != ".zip":
        raise click.BadParameter(f"Gradescope takes a .zip file, not {output.name!r}", param_hint="-o")
    path = gradescope.export(Course.at(_course(ctx, course)), assignment, output)
    console.human().print(f"wrote {console.shown(path)} ({path.stat().st_size / 2**20:.1f} MiB): upload it as "
                          f"the autograder of a Gradescope programming assignment")


@cli.command()
@click.argument("assignment")
@click.option("--submissions", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Submissions folder (default: submissions/ASSIGNMENT/).")
@click.option("--db", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A results store to read (never write): the page says whether each file compared is the one "
                   "graded.")
@click.option("-o", "--output", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="Also write the report, the matching code highlighted, to FILE.html (self-contained; it holds "
                   "student code: keep it private).")
@click.option("--allow", "allow", multiple=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A .py or .ipynb file of code students may share (lecture code, a public source): removed "
                   "like the template's (repeatable).")
@click.option("--threshold", type=click.FloatRange(0, 1, min_open=True), default=None,
              help="Flag a pair when this share (0-1) of one student's own code is also in the other's "
                   "(default 0.5).")
@click.option("--noise", type=click.IntRange(5, 1000), default=None,
              help="Shortest match counted, in normalised characters (default 35).")
@click.option("--top", type=click.IntRange(1, 10_000), default=10, show_default=True,
              help="Pairs shown in the terminal.")
@click.option("--repo-prefix", default=None,
              help="Student repositories: the name part before the GitHub username (as for grade).")
@course_option
@click.pass_context
def similarity(ctx: click.Context, assignment: str, submissions: Path | None, db: Path | None, output: Path | None,
               allow: tuple[Path, ...], threshold: float | None, noise: int | None, top: int,
               repo_prefix: str | None, course: Path | None) -> None:
    """Flag pairs of ASSIGNMENT's submissions that share much of their code, the template's removed
    (copydetect). Advice for the instructor, never a penalty: a flag says where to look, not what
    happened; it never changes a grade."""
    from . import similarity as sim

    if output is not None and (output.is_dir() or not output.parent.is_dir()):
        raise click.BadParameter(f"{output} is a folder: give a file name such as similarity.html" if output.is_dir()
                                 else f"folder {output.parent} does not exist", param_hint="-o")
    thresholds = sim.Thresholds(noise=noise or sim.NOISE, guarantee=noise or sim.GUARANTEE,
                                display=threshold or sim.DISPLAY)
    report = sim.run(assignment, course=_course(ctx, course), submissions=submissions, allow=allow,
                     thresholds=thresholds, db=db, repo_prefix=repo_prefix)
    c = console.human()
    if report.pairs:
        console.out.print(sim.summary_table(report, top))
        c.print(f"{len(report.sources)} submissions compared in {report.seconds:.2f} s; "
                f"{len(report.flagged)} pair(s) flagged.")
        console.note(sim.ADVICE)
    else:
        c.print(f"nothing to compare: {len(report.sources)} submission(s) with code of their own beyond the "
                "template (two are needed)")
    for student, why in report.skipped:
        console.note(f"not compared: {student}: {why}")
    if output is not None:
        path = sim.write_html(report, output)
        c.print(f"wrote {console.shown(path)} (the matching code highlighted)")


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
