#!/usr/bin/env bash
# Renders the README's pictures from a real run on this machine:
#   comment.png  the pull request comment of an ab run on the bundled Flask
#                example, whose head makes the handler 15% slower, as GitHub
#                shows it (GitHub's Markdown styles, headless Chromium);
#   chart.png    the throughput and concurrency chart of the seed's matrix.
# Needs Go, gunicorn and Flask, Node with npm, and Chromium:
#   apt-get install gunicorn python3-flask nodejs npm chromium fonts-noto-color-emoji
# Usage: docs/images/render.sh   (about two minutes; CHROMIUM=path overrides)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
chromium=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
for tool in go gunicorn node npm; do
	command -v "$tool" >/dev/null || { echo "render.sh: $tool is not installed" >&2; exit 2; }
done
[ -n "$chromium" ] || { echo "render.sh: Chromium is not installed (apt-get install chromium)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$root" && go build -o "$work/workerbench" ./cmd/workerbench)
(cd "$here" && npm ci --no-audit --no-fund --silent)

# A pull request that makes the handler 15% slower: head runs the same
# app with the example's slowdown knob.
"$work/workerbench" ab --server gunicorn --app app:app \
	--base-dir "$root/examples/flask" --head-dir "$root/examples/flask" \
	--head-env WORKERBENCH_SLOWDOWN=0.15 \
	--matrix 1x1,1x3,3x1,3x3 --path '/?ms=100' --out "$work/ab"
node "$here/render-comment.mjs" "$work/ab/summary.md" "$here/comment.png" "$chromium"

# The seed experiment's chart: workers × threads against what they serve.
"$work/workerbench" run --server gunicorn --app app:app --dir "$root/examples/flask" \
	--matrix 1x1,1x3,3x1,3x3 --path '/?ms=100' --out "$work/run"
chart=$(find "$work/run" -name '*.png' | sort | head -n 1)
[ -n "$chart" ] || { echo "render.sh: the run wrote no PNG chart" >&2; exit 1; }
cp "$chart" "$here/chart.png"
echo "wrote $here/comment.png and $here/chart.png (from $(basename "$chart"))"
