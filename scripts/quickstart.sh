#!/usr/bin/env bash
# `make run`: runs pipelines/quickstart.yaml with the freshly built binary and shows the result.
set -euo pipefail
kpipe=${1:-build/kpipe}
cd "$(dirname "$0")/.."
mkdir -p out
"$kpipe" run pipelines/quickstart.yaml
echo
echo "Output: out/quickstart.jsonl ($(wc -l < out/quickstart.jsonl) lines). The last ones:"
tail -n 3 out/quickstart.jsonl
echo
echo "Offsets: pipelines/quickstart.offsets.json"
"$kpipe" offsets show pipelines/quickstart.yaml
echo
echo "Run 'make run' again: nothing new is read. Append a line to pipelines/data/quickstart.txt and"
echo "run again: only that line is added."
