#!/usr/bin/env bash
# Installs what kpipe needs to build and test on Debian 12. Idempotent: installs only what is
# missing, and uses sudo only when not root.
set -euo pipefail

packages=(
  g++ make cmake pkg-config clang-format clang libclang-rt-14-dev
  librdkafka-dev libcli11-dev libyaml-cpp-dev libpqxx-dev libmysqlcppconn-dev
  libspdlog-dev libfmt-dev doctest-dev nlohmann-json3-dev libsqlite3-dev libcurl4-openssl-dev
  libcpp-httplib-dev curl kcat sqlite3 postgresql mariadb-server mariadb-client python3 python3-kafka python3-avro python3-prometheus-client time
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
