#!/usr/bin/env bash
# Installs grader on a fresh Debian/Ubuntu machine: the sandbox's system
# packages, then a virtual environment in .venv with the CPU build of torch.
set -euo pipefail
cd "$(dirname "$0")"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# bubblewrap: the sandbox; util-linux: setpriv and prlimit; python3-venv: the virtual environment
$SUDO apt-get install -y --no-install-recommends bubblewrap util-linux python3 python3-venv python3-pip
python3 -m venv .venv
# torch is pinned to its CPU build, from PyTorch's CPU index: on Linux, PyPI's torch==2.13.0
# is the CUDA build, which pulls several GB of nvidia-* wheels and triton. The "+cpu" release
# exists only on that index (here a local wheel cache may serve it instead).
.venv/bin/pip install "torch==2.13.0+cpu" --extra-index-url https://download.pytorch.org/whl/cpu
# cluster: Dask, for `grader grade --cluster` (docs/cluster.md); every grading machine, client or
# worker, runs this script, so they all get the same Dask
.venv/bin/pip install -e ".[instructor,dev,cluster]"
# The worker environments: the Python student code runs with under bubblewrap when grading,
# with only the packages the assignments declare (see grader/workerenv.py)
.venv/bin/grader env build
echo "installed: $(.venv/bin/grader --version)"
