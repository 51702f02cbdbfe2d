#!/usr/bin/env bash
# Installs what is missing, builds, and runs jumpgate on its embedded
# default: a demo gateway on 127.0.0.1:2222 with a generated host key and a
# demo client key, printing the ssh lines to try.  Ctrl-C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
[ -d build ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec ./build/server/jumpgate "$@"
