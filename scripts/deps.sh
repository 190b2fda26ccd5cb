#!/usr/bin/env bash
# Installs the Debian packages exosafe needs to build, run and test.
# Quick when everything is present: dpkg is asked first, apt-get only for what is missing.
# As root it runs apt-get; otherwise it prints the exact command and stops with status 1.
set -euo pipefail

packages=(
  gcc pkg-config meson ninja-build
  libmicrohttpd-dev libjansson-dev libsqlite3-dev libpq-dev postgresql libsodium-dev
  libutf8proc-dev libcsv-dev libcmocka-dev libinih-dev libpcre2-dev libvectorscan-dev libcurl4-openssl-dev
  sqlite3 curl faketime nodejs npm chromium fonts-noto-cjk python3-numpy python3-scipy python3-aiosmtpd
  wrk nginx-light clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    # nodejs/npm may come from elsewhere than Debian (a preinstalled Node); accept the binary.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "exosafe needs these Debian packages: ${missing[*]}" >&2
  echo "Run as root:" >&2
  echo "  apt-get update && $cmd" >&2
  exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
$cmd
