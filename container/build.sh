#!/bin/sh
# Build the grader's image from Debian packages and PyPI only (no registry): Debian bookworm made by mmdebstrap
# and imported as the base, then the repository's Containerfile (pip install -c constraints.txt).
#   container/build.sh [IMAGE]        default IMAGE: localhost/aekit-grader
# It refuses in one line when podman's storage has less than AEKIT_IMAGE_BUILD_GB (default 10) GB free.
# PODMAN overrides the command, e.g. PODMAN="podman --runtime runc" on a host whose cgroups crun refuses
# (v1 controllers with any controller on the v2 hierarchy: "cgroups in hybrid mode not supported").
# PIP_CERT, when set, is a CA bundle pip must trust (a TLS-inspecting proxy between this host and PyPI): it is
# mounted into the build's RUN steps only, never stored in the image.
set -eu
image=${1:-localhost/aekit-grader}
base=localhost/aekit-debian:bookworm
podman=${PODMAN:-podman}
repo=$(cd "$(dirname "$0")/.." && pwd)
# The build's peak in podman's storage (8.0 GB measured: the pip layer written, then committed) and a margin.
needs_gb=${AEKIT_IMAGE_BUILD_GB:-10}
store=$($podman info --format '{{.Store.GraphRoot}}')
on=$store  # a podman that never stored an image may not have made its folder yet: the disk it will be on
while [ ! -e "$on" ]; do on=$(dirname "$on"); done
free_gb=$(df -Pk "$on" | awk 'NR == 2 { print int($4 / 1048576) }')
if [ "$free_gb" -lt "$needs_gb" ]; then
    echo "container/build.sh: $store has $free_gb GB free and the build needs about $needs_gb GB: free some" \
        "(podman image prune, podman rmi IMAGE) or point podman's graphroot elsewhere" >&2
    exit 1
fi
if ! $podman image exists "$base"; then
    PODMAN="$podman" sh "$repo/container/build-base.sh"
fi
set -- --ulimit "nofile=$(ulimit -Hn):$(ulimit -Hn)"
if [ -n "${PIP_CERT:-}" ]; then
    set -- "$@" --volume "$PIP_CERT:/run/pip-ca.crt:ro" --build-arg PIP_CA=/run/pip-ca.crt
fi
$podman build --quiet "$@" -f "$repo/Containerfile" -t "$image" "$repo"
