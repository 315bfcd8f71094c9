# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VOICE_DRAFT_CACHE="${VOICE_DRAFT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/voice-draft}"
ENGINE_VENV="$VOICE_DRAFT_CACHE/engine/venv"
ENGINE_PY="$ENGINE_VENV/bin/python"
export VOICE_DRAFT_PYTHON="${VOICE_DRAFT_PYTHON:-$ENGINE_PY}"

# How each top-level script starts: in the repository, its clock running ($start, for
# elapsed), on Node 22 or newer.
begin() {
  cd "$ROOT"
  start=$(date +%s)
  use_node22
}

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
elapsed() { local s=$(( $(date +%s) - $1 )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# Installs Debian packages when they are missing (as root, or tells the user what to run).
need_debs() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}

# Node 22 or newer for everything the scripts run (the packaging tools need it; Node 20 is past
# its end of life). An older node on PATH is bootstrapped once: npm installs Node 24 (the
# `node` package carries the official binary) into the cache, and PATH puts it first.
NODE_HOME="$VOICE_DRAFT_CACHE/node24"
node24_bin() {  # the bin/ folder of the Node 24 that use_node22 installed, if it is there
  local d
  for d in "$NODE_HOME"/node_modules/node/node_modules/node-*/bin; do
    [ -x "$d/node" ] && { echo "$d"; return 0; }
  done
  return 0
}
use_node22() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 22 ] && return 0
  local bin
  bin=$(node24_bin)
  if [ -z "$bin" ]; then
    echo "Node $(node -v 2>/dev/null || echo 'is missing'); installing Node 24 from npm into $NODE_HOME" >&2
    local tmp="$NODE_HOME.tmp.$$"
    rm -rf "$tmp" && mkdir -p "$tmp"
    npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error node@24 >&2
    rm -rf "$NODE_HOME" && mv "$tmp" "$NODE_HOME"
    bin=$(node24_bin)
    [ -n "$bin" ] || { echo "npm installed node@24 but no node binary was found under $NODE_HOME" >&2; return 1; }
  fi
  export PATH="$bin:$PATH"
}
