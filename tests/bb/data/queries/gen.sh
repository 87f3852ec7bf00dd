#!/bin/sh
# Writes each partner's samples.csv from the collections that hold
# samples (see README.md).  Deterministic: the same files every run.
cd "$(dirname "$0")" || exit 1
gen() { # PARTNER COUNT SEED COLLECTION-SUFFIX...
	p=$1 count=$2 seed=$3; shift 3
	tmp=$(mktemp)
	head -1 "$p/Collections.csv" > "$tmp"
	for c in "$@"; do grep "collection:$c," "$p/Collections.csv" >> "$tmp"; done
	python3 ../../../data/gen_samples.py --collections "$tmp" --count "$count" --seed "$seed" -o "$p/samples.csv"
	rm -f "$tmp"
}
gen navarrabiomed 400 11 breast haematology covid marfan
gen biocruces 200 12 breast parkinson hereditary
gen chu-toulouse 200 13 aml rare-neuro mixed
