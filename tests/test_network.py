"""The Iris lab's network, described in the worker and rebuilt on the trusted side.

No sandbox: ``netexport.export_module`` runs in-process on real torch models,
``grader.network.rebuild`` rebuilds them, and the rebuilt logits must match
the model's own evaluation output (atol 1e-5). Hostile descriptions must end
in :class:`RebuildError` and nothing else.
"""

from __future__ import annotations

import copy
import importlib.util
import random
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from grader.crossval import load_iris_csv
from grader.network import MAX_NODES, RebuildError, RebuiltNetwork, export_network, rebuild
from grader.notebook import read_notebook
from grader.remote import RemoteObject, StudentError
from grader.worker import netexport

ROOT = Path(__file__).resolve().parents[1]
LAB = ROOT / "assignments" / "lab-iris"
SUBMISSIONS = ROOT / "submissions" / "lab-iris"
X, Y = load_iris_csv(LAB / "data" / "iris.csv")


def _check(model: nn.Module, X: np.ndarray = X) -> RebuiltNetwork:
    """Export, rebuild, and compare the rebuilt logits with the model's own eval output."""
    net = rebuild(netexport.export_module(model))
    was = model.training
    model.eval()
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    model.train(was)
    got = net.logits(X)
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5, rtol=0)
    return net


def _train(model: nn.Module, steps: int = 30) -> nn.Module:
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(steps):
        loss = F.cross_entropy(model(torch.from_numpy(X)), torch.from_numpy(Y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def _load_module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference():
    return _load_module(ROOT / "reference" / "lab-iris" / "lab_iris.py", "_ref_lab_iris")


# --------------------------------------------------------------------------- honest networks


def test_reference_network_rebuilds_with_747_values():
    ref = _reference()
    torch.manual_seed(0)
    model = ref.build_model()
    ref.Standardize.fit(model[0], torch.from_numpy(X))
    _train(model, 20)
    net = _check(model)
    assert net.linear_layers == [(4, 32), (32, 16), (16, 3)]
    assert net.n_params == 739 + 8


def test_export_restores_every_module_mode():
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train()
    model[1].eval()
    netexport.export_module(model)
    assert [m.training for m in model.modules()] == [True, True, False, True]


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3, self.fc4 = nn.Linear(4, 16), nn.Linear(16, 12), nn.Linear(12, 8), nn.Linear(8, 3)

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        x = self.fc3(x).relu()
        return self.fc4(x)


def test_custom_module_with_functional_activations():
    torch.manual_seed(1)
    net = _check(_train(Net()))
    assert net.linear_layers == [(4, 16), (16, 12), (12, 8), (8, 3)]
    assert net.n_params == sum(p.numel() for p in Net().parameters())


def test_sequential_with_normalisation_dropout_and_activations():
    torch.manual_seed(2)
    model = nn.Sequential(
        nn.BatchNorm1d(4), nn.Linear(4, 32), nn.LeakyReLU(0.2), nn.Dropout(0.3),
        nn.Linear(32, 16), nn.GELU(), nn.LayerNorm(16), nn.Linear(16, 8), nn.GELU(approximate="tanh"),
        nn.Linear(8, 3),
    )
    _train(model, 25)
    assert model[0].running_mean.abs().sum() > 1  # non-trivial running statistics
    net = _check(model)
    assert net.linear_layers == [(4, 32), (32, 16), (16, 8), (8, 3)]
    assert net.n_params == sum(p.numel() for p in model.parameters()) + 8  # + running mean and var


def test_every_whitelisted_layer():
    torch.manual_seed(3)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(4, 12), nn.PReLU(), nn.Linear(12, 12), nn.ELU(0.5), nn.SELU(), nn.CELU(0.7),
        nn.SiLU(), nn.Mish(), nn.Softplus(beta=2.0), nn.Hardtanh(-2.0, 2.0), nn.ReLU6(), nn.Identity(),
        nn.AlphaDropout(0.1), nn.Tanh(), nn.Sigmoid(), nn.Linear(12, 3), nn.LogSoftmax(dim=1),
        nn.BatchNorm1d(3, affine=False), nn.LayerNorm(3, elementwise_affine=False), nn.Softmax(dim=1),
    )
    _check(_train(model, 10))


class PlainStats(nn.Module):
    """Standardisation through plain tensor attributes and a frozen Parameter."""

    def __init__(self):
        super().__init__()
        self.mean = X.mean(0) * 0  # plain tensors, set in fit
        self.std = torch.ones(4)
        self.shift = nn.Parameter(torch.zeros(4), requires_grad=False)
        self.a, self.b, self.c = nn.Linear(4, 24), nn.Linear(24, 24), nn.Linear(24, 3)

    def fit(self):
        self.mean = torch.from_numpy(X.mean(0))
        self.std = torch.from_numpy(X.std(0))
        self.shift.data = torch.tensor([0.1, -0.2, 0.3, 0.0])

    def forward(self, x):
        x = (x - self.mean) / (self.std + 1e-8) + self.shift
        h = F.relu(self.a(x))
        h = h + F.leaky_relu(self.b(h), 0.1)  # residual
        return F.softmax(self.c(h), dim=1)


def test_plain_tensor_and_frozen_parameter_standardisation_residual_and_softmax():
    torch.manual_seed(4)
    model = PlainStats()
    model.fit()
    net = _check(_train(model))
    assert net.n_params == sum(p.numel() for p in model.parameters()) + 8


class PowerStats(nn.Module):
    """Standardisation with a variance buffer and a power: (x - mean) / (var + eps) ** 0.5."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.from_numpy(X.mean(0)))
        self.register_buffer("var", torch.from_numpy(X.var(0)))
        self.l1, self.l2, self.l3 = nn.Linear(4, 10), nn.Linear(10, 6), nn.Linear(6, 3)

    def forward(self, x):
        x = (x - self.mean) / (self.var + 1e-5) ** 0.5
        x = torch.pow(torch.relu(self.l1(x)), 1.0)
        return self.l3(self.l2(x).pow(2) * 0.1)


def test_standardisation_with_a_power():
    torch.manual_seed(6)
    net = _check(_train(PowerStats()))
    assert net.linear_layers == [(4, 10), (10, 6), (6, 3)]


class MyLinear(nn.Linear):
    """A student's subclass: fx traces through it to F.linear on its own weight."""


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("mu", torch.from_numpy(X.mean(0)))
        self.register_buffer("sd", torch.from_numpy(X.std(0)))
        self.l1, self.l2, self.l3 = MyLinear(4, 20), nn.Linear(20, 10), nn.Linear(10, 3)

    def forward(self, x):
        x = x.float().view(x.size(0), -1).reshape(-1, x.shape[1]).flatten(1)
        x = torch.div(torch.sub(x, self.mu), self.sd).mul(1.0).add(0.0)
        x = F.dropout(F.gelu(self.l1(x), approximate="tanh"), 0.2, training=self.training)
        x = torch.clamp(F.elu(self.l2(x)), min=-3.0).clamp(max=5.0)
        x = F.softplus(x) - 0.5 * torch.sigmoid(x) + -x.tanh() / 4
        return F.log_softmax(self.l3(x), dim=-1)


def test_functional_style_and_shape_methods():
    torch.manual_seed(5)
    net = _check(_train(Functional()))
    assert net.linear_layers == [(4, 20), (20, 10), (10, 3)]


def test_sequential_fallback_when_fx_fails(monkeypatch):
    def refuse(*args, **kwargs):
        raise RuntimeError("no tracing today")

    monkeypatch.setattr(torch.fx, "symbolic_trace", refuse)
    model = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.ReLU(), nn.Linear(8, 6)), nn.Tanh(), nn.Linear(6, 3))
    description = netexport.export_module(model)
    assert description["format"] == "sequential" and len(description["layers"]) == 5
    net = _check(model)
    assert net.linear_layers == [(4, 8), (8, 6), (6, 3)]


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(4, 3)

    def forward(self, x):
        return self.l(x) if x.sum() > 0 else -self.l(x)


def test_untraceable_network_is_an_error_for_the_student():
    description = netexport.export_module(DataDependent())
    assert set(description) == {"error"} and "torch.fx cannot trace" in description["error"]
    with pytest.raises(RebuildError, match="torch.fx cannot trace"):
        rebuild(description)


# --------------------------------------------------------------------------- the example submissions

# not trained with their own train_model: why
UNTRAINED = {"grace": "train_model loops until the loss is below 1e-6 (never ends)"}
NO_MODEL = {"heidi": "the untouched template: build_model raises NotImplementedError"}
REFUSED = {"frank": "torch.cdist"}  # a lookup table: must be refused, naming the op


def _submission(student: str):
    """(build_model, train_model) of an example submission, loaded in this process."""
    path = next((SUBMISSIONS / student).iterdir())
    if path.suffix == ".py":
        module = _load_module(path, f"_sub_{student}")
        return module.build_model, module.train_model
    namespace: dict = {"__name__": f"_nb_{student}"}
    for cell in read_notebook(path.read_text(encoding="utf-8")):
        if "build_model" in namespace and "train_model" in namespace:
            break  # the rest trains at top level (cross-validation): not needed
        exec(compile(cell.source, f"{student}-cell-{cell.index}", "exec"), namespace)
    return namespace["build_model"], namespace["train_model"]


@pytest.mark.parametrize("student", sorted(p.name for p in SUBMISSIONS.iterdir() if p.is_dir()))
def test_example_submission(student, monkeypatch):
    if student in NO_MODEL:
        pytest.skip(NO_MODEL[student])
    monkeypatch.chdir(LAB)  # the notebooks read data/iris.csv
    threads = torch.get_num_threads()
    try:
        build_model, train_model = _submission(student)
        torch.manual_seed(7)
        model = build_model()
        if student not in UNTRAINED:
            train = np.arange(len(X)) % 5 != 0
            model = train_model(model, torch.from_numpy(X[train]), torch.from_numpy(Y[train]))
        if student in REFUSED:
            with pytest.raises(RebuildError, match=f"your forward calls {REFUSED[student]}"):
                rebuild(netexport.export_module(model))
        else:
            net = _check(model)
            assert len(net.linear_layers) >= 2 and net.n_params > 0
    finally:
        torch.set_num_threads(threads)  # the notebooks set one thread


# --------------------------------------------------------------------------- hostile descriptions

TABLE = torch.from_numpy(X)
LABELS = torch.from_numpy(Y)


class LookupTable(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3 = nn.Linear(4, 32), nn.Linear(32, 16), nn.Linear(16, 3)
        self.register_buffer("table", TABLE.clone())
        self.register_buffer("labels", LABELS.clone())

    def forward(self, x):
        hidden = self.l3(torch.relu(self.l2(torch.relu(self.l1(x)))))
        nearest = torch.cdist(x, self.table).argmin(dim=1)
        return 0.0 * hidden + 10.0 * F.one_hot(self.labels[nearest], 3).float()


def test_lookup_table_is_refused_naming_the_op():
    with pytest.raises(RebuildError, match=r"your forward calls torch\.cdist, which the lab's whitelist does not "
                                           r"include; allowed: the layers nn\.AlphaDropout, nn\.BatchNorm1d"):
        rebuild(netexport.export_module(LookupTable()))


def lookup(x):
    return x * 0


torch.fx.wrap("lookup")


class Wrapped(nn.Module):
    def __init__(self):
        super().__init__()
        self.l = nn.Linear(4, 3)

    def forward(self, x):
        return self.l(lookup(x))


class GetattrTrick(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("table", TABLE.clone())

    def forward(self, x):
        return getattr(torch, "cd" + "ist")(x, self.table)[:, :3]


class Embedding(nn.Module):
    def __init__(self):
        super().__init__()
        self.table = nn.Parameter(torch.randn(10, 3))

    def forward(self, x):
        return F.embedding(x, self.table)


def test_non_whitelisted_functions():
    with pytest.raises(RebuildError, match=r"calls [\w.]*lookup, which the lab's whitelist does not include"):
        rebuild(netexport.export_module(Wrapped()))
    with pytest.raises(RebuildError, match=r"calls torch\.cdist"):
        rebuild(netexport.export_module(GetattrTrick()))
    with pytest.raises(RebuildError, match=r"calls torch\.nn\.functional\.embedding"):
        rebuild(netexport.export_module(Embedding()))
    with pytest.raises(RebuildError, match=r"nn\.Embedding|layer torch\.nn\.modules\.sparse\.Embedding"):
        rebuild(netexport.export_module(nn.Sequential(nn.Embedding(10, 3))))


def _valid() -> dict:
    torch.manual_seed(0)
    return netexport.export_module(Net())


def _node(d: dict, op: str) -> dict:
    return next(n for n in d["nodes"] if n["op"] == op)


def _raises(d: dict, pattern: str) -> None:
    with pytest.raises(RebuildError, match=pattern):
        rebuild(d).logits(X)


def test_hand_made_lies_are_refused():
    d = _valid()
    _node(d, "call_function")["target"] = "torch.nn.functional.embedding"
    _raises(d, r"calls torch\.nn\.functional\.embedding")
    d = _valid()
    _node(d, "call_function").update(target="builtins.getattr", args=[{"node": "x"}, "__class__"], kwargs={})
    _raises(d, "argument 'name' cannot be '__class__'")
    d = _valid()
    _node(d, "call_method").update(target="__getattribute__")
    _raises(d, r"tensor method \.__getattribute__\(\)")
    d = _valid()
    d["modules"]["fc2"]["state"]["weight"] = np.zeros((12, 17), np.float32)
    _raises(d, r"weight must be a float array of shape \(12, 16\), got \(12, 17\)")
    d = _valid()
    d["modules"]["fc2"]["config"]["in_features"] = 17
    _raises(d, r"shape \(12, 17\), got \(12, 16\)")
    d = _valid()
    d["modules"]["fc2"]["type"] = "lab_iris.Lookup"
    _raises(d, "uses the layer lab_iris.Lookup")
    d = _valid()
    d["modules"]["fc2"]["state"]["extra"] = np.zeros(3, np.float32)
    _raises(d, "must hold exactly")
    d = _valid()
    d["nodes"][1]["args"] = [{"node": d["nodes"][3]["name"]}]  # a later node
    _raises(d, "which is not an earlier node")
    d = _valid()
    d["nodes"][-1]["args"] = [{"node": "nowhere"}]
    _raises(d, "which is not an earlier node")
    d = _valid()
    d["nodes"].insert(1, copy.deepcopy(d["nodes"][1]))
    _raises(d, "same name")
    d = _valid()
    relu = _node(d, "call_function")
    relu["args"], relu["kwargs"] = relu["args"] + [{"unsupported": "builtins.object"}], {}
    _raises(d, "argument 'inplace' cannot be a builtins.object")
    d = _valid()
    _node(d, "call_function")["kwargs"] = {"inplace": False, "training": True}
    _raises(d, "arguments the whitelisted operation does not take")
    _raises({"error": "your forward is odd"}, "your forward is odd")
    _raises({"format": "pickle"}, "unknown format")
    _raises([], "not a dict")


def test_sizes_are_bounded():
    d = _valid()
    d["attrs"]["big"] = np.zeros(10**7 + 1, np.float32)
    _raises(d, "more than the limit 10000000")
    # small state, huge intermediate result (broadcasting): refused before it is computed
    d = _valid()
    d["attrs"]["wide"] = np.zeros((10**5, 1, 1), np.float32)
    x = d["nodes"][0]["name"]
    d["nodes"][1:1] = [{"name": "wide", "op": "get_attr", "target": "wide", "args": [], "kwargs": {}},
                       {"name": "bcast", "op": "call_function", "target": "operator.add",
                        "args": [{"node": x}, {"node": "wide"}], "kwargs": {}},
                       {"name": "back", "op": "call_method", "target": "sum", "args": [{"node": "bcast"}, 0],
                        "kwargs": {}}]
    d["nodes"][4]["args"] = [{"node": "back"}]
    _raises(d, r"tensor method \.sum\(\)")  # sum is not whitelisted
    d["nodes"][3] = {"name": "back", "op": "call_function", "target": "torch.flatten",
                     "args": [{"node": "bcast"}, 0, 1], "kwargs": {}}
    _raises(d, "gives 60000000 values, more than the limit")
    # too many nodes
    d = _valid()
    relu = [n for n in d["nodes"] if n["op"] == "call_function"][0]
    chain = [dict(relu, name=f"r{i}", args=[{"node": relu["name"] if i == 0 else f"r{i - 1}"}])
             for i in range(MAX_NODES)]
    i = d["nodes"].index(relu) + 1
    d["nodes"][i:i] = chain
    _raises(d, f"must have 2 to {MAX_NODES} nodes")
    # ints computed in the graph cannot grow without bound
    d = _valid()
    nodes = [d["nodes"][0], {"name": "n", "op": "call_method", "target": "size", "args": [{"node": "x"}, 0],
                             "kwargs": {}}]
    for i in range(100):
        prev = "n" if i == 0 else f"m{i - 1}"
        nodes.append({"name": f"m{i}", "op": "call_function", "target": "operator.mul",
                      "args": [{"node": prev}, {"node": prev}], "kwargs": {}})
    nodes.append({"name": "v", "op": "call_method", "target": "view", "args": [{"node": "x"}, {"node": "m99"}, -1],
                  "kwargs": {}})
    nodes.append({"name": "output", "op": "output", "target": "output", "args": [{"node": "v"}], "kwargs": {}})
    d["nodes"] = nodes
    _raises(d, "gives an integer out of range")


GARBAGE = [None, -1, 0, 10**30, 1.5, float("nan"), True, "", "x" * 1000, "torch.cdist", "shape", [], [1] * 50,
           {}, {"node": "x"}, {"node": "nowhere"}, {"a": 1, "b": 2}, {"dtype": "torch.int64"}, {"slice": [0, 1, None]},
           np.zeros((2, 2), np.float32), np.zeros(3, np.int64), np.array(["a"]), np.float32(1.0), (1, 2), b"bytes",
           object(), [[[[[[1]]]]]], {"unsupported": "x"}]


def _leaves(value, path=()):
    yield path
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))


def _replace(value, path, new):
    if not path:
        return new
    value = copy.copy(value)
    value[path[0]] = _replace(value[path[0]], path[1:], new)
    return value


def test_fuzzed_descriptions_raise_only_rebuild_error():
    rng = random.Random(8)
    torch.manual_seed(0)
    base = netexport.export_module(Functional())
    paths = list(_leaves(base))
    outcomes = {"refused": 0, "rebuilt": 0}
    for _ in range(600):
        d = base
        for _ in range(rng.choice((1, 1, 2, 3))):
            d = _replace(d, rng.choice(paths if d is base else list(_leaves(d))), rng.choice(GARBAGE))
        try:
            out = rebuild(d).logits(X[:7])
        except RebuildError:
            outcomes["refused"] += 1
            continue
        assert out.shape[0] == 7 and np.isfinite(out).all()
        outcomes["rebuilt"] += 1
    assert outcomes["refused"] > 300


def test_logits_checks_its_input_and_output():
    net = rebuild(_valid())
    with pytest.raises(TypeError):
        net.logits(X.tolist())
    with pytest.raises(RebuildError, match="fails at"):
        net.logits(np.zeros((3, 5), np.float32))
    d = _valid()
    d["modules"]["fc1"]["state"]["bias"] = np.full(16, np.nan, np.float32)
    with pytest.raises(RebuildError, match="NaN"):
        rebuild(d).logits(X)
    d = _valid()
    d["nodes"][-1]["args"] = [{"node": "x"}]
    d["nodes"][-2:-1] = []
    assert rebuild(d).logits(X).shape == (150, 4)  # no layer at all: the identity, and no linear layers
    assert rebuild(d).linear_layers == [] and rebuild(d).n_params == 0


# --------------------------------------------------------------------------- the trusted helper


class _FakeRemote(RemoteObject):
    """A RemoteObject whose requests run in this process (no worker)."""

    __slots__ = ("_model",)

    def __init__(self, model):
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_type_name", "Net")
        object.__setattr__(self, "_label", "")

    def _req(self, message, what):
        assert set(message) == {"op", "obj"} and message["op"] == "export_module" and message["obj"] is self
        assert what == "exporting Net"
        try:
            return netexport.export_module(self._model)
        except Exception as exc:
            raise StudentError(what, {"type": type(exc).__name__, "message": str(exc)}) from None

    def _name(self):
        return "Net"


def test_export_network_through_a_remote_object():
    torch.manual_seed(0)
    model = Net()
    net = export_network(_FakeRemote(model))
    model.eval()
    np.testing.assert_allclose(net.logits(X), model(torch.from_numpy(X)).detach().numpy(), atol=1e-5)
    with pytest.raises(RebuildError, match="expected a torch.nn.Module"):
        export_network(_FakeRemote(42))
    with pytest.raises(RebuildError, match="expected the trained network"):
        export_network(Net())


def test_worker_package_imports_no_torch():
    assert "import torch" not in (ROOT / "grader" / "worker" / "netexport.py").read_text().split('"""')[2].split(
        "def export_module")[0]
    assert "torch" not in sys.modules["grader.worker.netexport"].__dict__


def test_export_network_end_to_end_in_a_subprocess_worker(tmp_path):
    """The real op through the real wire: the reference trained in a worker, rebuilt here."""
    import shutil
    import textwrap

    from grader.config import Limits
    from grader.remote import RemoteSession, SubmissionProxy
    from grader.sandbox import make_backend
    from grader.sandbox.base import WorkerSpec

    (tmp_path / "lab_iris.py").write_text(
        (ROOT / "reference" / "lab-iris" / "lab_iris.py").read_text().replace("EPOCHS = 300", "EPOCHS = 30")
        + textwrap.dedent("""
            class Liar(nn.Module):
                def forward(self, x):
                    return torch.cdist(x, x)
            """))
    backend = make_backend("subprocess")
    limits = Limits(call_timeout=60.0, load_timeout=60.0, total_timeout=200.0)
    request = {"op": "load", "kind": "module", "path": "lab_iris.py", "name": "lab_iris", "cell_timeout": None}
    session = RemoteSession(lambda: backend.start(WorkerSpec(workdir=tmp_path, limits=limits, slot=42)), request,
                            limits, what="lab_iris.py")
    try:
        session.ensure()
        student = SubmissionProxy(session)
        model = student.train_model(student.build_model(), torch.from_numpy(X), torch.from_numpy(Y))
        net = export_network(model)
        model.eval()
        np.testing.assert_allclose(net.logits(X), model(torch.from_numpy(X)), atol=1e-5, rtol=0)
        assert net.n_params == 747 and net.linear_layers == [(4, 32), (32, 16), (16, 3)]
        with pytest.raises(RebuildError, match=r"calls torch\.cdist"):
            export_network(student.Liar())
        with pytest.raises(RebuildError, match="expected a torch.nn.Module"):
            export_network(student.build_model)
    finally:
        session.close()
        backend.close()
        shutil.rmtree(tmp_path, ignore_errors=True)
