"""Tests for grader.notebook: notebook JSON to code cells, IPython syntax neutralised.

The transformed cells are also run through the worker's loader (in this
process: the loader is plain ``exec``) to check that they do what the module
docs promise, and that no shell command ever runs.
"""

from __future__ import annotations

import ast
import json
import sys

import nbformat
import pytest

from grader.notebook import Cell, NotebookError, cells_to_skip, read_notebook, transform_ipython
from grader.worker import loader


def notebook(*cells: tuple[str, str | list[str]], nbformat_minor: int = 5) -> str:
    """A notebook's JSON text from (cell_type, source) pairs."""
    nb = {"nbformat": 4, "nbformat_minor": nbformat_minor, "metadata": {}, "cells": []}
    for i, (kind, source) in enumerate(cells):
        cell = {"cell_type": kind, "metadata": {}, "source": source, "id": f"c{i}"}
        if kind == "code":
            cell.update(outputs=[], execution_count=None)
        nb["cells"].append(cell)
    return json.dumps(nb)


# --------------------------------------------------------------------------- reading


def test_code_cells_keep_their_index_among_all_cells():
    text = notebook(("markdown", "# Title"), ("code", "x = 1"), ("raw", "raw"), ("code", ["def f():\n", "    return x\n"]))
    assert read_notebook(text) == [Cell(1, "x = 1"), Cell(3, "def f():\n    return x\n")]


def test_notebook_written_by_nbformat_reads_back():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("intro"), nbformat.v4.new_code_cell("import numpy as np\ny = np.ones(2)")]
    assert read_notebook(nbformat.writes(nb)) == [Cell(1, "import numpy as np\ny = np.ones(2)")]


def test_old_nbformat_3_notebook_is_upgraded():
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "z = 3", "language": "python", "outputs": []}]}]}
    assert [c.source for c in read_notebook(json.dumps(v3))] == ["z = 3"]


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("   \n\t", "empty"),
    ('{"cells": [', "not valid JSON"),
    ("\x00\x01garbage", "not valid JSON"),
    ("[1, 2, 3]", "not a valid Jupyter notebook"),
    ('{"hello": "world"}', "not a valid Jupyter notebook"),
    ('{"nbformat": 99, "cells": []}', "not a valid Jupyter notebook"),
    (notebook(("markdown", "only prose")), "no code cells"),
    (notebook(("code", ""), ("code", "   \n")), "no code cells"),
], ids=["empty", "blank", "truncated", "binary", "json-list", "json-object", "future-format", "markdown-only",
        "blank-code-cells"])
def test_unusable_notebooks_raise_notebook_error(text, message):
    with pytest.raises(NotebookError, match=message):
        read_notebook(text)


def test_notebook_error_is_a_value_error_with_a_short_message():
    with pytest.raises(ValueError) as info:
        read_notebook('{"nbformat": 4, "nbformat_minor": 5, "cells": "nope", "metadata": {}}')
    assert isinstance(info.value, NotebookError)
    assert "\n" not in str(info.value) and len(str(info.value)) < 400


# --------------------------------------------------------------------------- transforming IPython syntax

VALID_PYTHON = [
    "x = 1",
    'print("%d%%" % 3)',
    "a = b if c != d else e",
    "s = '''\n!not a shell command\n%not a magic\nwhy?\n'''",
    "get_ipython().run_line_magic('matplotlib', 'inline')",
    "x = 7 % 3",
]


@pytest.mark.parametrize("source", VALID_PYTHON)
def test_valid_python_is_never_rewritten(source):
    assert transform_ipython(source) == source


@pytest.mark.parametrize("source, expected", [
    ("!ls -la", "pass  # skipped shell command"),
    ("files = !ls", "files = []  # skipped shell command"),
    ("%matplotlib inline", "pass  # skipped %matplotlib"),
    ("%load_ext autoreload", "pass  # skipped %load_ext"),
    ("%pip install numpy", "pass  # skipped %pip"),
    ("%time y = f(x)", "y = f(x)"),
    ("%timeit f(x)", "f(x)"),
    ("%timeit -n 10 -r 3 f(x)", "f(x)"),
    ("%timeit -n10 -q f(x)", "f(x)"),
    ("%time -x.mean()", "-x.mean()"),
    ("%time", "pass  # skipped %time"),
    ("np.sum?", "pass  # skipped help"),
    ("np.sum??", "pass  # skipped help"),
    ("%%bash\nrm -rf ~", "pass  # skipped cell magic %%bash"),
    ("%%html\n<b>hi</b>", "pass  # skipped cell magic %%html"),
    ("%%javascript\nalert(1)", "pass  # skipped cell magic %%javascript"),
    ("%%time\nx = 1\ny = 2", "x = 1\ny = 2"),
    ("\n\n%%capture\n%matplotlib inline\nz = 3", "pass  # skipped %matplotlib\nz = 3"),
    ("%%writefile\nno file name", "pass  # skipped cell magic %%writefile"),
], ids=lambda v: v if len(v) < 30 else v[:27] + "...")
def test_ipython_syntax_becomes_harmless_python(source, expected):
    out = transform_ipython(source)
    assert out == expected
    ast.parse(out)


def test_shell_command_inside_a_block_keeps_the_block_valid():
    source = "for i in range(2):\n    !echo $i\n    total = i\n"
    out = transform_ipython(source)
    ast.parse(out)
    assert "echo" not in out.replace("# skipped shell command", "")


def test_a_real_syntax_error_stays_a_syntax_error():
    with pytest.raises(SyntaxError):
        ast.parse(transform_ipython("def f(:\n    return 1"))


# --------------------------------------------------------------------------- running the result


@pytest.fixture
def run_cells(tmp_path, monkeypatch):
    """Run notebook cells with the worker's loader, in tmp_path; restore __main__, sys.path and
    forget the module a cell imports afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "__main__", sys.modules["__main__"])
    monkeypatch.setattr(sys, "path", list(sys.path))

    def run(text: str):
        cells = [{"index": c.index, "source": c.source} for c in read_notebook(text)]
        return loader.run_notebook(cells, cell_timeout=5)

    yield run
    sys.modules.pop("nb_helper", None)


def test_writefile_writes_in_the_working_directory(run_cells, tmp_path):
    text = notebook(("code", "%%writefile nb_helper.py\nK = 41\n"), ("code", "%%writefile -a nb_helper.py\nK += 1"),
                    ("code", "import importlib, sys\nsys.path.insert(0, '.')\nimport nb_helper\nanswer = nb_helper.K"))
    module, reports = run_cells(text)
    assert [r["status"] for r in reports] == ["ok", "ok", "ok"]
    assert module.answer == 42
    assert (tmp_path / "nb_helper.py").read_text() == "K = 41\nK += 1\n"


def test_shell_commands_and_magics_never_run(run_cells, tmp_path):
    canary = tmp_path / "canary"
    text = notebook(("code", f"!touch {canary}\n%matplotlib inline\nx = 1"),
                    ("code", f"%%bash\ntouch {canary}"),
                    ("code", f"out = !touch {canary}\nget_ipython().system('touch {canary}')\ny = len(out)"))
    module, reports = run_cells(text)
    assert [r["status"] for r in reports] == ["ok", "ok", "ok"]
    assert module.x == 1 and module.y == 0
    assert not canary.exists()


def test_a_broken_cell_does_not_stop_the_notebook(run_cells):
    text = notebook(("code", "a = 1"), ("code", "raise ValueError('plot failed')"), ("code", "def f(:"),
                    ("code", "b = a + 1"))
    module, reports = run_cells(text)
    assert [r["status"] for r in reports] == ["ok", "error", "error", "ok"]
    assert reports[1]["error"]["type"] == "ValueError" and "plot failed" in reports[1]["error"]["message"]
    assert reports[2]["error"]["type"] == "SyntaxError" and "<cell 2>" in reports[2]["error"]["where"]
    assert module.b == 2


# --- cells a fresh run may leave out ------------------------------------------------

LAB_CELLS = [
    Cell(0, "import numpy as np\nimport torch\ntorch.set_num_threads(1)"),
    Cell(1, "X = np.zeros((4, 4))\nHIDDEN = 8"),
    Cell(2, "def build_model():\n    return torch.nn.Linear(4, HIDDEN)"),
    Cell(3, "SCALE = slow_constant()"),
    Cell(4, "def train_model(model, X, y):\n    return model if SCALE else None"),
    Cell(5, "def cross_validate():\n    return train_model(build_model(), X, None)\nresult = cross_validate()"),
    Cell(6, "print(result)\nfor i in range(3):\n    result = cross_validate()"),
    Cell(7, "import sklearn\nslow = 1"),
]


def _report(seconds: float, failed: tuple[int, ...] = ()) -> dict:
    return {"cells": [{"index": c.index, "status": "error" if c.index in failed else "ok", "seconds": seconds}
                      for c in LAB_CELLS]}


def test_slow_experiment_cells_are_left_out_of_fresh_runs():
    skip = cells_to_skip(LAB_CELLS, _report(5.0), roots=("build_model", "train_model"))
    # 3 computes a name train_model reads; 7 imports; 0-2 and 4 define what the graded names need
    assert skip == [5, 6]


def test_fast_cells_and_failed_cells_are_kept():
    assert cells_to_skip(LAB_CELLS, _report(0.01), roots=("build_model", "train_model")) == []
    assert cells_to_skip(LAB_CELLS, _report(5.0, failed=(5, 6)), roots=("build_model", "train_model")) == []


def test_without_roots_every_function_is_needed():
    # cross_validate is a function: cell 5 stays; cell 6 defines only `result` and `i`
    assert cells_to_skip(LAB_CELLS, _report(5.0)) == [6]


def test_a_cell_that_does_not_parse_is_kept():
    cells = [Cell(0, "def f(:\n    pass"), Cell(1, "x = 1")]
    report = {"cells": [{"index": 0, "status": "ok", "seconds": 9.0}, {"index": 1, "status": "ok", "seconds": 9.0}]}
    assert cells_to_skip(cells, report, roots=("f",)) == [1]


def test_skipped_cells_do_not_run_and_are_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cells = [{"index": 0, "source": "a = 1"}, {"index": 1, "source": "open('ran', 'w').write('x')"},
             {"index": 2, "source": "b = a + 1"}]
    module, reports = loader.run_notebook(cells, None, skip={1})
    assert module.b == 2 and not (tmp_path / "ran").exists()
    assert [r["status"] for r in reports] == ["ok", "skipped", "ok"]
    assert all(isinstance(r["seconds"], float) for r in reports)
