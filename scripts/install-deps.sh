#!/usr/bin/env bash
# Installs every Debian package Telex needs to build, run and test (Debian 12).
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libssl-dev libexpat1-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libtomlplusplus-dev libidn-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-slixmpp openssl
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
