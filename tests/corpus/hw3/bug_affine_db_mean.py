"""Corpus: affine_backward with db the mean of dout over the batch instead of its sum.

Written independently for this corpus, in the style of ok_loops_iterative.py (the same student code with this one realistic mistake).
Corpus-expect: wrong=affine_backward
"""
import math

import numpy as np


def affine_forward(x, w, b):
    n = x.shape[0]
    xf = np.reshape(x, (n, -1))
    out = np.zeros((n, w.shape[1]))
    for i in range(n):
        out[i] = xf[i] @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n = x.shape[0]
    xf = np.reshape(x, (n, -1))
    dxf = np.zeros(xf.shape)
    dw = np.zeros(w.shape)
    db = np.zeros(w.shape[1])
    for i in range(n):
        dxf[i] = w @ dout[i]
        dw += np.outer(xf[i], dout[i])
        db += dout[i]
    return dxf.reshape(x.shape), dw, db / n


def relu_forward(x):
    x = np.array(x, dtype=float)
    out = x.copy()
    for ix in np.ndindex(out.shape):
        if out[ix] < 0:
            out[ix] = 0.0
    return out, x


def relu_backward(dout, cache):
    dx = np.zeros(np.shape(dout))
    for ix in np.ndindex(dx.shape):
        if cache[ix] > 0:
            dx[ix] = dout[ix]
    return dx


def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid_forward(x):
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for ix in np.ndindex(x.shape):
        out[ix] = _sig(x[ix])
    return out, x  # the input is cached; backward recomputes sigma(x)


def sigmoid_backward(dout, cache):
    dx = np.zeros(np.shape(dout))
    for ix in np.ndindex(dx.shape):
        s = _sig(cache[ix])
        dx[ix] = dout[ix] * s * (1.0 - s)
    return dx


def two_layer_net(X, params, y=None, reg=0.0):
    W1, b1, W2, b2 = (params[k] for k in ("W1", "b1", "W2", "b2"))
    z = X @ W1 + b1
    hidden = np.maximum(z, 0)
    scores = hidden @ W2 + b2
    if y is None:
        return scores
    n = len(y)
    loss = 0.0
    dscores = np.zeros(scores.shape)
    for i in range(n):
        row = scores[i] - scores[i].max()
        lse = math.log(np.exp(row).sum())
        loss += lse - row[y[i]]
        dscores[i] = np.exp(row - lse)
        dscores[i, y[i]] -= 1.0
    loss = loss / n + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))
    dscores /= n
    dhidden = dscores @ W2.T
    dz = dhidden * (z > 0)
    return loss, {"W1": X.T @ dz + reg * W1, "b1": dz.sum(axis=0),
                  "W2": hidden.T @ dscores + reg * W2, "b2": dscores.sum(axis=0)}


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    flat = x.reshape(-1)  # a view: writing into it moves x itself
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        keep = flat[i]
        flat[i] = keep + h
        up = f(x)
        flat[i] = keep - h
        down = f(x)
        flat[i] = keep
        gflat[i] = (up - down) / (2.0 * h)
    return grad


def _link(out, *pairs):
    """out._backward adds out.grad * d(out)/d(child) to each child; pairs are (child, derivative function)."""
    def _backward():
        for child, local in pairs:
            child.grad += local() * out.grad
    out._backward = _backward
    return out


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    @staticmethod
    def _wrap(v):
        return v if isinstance(v, Value) else Value(v)

    def __add__(self, other):
        other = Value._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")
        return _link(out, (self, lambda: 1.0), (other, lambda: 1.0))

    def __mul__(self, other):
        other = Value._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")
        return _link(out, (self, lambda: other.data), (other, lambda: self.data))

    def __pow__(self, k):
        out = Value(self.data ** k, (self,), "pow")
        return _link(out, (self, lambda: k * self.data ** (k - 1)))

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")
        return _link(out, (self, lambda: out.data))

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")
        return _link(out, (self, lambda: 1.0 - out.data ** 2))

    def relu(self):
        out = Value(max(0.0, self.data), (self,), "relu")
        return _link(out, (self, lambda: 1.0 if self.data > 0 else 0.0))

    def sigmoid(self):
        out = Value(_sig(self.data), (self,), "sigmoid")
        return _link(out, (self, lambda: out.data * (1.0 - out.data)))

    def backward(self):
        order, seen = [], set()
        stack = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for child in node._prev:
                if id(child) not in seen:
                    stack.append((child, False))
        self.grad = 1.0
        for node in reversed(order):
            node._backward()

    def __neg__(self):
        return self * -1.0

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-Value._wrap(other))

    def __rsub__(self, other):
        return Value._wrap(other) + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * Value._wrap(other) ** -1

    def __rtruediv__(self, other):
        return Value._wrap(other) * self ** -1
