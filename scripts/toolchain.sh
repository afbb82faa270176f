# Sourced, not run: puts Node 24 LTS and the pinned pnpm first on the PATH.
# A machine whose own Node is older than 22.12 (Node 20 is past end of life)
# gets both from the npm registry into .tools/ (git-ignored); npm's global
# prefix is /usr here, so a global install would replace the machine's node.
AIPROXY_NODE_MAJOR=24
AIPROXY_PNPM_VERSION=12.21.0
aiproxy_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
aiproxy_tools="$aiproxy_root/.tools"

aiproxy_node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'
}

if [ -x "$aiproxy_tools/node_modules/.bin/node" ]; then
  export PATH="$aiproxy_tools/node_modules/.bin:$PATH"
fi
if ! aiproxy_node_ok || ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$AIPROXY_PNPM_VERSION" ]; then
  echo "toolchain: installing node@$AIPROXY_NODE_MAJOR and pnpm@$AIPROXY_PNPM_VERSION into .tools/" >&2
  npm install --prefix "$aiproxy_tools" --no-fund --no-audit --loglevel=error \
    "node@$AIPROXY_NODE_MAJOR" "pnpm@$AIPROXY_PNPM_VERSION" >&2
  export PATH="$aiproxy_tools/node_modules/.bin:$PATH"
fi
# turbo's telemetry and update checks would only wait on a network we lack.
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 TURBO_NO_UPDATE_NOTIFIER=1
