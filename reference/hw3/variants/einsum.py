"""Correct: np.einsum for every product and sum, caches of other kinds.

relu caches a boolean mask, sigmoid caches x and recomputes sigma(x) in the
backward pass; the loss uses a log-sum-exp written with einsum. Value keeps
its inputs in a tuple (duplicates included: a + a has _prev (a, a)) and sorts
by node id.
"""
import math

import numpy as np


def affine_forward(x, w, b):
    return np.einsum("nd,dm->nm", x.reshape(x.shape[0], -1), w) + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    xf = x.reshape(x.shape[0], -1)
    dx = np.einsum("nm,dm->nd", dout, w).reshape(x.shape)
    dw = np.einsum("nd,nm->dm", xf, dout)
    db = np.einsum("nm->m", dout)
    return dx, dw, db


def relu_forward(x):
    mask = x > 0
    return np.where(mask, x, 0.0), mask


def relu_backward(dout, cache):
    return np.where(cache, dout, 0.0)


def _sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))  # 1 / (1 + e^-x) = exp(-log(1 + e^-x)), never overflows


def sigmoid_forward(x):
    return _sigmoid(x), x


def sigmoid_backward(dout, cache):
    s = _sigmoid(cache)
    return np.einsum("...,...->...", dout, s * (1.0 - s))


def two_layer_net(X, params, y=None, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    hidden, c1 = affine_forward(X, W1, b1)
    hidden, c2 = relu_forward(hidden)
    scores, c3 = affine_forward(hidden, W2, b2)
    if y is None:
        return scores
    n = scores.shape[0]
    onehot = np.eye(scores.shape[1])[y]
    m = scores.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.einsum("nc->n", np.exp(scores - m)))
    correct = np.einsum("nc,nc->n", scores, onehot)
    penalty = 0.5 * reg * (np.einsum("ij,ij->", W1, W1) + np.einsum("ij,ij->", W2, W2))
    loss = np.einsum("n->", lse - correct) / n + penalty
    dscores = (np.exp(scores - lse[:, None]) - onehot) / n
    dh, dW2, db2 = affine_backward(dscores, c3)
    _, dW1, db1 = affine_backward(relu_backward(dh, c2), c1)
    return float(loss), {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}


def numerical_gradient(f, x, h=1e-5):
    grad = np.empty(x.shape)
    for ix in np.ndindex(x.shape):
        saved = x[ix]
        x[ix] = saved + h
        up = f(x)
        x[ix] = saved - h
        down = f(x)
        x[ix] = saved
        grad[ix] = (up - down) / (h + h)
    return grad


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0
        self._backward = lambda: None
        self._prev = tuple(_children)
        self._op = _op

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __pow__(self, other):
        assert isinstance(other, (int, float)), "only int/float powers"
        out = Value(self.data ** other, (self,), f"**{other}")

        def _backward():
            self.grad += (other * self.data ** (other - 1)) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,), "tanh")

        def _backward():
            self.grad += (1 - out.data * out.data) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(0 if self.data < 0 else self.data, (self,), "ReLU")

        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        out = Value(0.5 * (1 + math.tanh(0.5 * self.data)), (self,), "sigmoid")

        def _backward():
            self.grad += out.data * (1 - out.data) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        order, done = [], set()

        def build(v):
            if id(v) in done:
                return
            done.add(id(v))
            for child in v._prev:
                build(child)
            order.append(v)
        build(self)
        self.grad = 1
        for v in reversed(order):
            v._backward()

    def __neg__(self):
        return self * -1

    def __radd__(self, other):
        return self + other

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return (-self) + other

    def __rmul__(self, other):
        return self * other

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return self**-1 * other

    def __repr__(self):
        return f"Value(data={self.data}, grad={self.grad})"
