#!/usr/bin/env bash
# What the running site wants from Debian: espeak-ng, for kiosks whose browser has no Mandarin
# voice. Installs it only if missing, and never stops the caller: without it the kiosk reads
# aloud with the browser's own voice where there is one.
set -uo pipefail
command -v espeak-ng >/dev/null && exit 0
echo "正在安装朗读所需的系统软件包：espeak-ng"
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! { $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq --no-install-recommends espeak-ng; }; then
  echo "未能安装 espeak-ng：自助终端朗读将只用浏览器自带语音" >&2
fi
exit 0
