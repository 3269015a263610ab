#!/usr/bin/env bash
# Installs dependencies, builds telexd and runs it on its embedded defaults: domain localhost,
# SQLite in ./data, a self-signed certificate made on first start, ports 5222 and 5223.
# Extra arguments go to telexd (e.g. --config telexd.toml).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/release -j 2 --target telexd
exec build/release/telexd "$@"
