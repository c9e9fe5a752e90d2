import numpy as np


def softmax(z)
    z = z - np.max(z, axis=-1, keepdims=True)
    return np.exp(z) / np.sum(np.exp(z), axis=-1, keepdims=True)


def log_softmax(z):
    # TODO
    pass
