#!/bin/sh
# A minimal `command` trainer (docs/retraining.md, "Trainers"), used by the tests as a real process.
# Policy: trainer: {kind: command, command: "sh samples/retraining/copy-trainer.sh {data} {output} /path/to/model.zip"}
# It reads the exported training data Vigil hands it ({data}, CSV), reports what it saw on stdout (captured in the job's
# log), and writes a model to {output}: here a copy of a model trained elsewhere. A real trainer fits one on {data}.
set -eu
data="$1"
out="$2"
source="$3"
header=$(head -n 1 "$data")
rows=$(($(wc -l < "$data") - 1))
echo "training data: $rows rows"
echo "columns: $header"
case "$header" in
  *label*) ;;
  *) echo "the data has no label column" >&2; exit 2 ;;
esac
if [ "$rows" -lt 1 ]; then
  echo "no rows to train on" >&2
  exit 3
fi
cp "$source" "$out"
echo "model written to $out"
