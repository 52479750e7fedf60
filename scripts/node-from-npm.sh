#!/usr/bin/env bash
# Node.js of one major version from the npm registry, where nodejs.org cannot be reached: the npm
# package node-linux-<arch> carries the official binaries (what `npm i node@24` installs). It is
# unpacked, its scripts never run, into <dir>: bin/node, include/node (the headers native addons
# such as better-sqlite3 compile against: npm_config_nodedir=<dir>) and share/. npm itself is
# not in it; the npm on PATH runs under this node.
#
#   scripts/node-from-npm.sh 24 ~/.cache/pulse/node-24      # prints <dir>/bin/node and its version
#
# A <dir> already holding that major version is kept as it is.
set -euo pipefail

major=${1:?usage: node-from-npm.sh <major> <dir>}
dir=${2:?usage: node-from-npm.sh <major> <dir>}

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  ppc64le) arch=ppc64le ;;
  s390x) arch=s390x ;;
  *) echo "node-from-npm: no node-linux-* package for $(uname -m)" >&2; exit 1 ;;
esac

if [ -x "$dir/bin/node" ] && [ -f "$dir/include/node/node.h" ] \
  && [ "$("$dir/bin/node" -p 'process.versions.node.split(".")[0]')" = "$major" ]; then
  echo "node-from-npm: $dir/bin/node $("$dir/bin/node" --version) (already there)"
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball=$(cd "$work" && npm pack --silent "node-linux-$arch@$major" | tail -n 1)
mkdir -p "$work/node"
tar -xzf "$work/$tarball" -C "$work/node" --strip-components=1 package/bin package/include package/share
"$work/node/bin/node" --version >/dev/null
rm -rf "$dir"
mkdir -p "$(dirname "$dir")"
mv "$work/node" "$dir"
echo "node-from-npm: $dir/bin/node $("$dir/bin/node" --version) (node-linux-$arch from the npm registry)"
