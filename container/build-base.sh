#!/bin/sh
# The grader image's base, from Debian packages only: bookworm (minbase, Python 3.11) made by mmdebstrap and
# imported as localhost/aekit-debian:bookworm. No registry is contacted.
# PODMAN overrides the command (see build.sh).
set -eu
base=localhost/aekit-debian:bookworm
podman=${PODMAN:-podman}
echo "building $base with mmdebstrap (Debian bookworm, minbase, python3)" >&2
mmdebstrap --quiet --variant=minbase --include=python3,python3-venv,ca-certificates bookworm - \
    | $podman import --quiet - "$base"
