#!/usr/bin/env bash
# `make run`: an incremental sync with no server. Creates a SQLite table, runs
# pipelines/quickstart.yaml, adds rows, runs it again, and shows what each run emitted.
set -euo pipefail
kpipe=$(realpath "${1:-build/kpipe}")
cd "$(dirname "$0")/.."
rm -f out/quickstart.db out/quickstart.jsonl out/quickstart.offsets.json
mkdir -p out
sqlite3 out/quickstart.db < pipelines/data/quickstart.sql

echo "== first run: every row of the login table"
"$kpipe" run pipelines/quickstart.yaml
cat out/quickstart.jsonl

echo
echo "== two new rows and an update arrive"
sqlite3 out/quickstart.db "INSERT INTO login VALUES (5, 'nehanarkhede', datetime('now', '-1 minute'), 7.00), \
  (6, 'ewencp', datetime('now', '-1 minute'), NULL); \
  UPDATE login SET amount = 13.00, login_time = datetime('now', '-30 seconds') WHERE id = 1;"
echo "== second run: only the new and changed rows"
lines=$(wc -l < out/quickstart.jsonl)
"$kpipe" run pipelines/quickstart.yaml
tail -n +"$((lines + 1))" out/quickstart.jsonl

echo
echo "Output:  out/quickstart.jsonl ($(wc -l < out/quickstart.jsonl) records)"
echo "Offsets: out/quickstart.offsets.json"
"$kpipe" offsets show pipelines/quickstart.yaml
echo "Run again after 'sqlite3 out/quickstart.db \"INSERT ...\"' to see an incremental sync."
