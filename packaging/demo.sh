#!/usr/bin/env bash
# Installs what is missing, builds, and runs jumpgate on its embedded
# default: a demo gateway on 127.0.0.1:2222 with a generated host key and a
# demo client key, printing the ssh lines to try.  Ctrl-C stops it.
# Only the daemon is built (-Dtests=disabled): the test packages are not
# needed here.
set -euo pipefail
cd "$(dirname "$0")/.."
packaging/install-deps.sh
. packaging/build-lib.sh
build_setup build -Dtests=disabled
build_quiet ninja -C build
exec ./build/server/jumpgate "$@"
