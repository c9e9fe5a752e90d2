"""Correct: element-by-element loops with the math module.

The layers walk every index with np.ndindex and loops over the batch; the
numerical gradient walks x.flat; every Value operation (also -, /, and the
reflected ones) is a primitive with its own backward rule, and backward()
sorts the graph with an explicit stack instead of recursion.
"""
import math

import numpy as np


def affine_forward(x, w, b):
    n = x.shape[0]
    xf = x.reshape(n, -1)
    out = np.zeros((n, w.shape[1]))
    for i in range(n):
        for j in range(w.shape[1]):
            out[i, j] = sum(xf[i, k] * w[k, j] for k in range(w.shape[0])) + b[j]
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    n, m = dout.shape
    xf = x.reshape(n, -1)
    d = xf.shape[1]
    dxf = np.zeros((n, d))
    dw = np.zeros((d, m))
    db = np.zeros(m)
    for i in range(n):
        for j in range(m):
            g = dout[i, j]
            db[j] += g
            for k in range(d):
                dxf[i, k] += g * w[k, j]
                dw[k, j] += xf[i, k] * g
    return dxf.reshape(x.shape), dw, db


def relu_forward(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        out[idx] = x[idx] if x[idx] > 0 else 0.0
    return out, x


def relu_backward(dout, cache):
    dx = np.zeros(dout.shape)
    for idx in np.ndindex(dout.shape):
        if cache[idx] > 0:
            dx[idx] = dout[idx]
    return dx


def _sig(v):
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def sigmoid_forward(x):
    out = np.zeros(x.shape)
    for idx in np.ndindex(x.shape):
        out[idx] = _sig(float(x[idx]))
    return out, out


def sigmoid_backward(dout, cache):
    dx = np.zeros(dout.shape)
    for idx in np.ndindex(dout.shape):
        s = cache[idx]
        dx[idx] = dout[idx] * s * (1 - s)
    return dx


def two_layer_net(X, params, y=None, reg=0.0):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z, c1 = affine_forward(X, W1, b1)
    h, c2 = relu_forward(z)
    scores, c3 = affine_forward(h, W2, b2)
    if y is None:
        return scores
    n, c = scores.shape
    loss = 0.0
    dscores = np.zeros((n, c))
    for i in range(n):
        row_max = max(scores[i])
        exps = [math.exp(s - row_max) for s in scores[i]]
        total = sum(exps)
        loss += -(scores[i, y[i]] - row_max - math.log(total))
        for j in range(c):
            dscores[i, j] = (exps[j] / total - (1.0 if j == y[i] else 0.0)) / n
    loss = loss / n
    for W in (W1, W2):
        for idx in np.ndindex(W.shape):
            loss += 0.5 * reg * W[idx] ** 2
    dh, dW2, db2 = affine_backward(dscores, c3)
    dz = relu_backward(dh, c2)
    _, dW1, db1 = affine_backward(dz, c1)
    return loss, {"W1": dW1 + reg * W1, "b1": db1, "W2": dW2 + reg * W2, "b2": db2}


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in range(x.size):
        old = x.flat[i]
        x.flat[i] = old + h
        fp = f(x)
        x.flat[i] = old - h
        fm = f(x)
        x.flat[i] = old
        grad.flat[i] = (fp - fm) / (2 * h)
    return grad


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op

    @staticmethod
    def _wrap(other):
        return other if isinstance(other, Value) else Value(other)

    def __add__(self, other):
        other = self._wrap(other)
        out = Value(self.data + other.data, (self, other), "+")

        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out

    def __radd__(self, other):
        return self._wrap(other) + self

    def __sub__(self, other):
        other = self._wrap(other)
        out = Value(self.data - other.data, (self, other), "-")

        def _backward():
            self.grad += out.grad
            other.grad -= out.grad
        out._backward = _backward
        return out

    def __rsub__(self, other):
        return self._wrap(other) - self

    def __neg__(self):
        out = Value(-self.data, (self,), "neg")

        def _backward():
            self.grad -= out.grad
        out._backward = _backward
        return out

    def __mul__(self, other):
        other = self._wrap(other)
        out = Value(self.data * other.data, (self, other), "*")

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out

    def __rmul__(self, other):
        return self._wrap(other) * self

    def __truediv__(self, other):
        other = self._wrap(other)
        out = Value(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += -self.data / other.data ** 2 * out.grad
        out._backward = _backward
        return out

    def __rtruediv__(self, other):
        return self._wrap(other) / self

    def __pow__(self, n):
        out = Value(self.data ** n, (self,), "**")

        def _backward():
            self.grad += n * self.data ** (n - 1) * out.grad
        out._backward = _backward
        return out

    def exp(self):
        e = math.exp(self.data)
        out = Value(e, (self,), "exp")

        def _backward():
            self.grad += e * out.grad
        out._backward = _backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(0.0, self.data), (self,), "relu")

        def _backward():
            if self.data > 0:
                self.grad += out.grad
        out._backward = _backward
        return out

    def sigmoid(self):
        s = _sig(self.data)
        out = Value(s, (self,), "sigmoid")

        def _backward():
            self.grad += s * (1 - s) * out.grad
        out._backward = _backward
        return out

    def backward(self):
        # iterative post-order depth-first search: a node is appended after all its children
        topo, visited, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                topo.append(node)
                continue
            if node in visited:
                continue
            visited.add(node)
            stack.append((node, True))
            for child in node._prev:
                if child not in visited:
                    stack.append((child, False))
        self.grad = 1.0
        for node in reversed(topo):
            node._backward()
