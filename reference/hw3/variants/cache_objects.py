"""Correct: caches that are dicts and objects, scipy for the numerics.

relu's cache is a dict and sigmoid's an instance of a small class, so the
grader hands them back as remote objects; scipy.special.expit is the sigmoid
and logsumexp/softmax the loss. Value uses __slots__, an integer 0 as the
initial grad, and a backward() with an explicit depth-first stack.
"""
import math

import numpy as np
from scipy.special import expit, log_softmax, softmax


def affine_forward(x, w, b):
    return np.matmul(np.reshape(x, (len(x), -1)), w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    flat = np.reshape(x, (len(x), -1))
    return np.reshape(np.matmul(dout, np.transpose(w)), np.shape(x)), np.matmul(np.transpose(flat), dout), dout.sum(0)


def relu_forward(x):
    return x.clip(min=0), {"x": x}


def relu_backward(dout, cache):
    return np.multiply(dout, np.greater(cache["x"], 0))


class _SigmoidCache:
    def __init__(self, s):
        self.s = s


def sigmoid_forward(x):
    s = expit(x)
    return s, _SigmoidCache(s)


def sigmoid_backward(dout, cache):
    return dout * cache.s * (1 - cache.s)


def two_layer_net(X, params, y=None, reg=0.0):
    z = X @ params["W1"] + params["b1"]
    h = np.maximum(z, 0)
    scores = h @ params["W2"] + params["b2"]
    if y is None:
        return scores
    n = len(X)
    rows = np.arange(n)
    loss = -log_softmax(scores, axis=1)[rows, y].sum() / n
    loss += reg / 2 * sum(np.vdot(params[k], params[k]) for k in ("W1", "W2"))
    ds = softmax(scores, axis=1)
    ds[rows, y] -= 1
    ds /= n
    dh = ds @ params["W2"].T
    dz = dh * (z > 0)
    return loss, {
        "W1": X.T @ dz + reg * params["W1"],
        "b1": dz.sum(axis=0),
        "W2": h.T @ ds + reg * params["W2"],
        "b2": ds.sum(axis=0),
    }


def numerical_gradient(f, x, h=1e-5):
    g = np.zeros(x.shape)
    for i, ix in enumerate(np.ndindex(*x.shape)):
        keep = float(x[ix])
        x[ix] = keep + h
        a = f(x)
        x[ix] = keep - h
        b = f(x)
        x[ix] = keep
        g[ix] = 0.5 * (a - b) / h
    return g


class Value:
    __slots__ = ("data", "grad", "_backward", "_prev")

    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0
        self._backward = None
        self._prev = _children

    def _new(self, data, parents, backward):
        out = Value(data, parents)
        out._backward = lambda: backward(out)
        return out

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def bw(out):
            self.grad += out.grad
            other.grad += out.grad
        return self._new(self.data + other.data, (self, other), bw)

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)

        def bw(out):
            self.grad += out.grad * other.data
            other.grad += out.grad * self.data
        return self._new(self.data * other.data, (self, other), bw)

    def __pow__(self, k):
        def bw(out):
            self.grad += out.grad * k * self.data ** (k - 1)
        return self._new(self.data ** k, (self,), bw)

    def exp(self):
        def bw(out):
            self.grad += out.grad * out.data
        return self._new(math.exp(self.data), (self,), bw)

    def tanh(self):
        def bw(out):
            self.grad += out.grad * (1 - out.data * out.data)
        return self._new(math.tanh(self.data), (self,), bw)

    def relu(self):
        def bw(out):
            self.grad += out.grad if self.data > 0 else 0
        return self._new(max(self.data, 0), (self,), bw)

    def sigmoid(self):
        def bw(out):
            self.grad += out.grad * out.data * (1 - out.data)
        return self._new(float(expit(self.data)), (self,), bw)

    def backward(self):
        order, state, stack = [], {}, [self]
        while stack:
            v = stack[-1]
            if id(v) not in state:
                state[id(v)] = "open"
                stack.extend(c for c in v._prev if id(c) not in state)
            else:
                stack.pop()
                if state[id(v)] == "open":
                    state[id(v)] = "done"
                    order.append(v)
        self.grad = 1
        for v in reversed(order):
            if v._backward is not None:
                v._backward()

    def __neg__(self):
        return self * (-1)

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-1) * other

    def __rsub__(self, other):
        return (-1) * self + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * (other ** -1 if isinstance(other, Value) else 1.0 / other)

    def __rtruediv__(self, other):
        return self ** -1 * other
