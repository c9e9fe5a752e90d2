"""Corpus: Value.__rsub__ computing self - other (1 - a gives a - 1).

Written independently for this corpus, in the style of ok_einsum_tape.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=Value.ops,Value
"""
import math

import numpy as np


def affine_forward(x, w, b):
    xf = x.reshape(len(x), -1)
    return np.einsum("nd,dm->nm", xf, w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    xf = x.reshape(len(x), -1)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", xf, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def relu_forward(x):
    return np.where(x > 0, x, 0.0), x > 0


def relu_backward(dout, cache):
    return np.where(cache, dout, 0.0)


def sigmoid_forward(x):
    x = np.asarray(x, dtype=float)
    out = 0.5 * (1.0 + np.tanh(0.5 * x))  # the same function, never overflows
    return out, out


def sigmoid_backward(dout, cache):
    return np.einsum("...,...->...", dout, cache * (1.0 - cache))


def two_layer_net(X, params, y=None, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z = np.einsum("nd,dh->nh", X, W1) + b1
    a = np.maximum(z, 0.0)
    s = np.einsum("nh,hc->nc", a, W2) + b2
    if y is None:
        return s
    n, c = s.shape
    Y = np.eye(c)[y]
    ls = s - s.max(axis=1, keepdims=True)
    ls = ls - np.log(np.exp(ls).sum(axis=1, keepdims=True))
    loss = -np.einsum("nc,nc->", Y, ls) / n + 0.5 * reg * (np.einsum("ij,ij->", W1, W1) + np.einsum("ij,ij->", W2, W2))
    ds = (np.exp(ls) - Y) / n
    da = np.einsum("nc,hc->nh", ds, W2)
    dz = da * (z > 0)
    grads = {
        "W1": np.einsum("nd,nh->dh", X, dz) + reg * W1,
        "b1": dz.sum(0),
        "W2": np.einsum("nh,nc->hc", a, ds) + reg * W2,
        "b2": ds.sum(0),
    }
    return float(loss), grads


def numerical_gradient(f, x, h=1e-5):
    g = np.zeros(x.shape)
    for ix in np.ndindex(*x.shape):
        v = x[ix]
        x[ix] = v + h
        a = f(x)
        x[ix] = v - h
        b = f(x)
        x[ix] = v
        g[ix] = (a - b) / (2 * h)
    return g


class Value:
    def __init__(self, data, parents=()):
        self.data = data
        self.grad = 0.0
        self.parents = tuple(parents)  # (Value, local derivative)

    @staticmethod
    def lift(v):
        return v if isinstance(v, Value) else Value(v)

    def __add__(self, other):
        other = Value.lift(other)
        return Value(self.data + other.data, ((self, 1.0), (other, 1.0)))

    def __mul__(self, other):
        other = Value.lift(other)
        return Value(self.data * other.data, ((self, other.data), (other, self.data)))

    def __pow__(self, k):
        return Value(self.data ** k, ((self, k * self.data ** (k - 1)),))

    def exp(self):
        e = math.exp(self.data)
        return Value(e, ((self, e),))

    def tanh(self):
        t = math.tanh(self.data)
        return Value(t, ((self, 1 - t * t),))

    def relu(self):
        return Value(self.data if self.data > 0 else 0.0, ((self, 1.0 if self.data > 0 else 0.0),))

    def sigmoid(self):
        s = 0.5 * (1.0 + math.tanh(0.5 * self.data))
        return Value(s, ((self, s * (1 - s)),))

    def backward(self):
        order, done = [], set()

        def visit(v):
            if id(v) in done:
                return
            done.add(id(v))
            for p, _ in v.parents:
                visit(p)
            order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            for p, d in v.parents:
                p.grad += d * v.grad

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return self + (-other)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value.lift(other) ** -1

    def __rtruediv__(self, other):
        return other * self ** -1
