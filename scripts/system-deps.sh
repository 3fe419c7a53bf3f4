#!/usr/bin/env bash
# What the tests need from Debian: Chromium for browser tests, CJK fonts for readable screenshots,
# PostgreSQL for the second run of the suite, wrk for the benchmarks, pdftoppm for printed receipts,
# espeak-ng for kiosk read-aloud and sox to check that its audio can be heard, nginx to check the site,
# redis-server for rate limits shared by every worker. Installs only what is missing.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v wrk >/dev/null || missing+=(wrk)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)  # receipts printed to PDF, then scanned
command -v espeak-ng >/dev/null || missing+=(espeak-ng)  # also needed by `make run`: scripts/run-deps.sh
command -v sox >/dev/null || missing+=(sox)
[ -x /usr/sbin/nginx ] || missing+=(nginx)  # deploy/nginx-zhenyuan.conf is checked with nginx -t
command -v redis-server >/dev/null || missing+=(redis-server)  # the shared rate-limit counts
[ ${#missing[@]} -eq 0 ] && exit 0
echo "正在安装测试所需的系统软件包：${missing[*]}"
sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
