"""Tests for grader.worker.wire: the codec between the trusted process and the worker.

Values must round-trip with their exact types; anything that is not plain
data must be refused (or become a handle); and every malformed payload must
raise WireError, never anything else, because a hostile worker writes them.
"""

from __future__ import annotations

import json
import math
import os
import struct
import threading

import numpy as np
import pytest

from grader.worker import wire


def frame(value, to_handle=None, max_bytes=wire.MAX_MESSAGE_BYTES) -> bytes:
    return b"".join(bytes(p) for p in wire.encode_message(value, to_handle, max_bytes))


def roundtrip(value, from_handle=None, torch_arrays=False):
    data = frame(value)
    (n,) = struct.unpack(">Q", data[:8])
    assert n == len(data) - 8
    return wire.decode_payload(bytearray(data[8:]), from_handle, torch_arrays)


def payload(message, offsets=(), buffers=b"") -> bytearray:
    """A hand-made payload (everything after the u64 length), as a hostile worker could write it."""
    header = json.dumps({"m": message, "b": [list(o) for o in offsets]}).encode()
    return bytearray(struct.pack(">I", len(header)) + header + buffers)


# --------------------------------------------------------------------------- round trips

PLAIN = [
    None, True, False, 0, -7, 2**200, 1.5, -0.0, 1e308, "", "héllo ✓", b"", b"\x00\xff" * 10,
    1 + 2j, [], (), {}, [1, [2, [3]]], (1, (2.5, "x")), {"a": 1, 2: "b", (1, 2): [3], None: b"k", 1.5: ()},
    [None, (True, {"k": [1.0]})],
]


@pytest.mark.parametrize("value", PLAIN, ids=repr)
def test_plain_values_round_trip_with_their_types(value):
    back = roundtrip(value)
    assert back == value

    def types(v):
        if isinstance(v, (list, tuple)):
            return (type(v), [types(x) for x in v])
        if isinstance(v, dict):
            return (dict, [(types(k), types(x)) for k, x in v.items()])
        return type(v)

    assert types(back) == types(value)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, complex(math.inf, math.nan)], ids=repr)
def test_non_finite_floats_round_trip(value):
    back = roundtrip(value)
    assert type(back) is type(value)
    assert repr(back) == repr(value)


def test_bytearray_arrives_as_bytes():
    assert roundtrip(bytearray(b"abc")) == b"abc"


DTYPES = ["b1", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "f2", "f4", "f8", "c8", "c16"]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 3), (0, 4), (2, 1, 3)])
def test_arrays_round_trip_dtype_and_shape(dtype, shape):
    rng = np.random.default_rng(0)
    arr = np.asarray(rng.standard_normal(shape) * 10).astype(dtype)
    back = roundtrip(arr)
    assert type(back) is np.ndarray
    assert back.dtype == arr.dtype and back.shape == arr.shape
    np.testing.assert_array_equal(back, arr)


@pytest.mark.parametrize("make", [
    lambda a: a.T,
    lambda a: a[:, ::2],
    lambda a: a[::-1],
    lambda a: np.asfortranarray(a),
    lambda a: a.astype(">f8"),
    lambda a: a.astype(">i4"),
], ids=["transposed", "strided", "reversed", "fortran", "big-endian-f8", "big-endian-i4"])
def test_non_contiguous_and_foreign_byte_order_arrays(make):
    arr = make(np.arange(24, dtype=np.float64).reshape(4, 6))
    back = roundtrip(arr)
    np.testing.assert_array_equal(back, arr)
    assert back.shape == arr.shape
    assert back.dtype.isnative and back.dtype.kind == arr.dtype.kind and back.dtype.itemsize == arr.dtype.itemsize


def test_long_double_arrives_as_float64():
    arr = np.array([1.5, -2.25], dtype=np.longdouble)
    back = roundtrip(arr)
    assert back.dtype == np.float64
    np.testing.assert_array_equal(back, [1.5, -2.25])


def test_array_subclass_arrives_as_plain_ndarray():
    class Lying(np.ndarray):
        def __eq__(self, other):  # a student's way to pass every comparison
            return np.ones(self.shape, dtype=bool)

    arr = np.arange(3.0).view(Lying)
    back = roundtrip(arr)
    assert type(back) is np.ndarray
    assert not (back == np.array([9.0, 9.0, 9.0])).any()


@pytest.mark.parametrize("scalar", [np.float32(1.25), np.float64(-3.5), np.int64(-(2**62)), np.uint8(255),
                                    np.bool_(True), np.complex64(1 - 2j), np.float16(0.5), np.longdouble(2.5)],
                         ids=lambda s: type(s).__name__)
def test_numpy_scalars_round_trip_as_numpy_scalars(scalar):
    back = roundtrip(scalar)
    assert isinstance(back, np.generic)
    expected_dtype = np.float64 if scalar.dtype == np.longdouble and np.longdouble != np.float64 else scalar.dtype
    assert back.dtype == expected_dtype
    assert back == scalar


def test_record_and_object_arrays_are_refused():
    with pytest.raises(wire.WireError, match="cannot send"):
        frame(np.zeros(2, dtype=[("a", "f8")]))
    with pytest.raises(wire.WireError, match="cannot send"):
        frame(np.array([object()], dtype=object))
    with pytest.raises(wire.WireError, match="cannot send"):
        frame(np.array(["text"]))


# --------------------------------------------------------------------------- handles


class Thing:
    pass


def test_non_plain_value_without_handle_table_is_refused():
    with pytest.raises(wire.WireError, match="Thing"):
        frame([1, Thing()])


def test_non_plain_values_become_handles_both_ways():
    table: dict[int, object] = {}

    def to_handle(value):
        table[len(table) + 1] = value
        return {"$h": len(table), "ty": wire._type_name(value)}

    thing = Thing()
    data = frame({"x": thing, "f": len}, to_handle)
    seen = []

    def from_handle(tag, hid, ty):
        seen.append((tag, hid, ty))
        return table[hid]

    back = wire.decode_payload(bytearray(data[8:]), from_handle)
    assert back["x"] is thing and back["f"] is len
    assert seen == [("$h", 1, "test_wire.Thing"), ("$h", 2, "builtin_function_or_method")]


@pytest.mark.parametrize("value", [3, 1.0, 1j], ids=repr)
def test_int_and_float_subclasses_are_not_mistaken_for_plain_data(value):
    """A subclass of int, float or complex (an IntEnum, a student's 'float' with a lying __eq__) is not plain data."""
    sub = type("Sub", (type(value),), {"__eq__": lambda self, other: True, "__hash__": lambda self: 0})
    with pytest.raises(wire.WireError, match="Sub"):
        frame(sub(value))


def test_an_object_that_claims_to_be_an_array_is_not_one():
    """``__class__`` may be a property that says ``np.ndarray`` (``isinstance`` believes it); the real
    type decides, so such an object becomes a handle, not an array read through its fake attributes."""
    import torch

    for claimed in (np.ndarray, np.float64, torch.Tensor):
        liar = type("Liar", (), {"__class__": property(lambda self, c=claimed: c)})()
        assert isinstance(liar, claimed)
        with pytest.raises(wire.WireError, match="Liar"):
            frame(liar)


def test_handles_in_a_payload_need_a_handle_table():
    with pytest.raises(wire.WireError, match="handle"):
        wire.decode_payload(payload({"$h": 1, "ty": "x"}))


def test_handle_type_name_is_capped():
    got = []
    wire.decode_payload(payload({"$h": 3, "ty": "A" * 5000}), lambda tag, hid, ty: got.append(ty))
    assert got == ["A" * 200]


# --------------------------------------------------------------------------- torch


def test_torch_tensors_cross_as_arrays_and_back_as_tensors():
    torch = pytest.importorskip("torch")
    t = torch.arange(6, dtype=torch.float32, requires_grad=True).reshape(2, 3) * 2
    back = roundtrip(t)
    assert type(back) is np.ndarray and back.dtype == np.float32
    np.testing.assert_array_equal(back, [[0, 2, 4], [6, 8, 10]])
    again = roundtrip(t, torch_arrays=True)  # the worker's side: a tensor arrives as a tensor
    assert isinstance(again, torch.Tensor) and again.dtype == torch.float32
    assert torch.equal(again, t.detach())
    plain = roundtrip(np.ones(2), torch_arrays=True)
    assert type(plain) is np.ndarray


@pytest.mark.parametrize("make", [
    lambda torch: torch.arange(12.0).reshape(3, 4).T,
    lambda torch: torch.ones(3, dtype=torch.bfloat16),
    lambda torch: torch.tensor([1 + 2j]).conj(),
    lambda torch: -torch.tensor([1 + 2j]).conj(),
    lambda torch: torch.eye(3).to_sparse(),
], ids=["transposed", "bfloat16", "conj", "neg-conj", "sparse"])
def test_unusual_torch_tensors_cross(make):
    torch = pytest.importorskip("torch")
    t = make(torch)
    back = roundtrip(t)
    expected = t.to_dense() if t.layout != torch.strided else t
    expected = expected.resolve_conj().resolve_neg()
    if expected.dtype == torch.bfloat16:
        expected = expected.float()
    np.testing.assert_array_equal(back, expected.numpy())


# --------------------------------------------------------------------------- encoder limits


def nested(depth: int):
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


def test_nesting_limit_on_encode():
    frame(nested(wire.MAX_DEPTH))
    with pytest.raises(wire.WireError, match="deeper"):
        frame(nested(wire.MAX_DEPTH + 1))


@pytest.mark.parametrize("value, match", [
    (2**5000, "integer too large"),
    ("x" * 2000, "string longer"),
    (b"x" * 2000, "larger than"),
    (np.zeros(300), "larger than"),
    ([0.5] * 3000, "header too large"),
], ids=["int", "str", "bytes", "array", "header"])
def test_size_limits_on_encode(value, match):
    with pytest.raises(wire.WireError, match=match):
        frame(value, max_bytes=1000)


def test_node_count_limit_on_encode(monkeypatch):
    monkeypatch.setattr(wire, "MAX_NODES", 100)
    frame(list(range(99)))
    with pytest.raises(wire.WireError, match="more than 100 values"):
        frame(list(range(100)))


def test_too_many_dimensions_on_encode():
    with pytest.raises(wire.WireError, match="dimensions"):
        frame(np.zeros((1,) * (wire.MAX_NDIM + 1)))


# --------------------------------------------------------------------------- hostile payloads

BAD_PAYLOADS = {
    "truncated": bytearray(b"\x00\x00"),
    "header length past the end": bytearray(struct.pack(">I", 100) + b"{}"),
    "header not JSON": bytearray(struct.pack(">I", 5) + b"{not"),
    "header not UTF-8": bytearray(struct.pack(">I", 4) + b"\xff\xfe\xfd\xfc"),
    "header a list": bytearray(struct.pack(">I", 2) + b"[]"),
    "header extra key": bytearray(struct.pack(">I", 22) + b'{"m":1,"b":[],"x":1}  '),
    "header deeply nested JSON": bytearray(struct.pack(">I", 200002) + b"[" * 100001 + b"]" * 100001),
    "object array dtype": payload({"$a": 0, "dt": "|O", "sh": [1]}, [(0, 8)], b"\0" * 8),
    "unicode dtype": payload({"$a": 0, "dt": "<U2", "sh": [1]}, [(0, 8)], b"\0" * 8),
    "void dtype": payload({"$a": 0, "dt": "|V8", "sh": [1]}, [(0, 8)], b"\0" * 8),
    "datetime dtype": payload({"$a": 0, "dt": "<M8[s]", "sh": [1]}, [(0, 8)], b"\0" * 8),
    "record dtype": payload({"$a": 0, "dt": [["a", "<f8"]], "sh": [1]}, [(0, 8)], b"\0" * 8),
    "pickle-ish dtype string": payload({"$a": 0, "dt": "f8 ; import os", "sh": [1]}, [(0, 8)], b"\0" * 8),
    "size mismatch": payload({"$a": 0, "dt": "<f8", "sh": [2]}, [(0, 8)], b"\0" * 8),
    "negative dimension": payload({"$a": 0, "dt": "<f8", "sh": [-1]}, [(0, 8)], b"\0" * 8),
    "float dimension": payload({"$a": 0, "dt": "<f8", "sh": [1.0]}, [(0, 8)], b"\0" * 8),
    "too many dimensions": payload({"$a": 0, "dt": "<f8", "sh": [1] * 33}, [(0, 8)], b"\0" * 8),
    "huge zero-size shape": payload({"$a": 0, "dt": "<f8", "sh": [0, 2**63]}, [(0, 0)]),
    "huger zero-size shape": payload({"$a": 0, "dt": "<f8", "sh": [0, 2**70]}, [(0, 0)]),
    "overflowing zero-size shape": payload({"$a": 0, "dt": "<f8", "sh": [0, 2**62, 2**62]}, [(0, 0)]),
    "huge shape": payload({"$a": 0, "dt": "<f8", "sh": [2**62, 2**62]}, [(0, 8)], b"\0" * 8),
    "buffer index out of range": payload({"$y": 3}, [(0, 1)], b"x"),
    "buffer index not int": payload({"$y": "0"}, [(0, 1)], b"x"),
    "buffer past the end": payload({"$y": 0}, [(0, 100)], b"x"),
    "buffer negative offset": payload({"$y": 0}, [(-1, 1)], b"x"),
    "buffer table entry not a pair": payload({"$y": 0}, [(0, 1, 2)], b"x"),
    "scalar wrong size": payload({"$s": 0, "dt": "<f8"}, [(0, 4)], b"\0" * 4),
    "unknown tag": payload({"$q": 1}),
    "empty object": payload({}),
    "tuple not a list": payload({"$t": 5}),
    "dict entry not a pair": payload({"$d": [[1, 2, 3]]}),
    "unhashable dict key": payload({"$d": [[[1], 2]]}),
    "dict as dict key": payload({"$d": [[{"$d": []}, 2]]}),
    "complex with bools": payload({"$c": [True, 1]}),
    "complex with strings": payload({"$c": ["1", 1]}),
    "complex with one part": payload({"$c": [1]}),
    "bad non-finite float": payload({"$f": "1e999"}),
    "handle id not int": payload({"$h": "1"}),
    "nesting too deep": payload(nested(wire.MAX_DEPTH + 5)),
}


@pytest.mark.parametrize("data", BAD_PAYLOADS.values(), ids=BAD_PAYLOADS.keys())
def test_malformed_payloads_raise_wire_error_only(data):
    with pytest.raises(wire.WireError):
        wire.decode_payload(data, from_handle=lambda tag, hid, ty: object())


def test_node_count_limit_on_decode(monkeypatch):
    monkeypatch.setattr(wire, "MAX_NODES", 50)
    wire.decode_payload(payload(list(range(49))))
    with pytest.raises(wire.WireError):
        wire.decode_payload(payload(list(range(60))))


def test_decoded_array_is_a_copy_free_view_but_independent_of_other_messages():
    """Two messages decoded one after the other do not share memory."""
    a = roundtrip(np.arange(4.0))
    b = roundtrip(np.arange(4.0) + 10)
    a[0] = 99.0  # writable, and writing one does not touch the other
    assert b[0] == 10.0


# --------------------------------------------------------------------------- framing over a pipe


@pytest.fixture
def pipe():
    r, w = os.pipe()
    yield r, w
    for fd in (r, w):
        try:
            os.close(fd)
        except OSError:
            pass


@pytest.mark.parametrize("value", [{"op": "call", "args": [1, 2.5]}, np.arange(600_000, dtype=np.float64)],
                         ids=["small", "larger-than-a-pipe"])
def test_write_frame_and_read_frame_over_a_pipe(pipe, value):
    r, w = pipe
    writer = threading.Thread(target=wire.write_frame, args=(w, wire.encode_message(value)))
    writer.start()
    back = wire.decode_payload(wire.read_frame(r))
    writer.join()
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value


def test_read_frame_refuses_an_oversized_length_before_reading(pipe):
    r, w = pipe
    os.write(w, struct.pack(">Q", 2**40))
    with pytest.raises(wire.WireError, match="exceeds the limit"):
        wire.read_frame(r, max_bytes=1 << 20)


@pytest.mark.parametrize("data", [b"", b"\x00\x00\x00", struct.pack(">Q", 10) + b"abc"],
                         ids=["nothing", "partial length", "partial payload"])
def test_read_frame_raises_eof_on_a_closed_channel(pipe, data):
    r, w = pipe
    os.write(w, data)
    os.close(w)
    with pytest.raises(EOFError):
        wire.read_frame(r)


def test_frame_length_prefix():
    data = frame("hello")
    assert wire.frame_length(data[: wire.PREFIX_SIZE]) == len(data) - wire.PREFIX_SIZE
