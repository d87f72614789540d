#!/usr/bin/env bash
# One-step set-up on a fresh Debian machine with Node 20: the fast CPU path's system library
# (libtorch, for @voxelkit/backend-native) when we may install packages, pnpm 10 from the npm
# registry, and the workspace's dependencies (which builds the native addon when libtorch is
# there). Without root or apt it still installs everything: the pure-TypeScript path then runs.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

if [ "${VOXELKIT_NATIVE_SKIP:-0}" != 1 ] && [ ! -f /usr/include/torch/csrc/api/include/torch/version.h ]; then
  if command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing libtorch-dev for the native CPU kernels (set VOXELKIT_NATIVE_SKIP=1 to skip)"
    if ! (as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends libtorch-dev >/dev/null); then
      echo "setup: could not install libtorch-dev; continuing on the pure-TypeScript path"
    fi
  else
    echo "setup: no apt-get; continuing on the pure-TypeScript path"
  fi
fi

if ! command -v pnpm >/dev/null 2>&1 || ! pnpm --version | grep -q '^10\.'; then
  npm i -g pnpm@10
fi

pnpm install --frozen-lockfile
