#!/usr/bin/env bash
# Make the PostgreSQL image of the container backend exist, once per machine.
#
# Image name: DISPOSABLE_PG_IMAGE, else freesport/postgres:$PG_MAJOR. When it is already there,
# nothing happens. A freesport/* name that is missing gets built. When the official postgres:$PG_MAJOR is present or can be pulled (a machine
# that reaches a registry), that is used as it is. Otherwise the image is built from Debian
# packages alone (no registry here): debootstrap a minbase rootfs from the mirror this machine's
# apt already uses, install postgresql-$PG_MAJOR in it, `docker import` it, and finish it with
# a tiny offline legacy build (disposable_pg/image/: entrypoint, PATH, EXPOSE, STOPSIGNAL;
# `docker import --change` refuses STOPSIGNAL).
#
# Settings: DISPOSABLE_PG_IMAGE, PG_MAJOR (15), DEBIAN_MIRROR (overrides the apt sources),
#           PG_IMAGE_KEEP_JIT=1 (keep LLVM JIT: +160 MB), DISPOSABLE_PG_NO_PULL=1.
# Exits 0 without an engine (the local backend is the fallback); non-zero when a build fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

major="${PG_MAJOR:-15}"
ours="freesport/postgres:$major"
official="postgres:$major"
image="${DISPOSABLE_PG_IMAGE:-$ours}"

say() { echo "postgres image: $*" >&2; }

if [ "${DISPOSABLE_PG:-auto}" = "local" ]; then
  exit 0
fi
if ! { command -v docker >/dev/null 2>&1 && timeout 5 docker info >/dev/null 2>&1; }; then
  say "no Docker engine answers; not building $image"
  exit 0
fi
has_image() { docker image inspect "$1" >/dev/null 2>&1; }

if has_image "$image"; then
  exit 0
fi
if [ -z "${DISPOSABLE_PG_IMAGE:-}" ] && has_image "$official"; then
  say "using the official $official already present"
  exit 0
fi
buildable=0
case "$image" in freesport/*) buildable=1 ;; esac
if [ "$buildable" = 0 ] || [ "${DISPOSABLE_PG_NO_PULL:-0}" != 1 ]; then
  pull="$image"
  [ "$image" = "$ours" ] && pull="$official"
  say "trying: docker pull $pull"
  if timeout 600 docker pull -q "$pull" >/dev/null 2>&1; then
    say "pulled $pull"
    exit 0
  fi
  if [ "$buildable" = 0 ]; then
    say "cannot pull $image, and only freesport/* images are built here; unset DISPOSABLE_PG_IMAGE"
    exit 1
  fi
  say "no registry reachable"
fi
say "building $image from Debian packages (about a minute, once per machine)"

if [ "$(id -u)" -ne 0 ]; then
  say "building $image needs root (debootstrap, chroot); run 'sudo make bootstrap-containers'"
  exit 1
fi

mirror="${DEBIAN_MIRROR:-}"
# shellcheck disable=SC1091
. /etc/os-release
suite="${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"
if [ -z "$mirror" ]; then
  # The URI apt resolves for "<suite>/main", whatever the sources' format (.list or deb822).
  mirror="$(apt-cache policy 2>/dev/null |
    awk -v s="$suite/main" '$3 == s && $2 ~ /^(https?|file):/ { print $2; exit }')"
fi
if [ -z "$mirror" ]; then
  say "no Debian mirror for '$suite/main' in the apt sources; set DEBIAN_MIRROR"
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
if ! command -v debootstrap >/dev/null 2>&1; then
  say "installing debootstrap (apt)"
  apt-get -o DPkg::Lock::Timeout=300 update -qq
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends debootstrap >/dev/null
fi

started=$SECONDS
work="$(mktemp -d /tmp/freesport-pgimage.XXXXXX)"
root="$work/rootfs"
rootfs_tag="freesport/postgres-rootfs:$major-$$"
cleanup() {
  mountpoint -q "$root/proc" 2>/dev/null && umount -l "$root/proc"
  rm -rf "$work"
  docker image rm "$rootfs_tag" >/dev/null 2>&1 || true
}
trap cleanup EXIT

mkdir -m 755 "$root"  # postgres' postinst fails in a 700 rootfs (mktemp's mode)
say "debootstrap $suite from $mirror"
debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -n 20 "$work/debootstrap.log" >&2
  exit 1
}

# No cluster creation and no service start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
mkdir -p "$root/etc/postgresql-common/createcluster.d"
echo "create_main_cluster = false" >"$root/etc/postgresql-common/createcluster.d/00-freesport.conf"

mount -t proc proc "$root/proc"
say "installing postgresql-$major in the rootfs"
chroot "$root" /bin/sh -c "apt-get install -y -qq --no-install-recommends postgresql-$major" \
  >"$work/install.log" 2>&1 || {
  tail -n 20 "$work/install.log" >&2
  exit 1
}
if [ "${PG_IMAGE_KEEP_JIT:-0}" != 1 ]; then
  # JIT is off for tiny test queries anyway; PostgreSQL runs without its provider library.
  rm -f "$root/usr/lib/postgresql/$major/lib/llvmjit"*.so
  rm -rf "$root/usr/lib/postgresql/$major/lib/bitcode"
  # shellcheck disable=SC2016  # expanded by dpkg-query, not by a shell
  chroot "$root" /bin/sh -c \
    'dpkg-query -W -f "\${Package}\n" "libllvm*" 2>/dev/null | xargs -r dpkg --purge --force-depends' \
    >>"$work/install.log" 2>&1 || true
fi
chroot "$root" apt-get clean
umount "$root/proc"
rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/* \
  "$root/usr/sbin/policy-rc.d" "$root"/var/log/*.log "$root"/var/cache/debconf/*-old

say "docker import"
tar -C "$root" -c . | docker import - "$rootfs_tag" >/dev/null
say "docker build $image"
DOCKER_BUILDKIT=0 docker build -q --build-arg "ROOTFS_IMAGE=$rootfs_tag" --build-arg "PG_MAJOR=$major" \
  -t "$image" disposable_pg/image >/dev/null
# The image this one replaces (if any and unused) is dangling now: drop it.
docker image prune -f --filter "label=org.freesport.disposable-pg.image" >/dev/null 2>&1 || true
say "built $image in $((SECONDS - started)) s ($(docker image inspect -f '{{.Size}}' "$image" |
  awk '{printf "%d MB", $1/1e6}'))"
