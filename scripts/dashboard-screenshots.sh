#!/usr/bin/env bash
# Runs `vigil demo`, waits until its story is told, and takes screenshots of the dashboard's main pages with headless
# Chromium for docs/dashboard.md. Needs Debian's chromium (apt-get install -y chromium).
#   scripts/dashboard-screenshots.sh [output-dir]     (default: docs/images)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/images}
port=${VIGIL_SCREENSHOT_PORT:-5090}
chromium=${CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "Chromium not found at $chromium: apt-get install -y chromium (or set CHROMIUM)"; exit 1; }
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true; rm -rf "$work"' EXIT

echo "== building the CLI"
dotnet build src/Vigil.Cli -v quiet -nologo >/dev/null

echo "== running the demo on port $port (about a minute)"
dotnet src/Vigil.Cli/bin/Debug/net10.0/vigil.dll demo --port "$port" --dir "$work/demo" >"$work/demo.log" 2>&1 &
demo=$!
for _ in $(seq 1 600); do
  grep -q "keeps serving" "$work/demo.log" && break
  kill -0 "$demo" 2>/dev/null || { cat "$work/demo.log"; echo "the demo stopped"; exit 1; }
  sleep 1
done
grep -q "keeps serving" "$work/demo.log" || { tail -20 "$work/demo.log"; echo "the demo did not finish in time"; exit 1; }

shoot() { # name path height
  "$chromium" --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --hide-scrollbars --window-size="1280,$3" \
    --screenshot="$out/dashboard-$1.png" "http://127.0.0.1:$port$2" >/dev/null 2>&1
  # Smaller files: a 64-colour palette is plenty for these flat pages (Debian's python3-pil, when installed).
  /usr/bin/python3 - "$out/dashboard-$1.png" <<'PY' 2>/dev/null || true
import sys
from PIL import Image
path = sys.argv[1]
Image.open(path).convert("RGB").quantize(colors=64).save(path, optimize=True)
PY
  echo "   $out/dashboard-$1.png"
}

echo "== screenshots"
shoot overview / 700
shoot service /services/recommender 2300
shoot registry /registry 900
shoot audit "/audit?service=recommender" 900
shoot alerts /alerts 600

# The schema-change story (issue 4) seen right after it is told: a second, shorter demo of two days of traffic and the
# price-in-cents incident, so that v1's drift table, sparklines and distributions still hold the incident's hour.
kill "$demo" 2>/dev/null || true; wait "$demo" 2>/dev/null || true
port=$((port + 1))
echo "== running the schema-change story on port $port"
dotnet src/Vigil.Cli/bin/Debug/net10.0/vigil.dll demo --port "$port" --dir "$work/story" --scenarios baseline,schema-change >"$work/story.log" 2>&1 &
demo=$!
for _ in $(seq 1 300); do
  grep -q "keeps serving" "$work/story.log" && break
  kill -0 "$demo" 2>/dev/null || { cat "$work/story.log"; echo "the demo stopped"; exit 1; }
  sleep 1
done
grep -q "keeps serving" "$work/story.log" || { tail -20 "$work/story.log"; echo "the demo did not finish in time"; exit 1; }
grep -A2 "shifted from the training baseline" "$work/story.log" || true
shoot monitoring "/services/recommender?version=1&minutes=60&feature=price" 2900
