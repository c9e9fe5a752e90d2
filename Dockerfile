# The grading image: what the Docker sandbox runs students' code in. It holds
# Python, numpy, torch and grader's worker code (grader/worker, copied to
# /opt/grader/grader_worker), and nothing else of this repository: never
# reference/, tests/, assignments/ or submissions/ (.dockerignore lets only
# grader/worker and build/docker-{certs,wheels} into the build context, and
# tests/docker/test_image.py checks the built image).
#
# Contract with the Docker backend (grader/sandbox/docker.py):
#   python3 on PATH is /opt/venv/bin/python3, the venv with numpy and torch;
#   user student (uid 10001, home /home/student, the working directory);
#   the worker code is importable once /opt/grader is on sys.path
#   (python3 -I ignores PYTHONPATH, so the backend's bootstrap adds it);
#   PYTHONDONTWRITEBYTECODE=1 MPLBACKEND=Agg OMP_NUM_THREADS=1;
#   no ENTRYPOINT: the backend passes its own command.
#
# GPU image (the default: CUDA runtime base, CUDA build of torch from the
# PyTorch index), for hosts with the NVIDIA container toolkit:
#   docker build -t grader-worker:gpu .
# The CUDA base and the PyTorch index must agree with the torch version's
# builds: --build-arg BASE=nvidia/cuda:... --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cuXXX
#
# CPU image, on a machine with no registry (what scripts/docker-setup.sh does):
# a debootstrapped Debian 12 base and the CPU torch wheel from the build context.
#   debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm ROOTFS
#   tar -C ROOTFS -c . | docker import - grader-base:bookworm
#   mkdir -p build/docker-wheels && cp /opt/wheels/torch-2.13.0+cpu-cp311-*.whl build/docker-wheels/
#   DOCKER_BUILDKIT=0 docker build --network host --build-arg BASE=grader-base:bookworm \
#       --build-arg TORCH_SOURCE=wheels -t grader-worker:latest -t grader-worker:cpu .
# Without a wheel, --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cpu
# (and the default TORCH_SOURCE=index) takes the CPU build from the index.
#
# A proxy that intercepts HTTPS: pip fails with CERTIFICATE_VERIFY_FAILED unless
# it trusts the proxy's CA. Put the CA certificates (PEM, *.crt) in the build
# context before building; they are used by the build stage only:
#   mkdir -p build/docker-certs && cp /usr/local/share/ca-certificates/*.crt build/docker-certs/
#
# Works with the legacy builder (DOCKER_BUILDKIT=0, Debian's docker.io 20.10)
# and with BuildKit. The base stage installs Python with apt if it is missing.

ARG BASE=nvidia/cuda:12.8.1-runtime-ubuntu24.04

# --- runtime: the base system, Python and the student user -------------------
FROM ${BASE} AS runtime
ARG DEBIAN_FRONTEND=noninteractive
# an imported root filesystem (grader-base:bookworm) sets no PATH
ENV PATH=${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}
RUN if ! (python3 -m venv /tmp/venv-probe && rm -rf /tmp/venv-probe) >/dev/null 2>&1; then \
        apt-get update \
        && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && useradd --create-home --uid 10001 --user-group --shell /bin/sh student

# --- packages: numpy, scipy, matplotlib and torch in /opt/venv; the worker code in /opt/grader --
# A stage of its own, so that the CA certificates, the wheel and pip's caches
# never reach the final image.
FROM runtime AS packages
# index: torch from TORCH_INDEX (CUDA build by default);
# wheels: the torch wheel in build/docker-wheels (the CPU image)
ARG TORCH_SOURCE=index
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128
ARG NUMPY_SPEC="numpy>=2.4,<3"
# What students may import besides numpy and torch. scripts/docker-setup.sh passes
# `grader env requirements`: the versions the bubblewrap sandbox's worker environments have
# (grader/workerenv.py), so a submission must not lose points for the backend it is graded on.
ARG STUDENT_PACKAGES="scipy>=1.11 matplotlib>=3.8 scikit-learn>=1.3 pandas>=2.1"
# build/ holds only docker-certs/*.crt and docker-wheels/*.whl (.dockerignore).
# "buil[d]" is a wildcard and the worker's __init__.py always exists, so this
# COPY also works without build/, with the legacy builder and with BuildKit.
COPY grader/worker/__init__.py buil[d] /tmp/build-extras/
ENV PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
RUN set -eu; \
    case "${TORCH_SOURCE}" in \
        index) ;; \
        wheels) wheel=$(ls /tmp/build-extras/docker-wheels/torch-"${TORCH_VERSION}"+*.whl 2>/dev/null | head -n 1); \
                [ -n "$wheel" ] || { echo "TORCH_SOURCE=wheels: no torch-${TORCH_VERSION}+*.whl in build/docker-wheels" >&2; exit 1; } ;; \
        *) echo "TORCH_SOURCE must be index or wheels, not ${TORCH_SOURCE}" >&2; exit 1 ;; \
    esac; \
    if ls /tmp/build-extras/docker-certs/*.crt >/dev/null 2>&1; then \
        cp /tmp/build-extras/docker-certs/*.crt /usr/local/share/ca-certificates/; \
    fi; \
    update-ca-certificates; \
    python3 -m venv /opt/venv; \
    /opt/venv/bin/pip install "${NUMPY_SPEC}" ${STUDENT_PACKAGES}; \
    if [ "${TORCH_SOURCE}" = wheels ]; then \
        /opt/venv/bin/pip install "$wheel"; \
    else \
        /opt/venv/bin/pip install "torch==${TORCH_VERSION}" \
            --index-url "${TORCH_INDEX}" --extra-index-url https://pypi.org/simple; \
    fi; \
    /opt/venv/bin/python -c "import numpy, scipy, matplotlib, torch; print('numpy', numpy.__version__, 'scipy', scipy.__version__, 'torch', torch.__version__)"
COPY grader/worker /opt/grader/grader_worker
RUN chmod -R u=rwX,go=rX /opt/grader

# --- the grading image ---------------------------------------------------------
FROM runtime
COPY --from=packages /opt/venv /opt/venv
COPY --from=packages /opt/grader /opt/grader
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    MPLBACKEND=Agg \
    OMP_NUM_THREADS=1
USER student
WORKDIR /home/student
CMD ["python3"]
