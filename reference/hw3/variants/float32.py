"""Correct: every layer and the network compute in float32.

Inputs are cast to float32 and the results come back as float32 arrays: the
tolerances must accept float32 rounding (relative error ~1e-7). The gradient
check stays in float64, where centred differences are accurate.
"""
import math

import numpy as np

F = np.float32


def affine_forward(x, w, b):
    x32 = x.astype(F)
    return x32.reshape(x.shape[0], -1) @ w.astype(F) + b.astype(F), (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dout = dout.astype(F)
    x2 = x.astype(F).reshape(x.shape[0], -1)
    dx = (dout @ w.astype(F).T).reshape(x.shape)
    dw = x2.T @ dout
    db = np.sum(dout, axis=0)
    return dx, dw, db


def relu_forward(x):
    x = x.astype(F)
    return np.maximum(x, F(0)), x


def relu_backward(dout, cache):
    return dout.astype(F) * (cache > 0).astype(F)


def sigmoid_forward(x):
    x = x.astype(F)
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, F(1) / (F(1) + e), e / (F(1) + e)).astype(F)
    return s, s


def sigmoid_backward(dout, cache):
    return dout.astype(F) * cache * (F(1) - cache)


def two_layer_net(X, params, y=None, reg=0.0):
    W1, b1, W2, b2 = (params[k].astype(F) for k in ("W1", "b1", "W2", "b2"))
    z, c1 = affine_forward(X.astype(F), W1, b1)
    h, c2 = relu_forward(z)
    scores, c3 = affine_forward(h, W2, b2)
    if y is None:
        return scores
    n = X.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    logsum = np.log(np.exp(shifted).sum(axis=1))
    loss = float(np.mean(logsum - shifted[np.arange(n), y]))
    loss += 0.5 * reg * float(np.sum(W1 * W1) + np.sum(W2 * W2))
    probs = np.exp(shifted - logsum[:, None])
    probs[np.arange(n), y] -= 1
    dscores = (probs / n).astype(F)
    dh, dW2, db2 = affine_backward(dscores, c3)
    dz = relu_backward(dh, c2)
    _, dW1, db1 = affine_backward(dz, c1)
    r = F(reg)
    return loss, {"W1": dW1 + r * W1, "b1": db1, "W2": dW2 + r * W2, "b2": db2}


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        it.iternext()
    return grad


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data ** k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,))

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            self.grad += (1 - out.data ** 2) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(self.data if self.data > 0 else 0.0, (self,))

        def _backward():
            self.grad += (1.0 if out.data > 0 else 0.0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        x = self.data
        s = 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))
        out = Value(s, (self,))

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        topo, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for c in v._prev:
                    visit(c)
                topo.append(v)
        visit(self)
        self.grad = 1.0
        for v in topo[::-1]:
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return other * self ** -1
