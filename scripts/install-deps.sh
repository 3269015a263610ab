#!/usr/bin/env bash
# Installs every Debian package Telex needs to build, run and test (Debian 12).
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libboost-dev libssl-dev libexpat1-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libtomlplusplus-dev libidn-dev nlohmann-json3-dev libcli11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-slixmpp openssl
  coturn
  prosody
  smbclient
  libncurses-dev tmux
)
# bench/compare.sh also needs the reference servers and drivers of the benchmark (issue 7); the
# tests do not, so CI does not pay for an Erlang install.
if [ "${1:-}" = "--bench" ]; then packages+=(ejabberd tsung); fi
# `telex chat` shows desktop notifications through notify-send when it is there (optional, not
# installed here): apt-get install libnotify-bin
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update
  # Reference servers (prosody, later coturn) are installed for tests to start with their own
  # configs on loopback; their system services must not start and take ports such as 5222.
  policy=/usr/sbin/policy-rc.d
  made_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo_cmd tee "$policy" >/dev/null
    $sudo_cmd chmod +x "$policy"
    made_policy=1
    trap '$sudo_cmd rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y --no-install-recommends "${missing[@]}"
fi
