#!/usr/bin/env bash
# Installs the system packages softras needs on Debian/Ubuntu when they are missing:
# Mesa's Vulkan drivers (lavapipe runs the compute shaders on the CPU when there is no GPU),
# the Vulkan loader, and what a Bevy window under X11/Xvfb needs.
set -euo pipefail
PKGS=(gcc libc6-dev mesa-vulkan-drivers libvulkan1 libegl1 libegl-mesa0 libgl1-mesa-dri
      xvfb xauth libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "softras setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "softras setup: cargo (Rust ≥ 1.95) is required: https://rustup.rs" >&2; exit 1; }
