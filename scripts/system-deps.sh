#!/usr/bin/env bash
# Debian packages the test suite needs. Installs only as root and only what is missing;
# otherwise says what is missing (those tests then skip and say why).
set -euo pipefail
packages=(chromium postgresql redis-server libzbar0 fonts-noto-color-emoji nginx janus libjs-janus-gateway)
missing=()
for package in "${packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Not root on Debian: missing ${missing[*]} (their tests will be skipped)"
  exit 0
fi
echo "Installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
