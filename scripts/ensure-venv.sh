#!/usr/bin/env bash
# Make the virtualenv; on a fresh Debian, python3 -m venv needs the python3-venv package first.
set -euo pipefail
python=$1 venv=$2
[ -x "$venv/bin/python" ] && exit 0
if ! "$python" -m venv "$venv" 2>/dev/null; then
  rm -rf "$venv"
  echo "正在安装 python3-venv …"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq python3-venv
  "$python" -m venv "$venv"
fi
