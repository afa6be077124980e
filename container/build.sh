#!/bin/sh
# Build the grader's image from Debian packages and PyPI only (no registry): Debian bookworm made by mmdebstrap
# and imported as the base, then the repository's Containerfile (pip install -c constraints.txt).
#   container/build.sh [IMAGE]        default IMAGE: localhost/aekit-grader
# PODMAN overrides the command, e.g. PODMAN="podman --runtime runc" on a host whose cgroups crun refuses
# (v1 controllers with any controller on the v2 hierarchy: "cgroups in hybrid mode not supported").
# PIP_CERT, when set, is a CA bundle pip must trust (a TLS-inspecting proxy between this host and PyPI): it is
# mounted into the build's RUN steps only, never stored in the image.
set -eu
image=${1:-localhost/aekit-grader}
base=localhost/aekit-debian:bookworm
podman=${PODMAN:-podman}
repo=$(cd "$(dirname "$0")/.." && pwd)
if ! $podman image exists "$base"; then
    PODMAN="$podman" sh "$repo/container/build-base.sh"
fi
set -- --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
if [ -n "${PIP_CERT:-}" ]; then
    set -- "$@" --volume "$PIP_CERT:/run/pip-ca.crt:ro" --build-arg PIP_CA=/run/pip-ca.crt
fi
$podman build --quiet "$@" -f "$repo/Containerfile" -t "$image" "$repo"
