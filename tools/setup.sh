#!/usr/bin/env bash
# Set up docx-report on this machine: system packages for PDF output (LibreOffice, CJK fonts,
# poppler) where apt-get is available, and a virtual environment .venv with the tool and its
# test dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

SYSTEM_PACKAGES=(
  libreoffice-writer-nogui   # .docx -> PDF/A (headless, no GUI)
  libreoffice-calc-nogui     # tests: prints and recalculates the workbooks as Calc does
  fonts-noto-cjk             # 黑体 -> Noto Sans CJK SC, 宋体/小标宋 -> Noto Serif CJK SC
  fonts-lxgw-wenkai          # 楷体 -> LXGW WenKai
  fonts-arphic-ukai          # 楷体 fallback
  texlive-lang-chinese       # 仿宋 -> FandolFang (the only free FangSong with GB2312 coverage)
  fonts-liberation2          # Times New Roman -> Liberation Serif (same metrics) for digits
  poppler-utils              # pdffonts, pdftotext, pdftoppm: used by the tests
  fontconfig
  chromium                   # the browser the web page's tests drive (Playwright, no download)
)

if command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${SYSTEM_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
else
  echo "apt-get not found: install LibreOffice and the CJK fonts yourself for PDF output (see README)." >&2
fi

python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[serve,test,import]"
echo "docx-report is set up: .venv/bin/docx-report --help"
