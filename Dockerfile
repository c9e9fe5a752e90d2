# The grading image: only what the sandboxed worker needs (Python, numpy,
# torch and grader's worker code). It never contains reference/ or hidden tests.
#
# Placeholder until the Docker backend lands (issue 4): the grader does not use
# it yet. Build a CPU image with:
#   docker build --build-arg BASE=python:3.11-slim --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cpu -t grader-worker .
ARG BASE=nvidia/cuda:12.4.1-runtime-ubuntu22.04
FROM ${BASE}
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu124
RUN (command -v python3 >/dev/null || (apt-get update && apt-get install -y --no-install-recommends python3 python3-pip)) \
    && python3 -m pip install --no-cache-dir numpy "torch==2.13.0" --index-url "${TORCH_INDEX}" --extra-index-url https://pypi.org/simple \
    && useradd --create-home --uid 10001 student
COPY grader/worker /opt/grader/grader_worker
USER student
WORKDIR /home/student
ENV PYTHONDONTWRITEBYTECODE=1 OMP_NUM_THREADS=1 MPLBACKEND=Agg
ENTRYPOINT ["python3", "-I", "-c", "import sys; sys.path[:0]=['/opt/grader']; from grader_worker.server import main; main()"]
