#!/usr/bin/env bash
# GPU check: build the CUDA grading image, grade the Iris lab and hw5 with
# --sandbox docker --gpus all, and print the device each result ran on and the
# per-submission time. Run on a host with an NVIDIA GPU, the NVIDIA container
# toolkit and access to a registry and the PyTorch index (the CUDA base image
# and torch's CUDA build come from there), from the repository root, after
# ./install.sh:
#
#   bench/gpu_check.sh                  # build grader-worker:gpu, then grade
#   SKIP_BUILD=1 bench/gpu_check.sh     # the image is built already
#
# Settings (environment):
#   IMAGE        the image to build and grade with (default grader-worker:gpu)
#   CUDA_BASE    the CUDA runtime base (default: the Dockerfile's BASE)
#   TORCH_INDEX  the PyTorch index matching CUDA_BASE (default: the Dockerfile's)
#   JOBS         grading slots (default 2: two workers share each GPU when there is one)
#   DRY_RUN=1    no GPU: grade with IMAGE (e.g. grader-worker:latest) and without --gpus,
#                to try this script itself on a CPU host
#
# What to expect: every result's backend is docker; the submission added here
# that puts a tensor on CUDA (gpu_probe) has device "cuda:N (<GPU name>)"; the
# others' devices are what their code used; the scores equal a CPU run's
# (printed side by side, from --sandbox docker on the same image without --gpus).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-grader-worker:gpu}
JOBS=${JOBS:-2}
GRADER=$PWD/.venv/bin/grader
DRY_RUN=${DRY_RUN:-}
say() { echo "gpu_check: $*"; }

[ -x "$GRADER" ] || { say "run ./install.sh first"; exit 2; }
if [ -z "$DRY_RUN" ]; then
    command -v nvidia-smi >/dev/null || { say "no nvidia-smi: not a GPU host (DRY_RUN=1 tries the script without one)"; exit 2; }
    nvidia-smi -L
fi

if [ -z "${SKIP_BUILD:-}" ] && [ -z "$DRY_RUN" ]; then
    args=(--build-arg "NUMPY_SPEC=numpy==$(.venv/bin/python -c 'import numpy; print(numpy.__version__)')")
    [ -n "${CUDA_BASE:-}" ] && args+=(--build-arg "BASE=$CUDA_BASE")
    [ -n "${TORCH_INDEX:-}" ] && args+=(--build-arg "TORCH_INDEX=$TORCH_INDEX")
    extras=$($GRADER env requirements | grep -v -E '^(numpy|torch)([^a-z0-9_-]|$)' | tr '\n' ' ')
    args+=(--build-arg "STUDENT_PACKAGES=${extras% }")
    t0=$(date +%s)
    docker build "${args[@]}" -t "$IMAGE" .
    say "image built in $(( $(date +%s) - t0 )) s"
fi
gpu_flag=(--gpus all); [ -n "$DRY_RUN" ] && gpu_flag=()
docker run --rm "${gpu_flag[@]}" "$IMAGE" python3 -c \
    "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.device_count())"

# a throwaway copy of the course, with one submission per assignment that really uses the GPU
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r assignments reference submissions "$work"/
for hw in hw5 lab-iris; do
    probe="$work/submissions/$hw/gpu_probe"
    mkdir -p "$probe"
    for src in reference/$hw/*.py; do break; done  # the reference solution (a module)
    { cat "$src"; echo 'import torch as _t; _PROBE = _t.zeros(1, device="cuda" if _t.cuda.is_available() else "cpu")'
    } > "$probe/$(basename "$src")"
done

summarise() {  # a --json result list -> one line per submission
    .venv/bin/python - "$1" <<'PY'
import json
import statistics
import sys

rows = json.load(open(sys.argv[1]))
for r in rows:
    device = r.get("device") or "?"
    wall = r.get("wall_time_s") or 0.0
    print(f"  {r['student']:14s} {r['status']:9s} {r['score']:6.1f}/{r['max_score']:<6.1f} {device:28s} {wall:7.2f} s")
times = [r["wall_time_s"] for r in rows if r.get("wall_time_s")]
if times:
    print(f"  median per submission {statistics.median(times):.2f} s over {len(times)}")
PY
}

for hw in lab-iris hw5; do
    for mode in gpu cpu; do
        gpus=(); [ "$mode" = gpu ] && gpus=("${gpu_flag[@]}")
        t0=$(date +%s.%N)
        (cd "$work" && "$GRADER" grade "$hw" --sandbox docker --image "$IMAGE" "${gpus[@]}" \
            --jobs "$JOBS" --force --db "$work/$mode.db" --json > "$work/$hw-$mode.json")
        wall=$(.venv/bin/python -c "import time; print(f'{time.time() - $t0:.1f}')")
        say "$hw, $mode: batch wall time $wall s"
        summarise "$work/$hw-$mode.json"
    done
done
docker ps -a --filter label=grader=worker --format '{{.Names}}' | grep . && say "leftover worker containers" || true
