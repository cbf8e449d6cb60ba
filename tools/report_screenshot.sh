#!/usr/bin/env bash
# A headless-Chromium screenshot of the report's first screen (issue 23: "checked in a real browser").
# Usage: tools/report_screenshot.sh [REPORT_DIR] [OUT_PNG]   (default build/report, REPORT_DIR/first_screen.png)
# Needs Debian's chromium-headless-shell (apt-get install chromium-headless-shell) or chromium; it is
# not part of `make` because nothing in hwgen depends on a browser. 1280 x 800 is a laptop's first screen.
set -euo pipefail
report=${1:-build/report}
out=${2:-$report/first_screen.png}
page="$report/index.html"
[[ -f $page ]] || { echo "report_screenshot: no $page; run \`hwgen report --out $report\` first" >&2; exit 2; }
browser=$(command -v chromium-headless-shell || command -v chromium || true)
[[ -n $browser ]] || { echo "report_screenshot: needs chromium-headless-shell or chromium (apt-get install chromium-headless-shell)" >&2; exit 2; }
"$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,800 \
    --screenshot="$(realpath -m "$out")" "file://$(realpath "$page")" 2>/dev/null
echo "wrote $out"
