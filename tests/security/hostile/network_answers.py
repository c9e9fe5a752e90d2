"""Network: fetch the answers from a service on the grading host.

Attack: the test runs a TCP server on the grading host (on all interfaces,
so also on 127.0.0.1) that hands the reference solution's source to anyone
who connects, plus a UDP listener and an abstract unix socket. At import the
module tries all of them: TCP to 127.0.0.1, ``localhost``, ``::1`` and the
host's own address on the given port, every port listed in ``/proc/net/tcp``,
UDP to the same port, the abstract unix socket, and a DNS lookup and HTTP
connection to the internet. Whatever source it receives it executes and
submits as its own; otherwise functions return a wrong constant (12345.678).

Success would look like: any points, or the test's server recording any
connection, datagram or unix-socket client.
Backends: bwrap, docker
Unisolated: not promised; the subprocess backend shares the host's network namespace
"""

import socket

import numpy as np

W = 12345.678
PORT = int("@@PORT@@")
HOST_IP = "@@HOST_IP@@"
UNIX = "@@UNIX@@"
reached = []


def _listening_ports():
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                for line in f.readlines()[1:]:
                    parts = line.split()
                    if parts[3] == "0A":  # LISTEN
                        ports.add(int(parts[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


def _tcp(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect((host, port))
            reached.append(f"tcp {host}:{port}")
            s.sendall(b"GIVE ANSWERS\n")
            chunks = []
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
            return b"".join(chunks).decode(errors="replace")
    except OSError as exc:
        print(f"tcp {host}:{port}: {exc}")
        return ""


source = ""
for host in ("127.0.0.1", "localhost", "::1", HOST_IP):
    for port in {PORT, *_listening_ports()}:
        source = source or _tcp(host, port)
try:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.sendto(b"GIVE ANSWERS", ("127.0.0.1", PORT))
        reached.append("udp sent")
except OSError as exc:
    print("udp:", exc)
try:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as x:
        x.settimeout(1.0)
        x.connect("\0" + UNIX)
        reached.append("unix")
        x.sendall(b"GIVE ANSWERS\n")
        source = source or x.recv(1 << 20).decode(errors="replace")
except OSError as exc:
    print("unix:", exc)
try:
    addr = socket.getaddrinfo("pypi.org", 443)[0][4]
    with socket.create_connection(addr[:2], timeout=1.0):
        reached.append("internet")
except OSError as exc:
    print("internet:", exc)
print("reached:", reached)

if "def mlp_forward" in source:
    namespace = {"__name__": "from_the_network"}
    exec(compile(source, "from_the_network", "exec"), namespace)
    globals().update({k: v for k, v in namespace.items() if callable(v) and not k.startswith("_")})
else:

    def _w(shape):
        return np.full(shape, W)

    def sigmoid(z):
        return _w(np.shape(z))

    def sigmoid_grad(z):
        return _w(np.shape(z))

    def tanh(z):
        return _w(np.shape(z))

    def tanh_grad(z):
        return _w(np.shape(z))

    def relu(z):
        return _w(np.shape(z))

    def relu_grad(z):
        return _w(np.shape(z))

    def leaky_relu(z, alpha=0.01):
        return _w(np.shape(z))

    def leaky_relu_grad(z, alpha=0.01):
        return _w(np.shape(z))

    def neuron(x, w, b, activation="sigmoid"):
        return _w(np.shape(x)[:-1])

    def affine_forward(x, w, b):
        return _w((np.shape(x)[0], np.shape(w)[1])), None

    def mlp_forward(x, params, activation="relu"):
        return _w((np.shape(x)[0], np.shape(params[-1][0])[1]))
