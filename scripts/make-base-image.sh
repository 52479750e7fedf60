#!/usr/bin/env bash
# A stand-in for the Dockerfile's BASE_IMAGE (node:24-bookworm-slim) made from Debian packages and
# the npm registry alone, for machines that cannot pull from a container registry: Debian bookworm
# from debootstrap --variant=minbase, Node.js in /usr/local as in the official image (bin/node,
# include/node for native addons; scripts/node-from-npm.sh) and, from the registry, the npm of
# this machine (the same version, so its settings mean the same in the build). Like
# Debian's own slim images it leaves out documentation, man pages, translations and apt's caches.
#
#   scripts/make-base-image.sh <tag> <engine> [engine flags...]
#   scripts/make-base-image.sh localhost/pulse-base:bookworm-node24 docker
#
# Then: docker build --build-arg BASE_IMAGE=localhost/pulse-base:bookworm-node24 -t pulse .
# Needs root (debootstrap). DEBIAN_MIRROR (default http://deb.debian.org/debian),
# DEBIAN_SECURITY_MIRROR (default: beside it) and NODE_MAJOR (default 24) change what goes in.
set -euo pipefail

tag=${1:?usage: make-base-image.sh <tag> <engine> [engine flags...]}
shift
engine=("$@")
[ ${#engine[@]} -gt 0 ] || { echo "usage: make-base-image.sh <tag> <engine> [engine flags...]" >&2; exit 2; }
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
node_major=${NODE_MAJOR:-24}
suite=bookworm
here=$(cd "$(dirname "$0")" && pwd)

rootfs=$(mktemp -d "${TMPDIR:-/var/tmp}/pulse-base.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT
# It becomes the image's /, which every user must be able to enter (mktemp makes it 0700).
chmod 0755 "$rootfs"

started=$SECONDS
echo "make-base-image: debootstrap --variant=minbase $suite from $mirror"
debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; rm -f "$rootfs.log"; exit 1; }
rm -f "$rootfs.log"

# As Debian's slim images: no docs, man pages or translations from later installs, no apt caches.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/pulse-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/lintian/*
EOF
cat >"$rootfs/etc/apt/apt.conf.d/pulse-slim" <<'EOF'
Acquire::Languages "none";
APT::Install-Recommends "false";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };
EOF
find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright ! -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs/usr/share/man/"* "$rootfs/usr/share/info/"* "$rootfs/usr/share/locale/"*

# The package sources of the official image: the release, its updates and its security fixes.
rm -f "$rootfs/etc/apt/sources.list"
case "$mirror" in
  */debian) security=${DEBIAN_SECURITY_MIRROR:-${mirror%/debian}/debian-security} ;;
  *) security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} ;;
esac
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
rm -rf "$rootfs/var/lib/apt/lists/"* "$rootfs/var/cache/apt/"*.bin "$rootfs/var/cache/apt/archives/"*.deb

echo "make-base-image: Node.js $node_major and npm from the npm registry into /usr/local"
"$here/node-from-npm.sh" "$node_major" "$rootfs/opt/node"
cp -a "$rootfs/opt/node/." "$rootfs/usr/local/"
rm -rf "$rootfs/opt/node"
npm_tarball=$(cd "$rootfs/tmp" && npm pack --silent "npm@$(npm --version)" | tail -n 1)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$rootfs/tmp/$npm_tarball" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
rm -f "$rootfs/tmp/$npm_tarball"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
node_version=$(chroot "$rootfs" /usr/local/bin/node --version)
npm_version=$(chroot "$rootfs" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version)

echo "make-base-image: importing as $tag (Debian $(cat "$rootfs/etc/debian_version"), Node.js $node_version, npm $npm_version)"
tar -C "$rootfs" --numeric-owner -c . | "${engine[@]}" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "make-base-image: $tag made in $((SECONDS - started)) s"
