"""HW3, Kai: everything on top of PyTorch tensors (autograd for the network)."""
import math

import numpy as np
import torch

torch.set_default_dtype(torch.float64)


def affine_forward(x, w, b):
    x = torch.as_tensor(x)
    return x.flatten(1) @ torch.as_tensor(w) + torch.as_tensor(b), (x, w, b)


def affine_backward(dout, cache):
    x, w, b = (torch.as_tensor(v) for v in cache)
    dout = torch.as_tensor(dout)
    return (dout @ w.T).view(x.shape), x.flatten(1).T @ dout, dout.sum(0)


def relu_forward(x):
    x = torch.as_tensor(x)
    return x.clamp(min=0), x


def relu_backward(dout, cache):
    return torch.as_tensor(dout) * (torch.as_tensor(cache) > 0)


def sigmoid_forward(x):
    s = torch.sigmoid(torch.as_tensor(x))
    return s, s


def sigmoid_backward(dout, cache):
    s = torch.as_tensor(cache)
    return torch.as_tensor(dout) * s * (1 - s)


def two_layer_net(X, params, y=None, reg=0.0):
    p = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    scores = torch.relu(torch.as_tensor(X) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    if y is None:
        return scores.detach().numpy()
    loss = torch.nn.functional.cross_entropy(scores, torch.as_tensor(y).long())
    loss = loss + 0.5 * reg * (p["W1"].pow(2).sum() + p["W2"].pow(2).sum())
    loss.backward()
    return loss.item(), {k: t.grad.numpy() for k, t in p.items()}


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    flat = x.reshape(-1)  # a view: changing it changes x
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + h
        plus = f(x)
        flat[i] = old - h
        minus = f(x)
        flat[i] = old
        grad.reshape(-1)[i] = (plus - minus) / (2 * h)
    return grad


class Value:
    def __init__(self, data, _children=(), _op=""):
        self.data, self.grad = data, 0.0
        self._backward, self._prev, self._op = (lambda: None), set(_children), _op

    def _unary(self, data, local):
        out = Value(data, (self,))

        def _backward():
            self.grad += local(out) * out.grad
        out._backward = _backward
        return out

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

    def __pow__(self, n):
        return self._unary(self.data ** n, lambda out: n * self.data ** (n - 1))

    def exp(self):
        return self._unary(math.exp(self.data), lambda out: out.data)

    def tanh(self):
        return self._unary(math.tanh(self.data), lambda out: 1 - out.data ** 2)

    def relu(self):
        return self._unary(max(0.0, self.data), lambda out: float(self.data > 0))

    def sigmoid(self):
        return self._unary(torch.sigmoid(torch.tensor(self.data)).item(), lambda out: out.data * (1 - out.data))

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v in seen:
                return
            seen.add(v)
            for c in v._prev:
                visit(c)
            order.append(v)
        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return -self + other

    def __truediv__(self, other):
        return self * other ** -1

    def __rtruediv__(self, other):
        return self ** -1 * other
