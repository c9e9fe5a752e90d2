#!/usr/bin/env bash
# Makes the Docker sandbox usable on a Debian 12 machine with no image registry:
#   1. installs docker.io and debootstrap (if missing);
#   2. starts dockerd in the background (if no engine answers on the socket);
#   3. builds the base image grader-base:bookworm with debootstrap (if missing);
#   4. builds the CPU grading image grader-worker:latest (also tagged
#      grader-worker:cpu) from ./Dockerfile, with the torch wheel from
#      /opt/wheels and the machine's extra CA certificates.
# Idempotent: a second run only rebuilds the grading image from Docker's cache,
# so that it always holds the checkout's grader/worker. Run as root.
#
# Settings (environment):
#   DOCKERD_LOG          dockerd's log file (default /var/log/dockerd.log)
#   DOCKERD_WAIT_S       how long to wait for a starting engine (default 60)
#   GRADER_WHEELS_DIR    where the CPU torch wheel lies (default /opt/wheels);
#                        without it, torch comes from the PyTorch CPU index
#   GRADER_DEBIAN_MIRROR the Debian mirror for debootstrap (default: the one apt uses)
set -euo pipefail
cd "$(dirname "$0")/.."

SOCK=/var/run/docker.sock
DOCKERD_LOG=${DOCKERD_LOG:-/var/log/dockerd.log}
DOCKERD_WAIT_S=${DOCKERD_WAIT_S:-60}
BASE_IMAGE=grader-base:bookworm
IMAGE=grader-worker
TORCH_VERSION=2.13.0
TORCH_WHEEL="torch-${TORCH_VERSION}+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEELS_DIR=${GRADER_WHEELS_DIR:-/opt/wheels}
CONTEXT_CERTS=build/docker-certs
CONTEXT_WHEELS=build/docker-wheels
export DEBIAN_FRONTEND=noninteractive

say() { echo "docker-setup: $*"; }
die() { echo "docker-setup: error: $*" >&2; exit 1; }

# step NAME COMMAND...: runs COMMAND and prints how long it took
step() {
    local name=$1 t0=${EPOCHREALTIME/./}
    shift
    "$@"
    local us=$(( ${EPOCHREALTIME/./} - t0 ))
    printf 'docker-setup: %-22s %4d.%01d s\n' "$name" $(( us / 1000000 )) $(( us / 100000 % 10 ))
}

[ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts dockerd)"

install_packages() {
    if command -v dockerd >/dev/null && command -v debootstrap >/dev/null; then
        say "docker.io and debootstrap already installed"
        return
    fi
    apt-get update
    apt-get install -y --no-install-recommends docker.io debootstrap
}

engine_answers() { docker info >/dev/null 2>&1; }

start_engine() {
    if engine_answers; then
        say "an engine already answers on $SOCK"
        return
    fi
    # cgroupfs: there is no systemd here. No bridge, no iptables: the host's
    # network stays as it is; grading containers run with --network none and
    # builds with --network host.
    say "starting dockerd (log: $DOCKERD_LOG)"
    setsid nohup dockerd \
        --host "unix://$SOCK" \
        --exec-opt native.cgroupdriver=cgroupfs \
        --bridge=none --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false \
        >>"$DOCKERD_LOG" 2>&1 </dev/null &
    local deadline=$(( SECONDS + DOCKERD_WAIT_S ))
    until engine_answers; do
        if (( SECONDS >= deadline )); then
            tail -n 20 "$DOCKERD_LOG" >&2 || true
            die "dockerd did not answer on $SOCK within ${DOCKERD_WAIT_S}s (log: $DOCKERD_LOG)"
        fi
        sleep 0.2
    done
}

# The first Debian mirror that apt uses for bookworm (one-line or deb822 sources).
debian_mirror() {
    local files=() f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && files+=("$f")
    done
    awk '
        /^[[:space:]]*deb[[:space:]]/ {                     # deb [opts] URI SUITE COMPONENTS
            sub(/\[[^]]*\]/, "")
            if ($3 == "bookworm") { print $2; exit }
        }
        /^URIs:/ { uri = $2 }                               # deb822 stanza
        /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == "bookworm" && uri != "") { print uri; exit } }
        /^[[:space:]]*$/ { uri = "" }
    ' "${files[@]}"
}

ROOTFS=""  # debootstrap's target while it is being built; removed on exit
trap '[ -z "$ROOTFS" ] || rm -rf "$ROOTFS"' EXIT

import_rootfs() { tar -C "$ROOTFS" -c . | docker import - "$BASE_IMAGE" >/dev/null; }

build_base_image() {
    if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
        say "$BASE_IMAGE already exists"
        return
    fi
    local mirror=${GRADER_DEBIAN_MIRROR:-$(debian_mirror)}
    mirror=${mirror:-http://deb.debian.org/debian}
    ROOTFS=$(mktemp -d /tmp/grader-rootfs.XXXXXX)
    say "debootstrap bookworm from $mirror"
    step debootstrap debootstrap --variant=minbase \
        --include=python3,python3-venv,python3-pip,ca-certificates \
        bookworm "$ROOTFS" "$mirror"
    rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/*
    step "docker import" import_rootfs
    rm -rf "$ROOTFS"
    ROOTFS=""
}

# The build context's extras: the CA certificates of a proxy that intercepts
# HTTPS (pip needs them) and the CPU torch wheel. Both are git-ignored (build/).
prepare_context() {
    rm -rf "$CONTEXT_CERTS" "$CONTEXT_WHEELS"
    mkdir -p "$CONTEXT_CERTS" "$CONTEXT_WHEELS"
    local crt
    for crt in /usr/local/share/ca-certificates/*.crt; do
        [ -f "$crt" ] && cp "$crt" "$CONTEXT_CERTS/"
    done
    if [ -f "$WHEELS_DIR/$TORCH_WHEEL" ]; then
        # a hard link when possible: the wheel is 190 MB
        ln "$WHEELS_DIR/$TORCH_WHEEL" "$CONTEXT_WHEELS/" 2>/dev/null \
            || cp "$WHEELS_DIR/$TORCH_WHEEL" "$CONTEXT_WHEELS/"
    fi
}

build_image() {
    prepare_context
    local args=(--network host --build-arg "BASE=$BASE_IMAGE" --build-arg "TORCH_VERSION=$TORCH_VERSION")
    if [ -f "$CONTEXT_WHEELS/$TORCH_WHEEL" ]; then
        args+=(--build-arg TORCH_SOURCE=wheels)
    else
        say "no $WHEELS_DIR/$TORCH_WHEEL: torch comes from the PyTorch CPU index"
        args+=(--build-arg TORCH_SOURCE=index --build-arg TORCH_INDEX=https://download.pytorch.org/whl/cpu)
    fi
    # the same numpy as the host's grader, so that arrays cross the wire unchanged
    if [ -x .venv/bin/python ]; then
        local numpy
        if numpy=$(.venv/bin/python -c 'import numpy; print(numpy.__version__)' 2>/dev/null); then
            args+=(--build-arg "NUMPY_SPEC=numpy==$numpy")
        fi
        # and what student code may import (the base and every assignment's [environment]
        # packages) at the versions the bubblewrap sandbox's worker environments have
        local extras
        if extras=$(.venv/bin/grader env requirements | grep -v -E '^(numpy|torch)([^a-z0-9_-]|$)' | tr '\n' ' '); then
            args+=(--build-arg "STUDENT_PACKAGES=${extras% }")
        fi
    fi
    # BuildKit needs the buildx plugin; Debian's docker.io 20.10 has only the legacy builder
    if ! docker buildx version >/dev/null 2>&1; then
        export DOCKER_BUILDKIT=0
    fi
    docker build "${args[@]}" -t "$IMAGE:latest" -t "$IMAGE:cpu" .
}

t_start=${EPOCHREALTIME/./}
step "install packages" install_packages
step "start engine" start_engine
step "base image" build_base_image
step "grading image" build_image
size=$(docker image inspect --format '{{.Size}}' "$IMAGE:latest")
say "$IMAGE:latest is $(( size / 1000000 )) MB"
us=$(( ${EPOCHREALTIME/./} - t_start ))
printf 'docker-setup: %-22s %4d.%01d s\n' total $(( us / 1000000 )) $(( us / 100000 % 10 ))
