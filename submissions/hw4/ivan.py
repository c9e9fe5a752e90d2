import numpy as np


def sgd(w, dw, config=None)
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    raise NotImplementedError
