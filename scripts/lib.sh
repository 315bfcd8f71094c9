# Shared helpers for the project's scripts (sourced, not run).
# shellcheck shell=bash
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export VOICE_DRAFT_CACHE="${VOICE_DRAFT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/voice-draft}"
ENGINE_VENV="$VOICE_DRAFT_CACHE/engine/venv"
ENGINE_PY="$ENGINE_VENV/bin/python"
export VOICE_DRAFT_PYTHON="${VOICE_DRAFT_PYTHON:-$ENGINE_PY}"

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
