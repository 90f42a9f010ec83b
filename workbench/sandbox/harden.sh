#!/bin/sh
# Hardening shared by both image paths (Dockerfile and mmdebstrap rootfs).
# Usage: harden.sh ROOT UID; ROOT is "/" inside a build, the rootfs dir otherwise.
set -eu
root="${1:-/}"
uid="${2:-10001}"

# No way up: sudo purged, then every setuid and setgid bit stripped.
if chroot "$root" dpkg-query -W sudo >/dev/null 2>&1; then
  chroot "$root" dpkg --purge sudo
fi
find "$root" -xdev -type f \( -perm -4000 -o -perm -2000 \) -exec chmod ug-s {} +

# The unprivileged user commands run as when the caller has no better uid.
if ! grep -q '^sandbox:' "$root/etc/passwd"; then
  echo "sandbox:x:$uid:$uid:workbench sandbox:/tmp:/usr/sbin/nologin" >>"$root/etc/passwd"
  echo "sandbox:x:$uid:" >>"$root/etc/group"
  echo "sandbox:!:19000:0:99999:7:::" >>"$root/etc/shadow"
fi
mkdir -p "$root/workspace"

# The workspace belongs to whichever uid the caller picked; git must not refuse it.
printf '[safe]\n\tdirectory = /workspace\n\tdirectory = /workspace/*\n' \
  >>"$root/etc/gitconfig"

# Smaller image: no package lists, caches or docs.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* \
  "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/*

if find "$root" -xdev -type f -perm /6000 | grep -q .; then
  echo "harden.sh: setuid or setgid files remain" >&2
  exit 1
fi
