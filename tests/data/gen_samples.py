#!/usr/bin/env python3
"""Generate pseudonymous, invented sample rows for a partner's collections.

    gen_samples.py --collections tests/data/refbio/navarrabiomed/collections.csv \
        --count N --seed S > samples.csv

Reads a collections.csv (the collection table of src/schema.c) and writes a
samples CSV (the local `sample` table) to stdout, or to --output:

    id, collection, material_type, storage_temperature, diagnosis, sex, age,
    age_unit, donor_id, collection_date, status, quantity

Every value is drawn from the collection it belongs to: material_type from
its materials, storage_temperature from its storage_temperatures (preferring
a plausible one for the material), diagnosis from diagnosis_available
(without the urn:miriam:icd: prefix), sex from its sex list, age within
age_low..age_high.  Collections get samples in proportion to their size.
Donors give 1-3 samples each (about 2 on average), so there are fewer
donors than samples.  Sample and donor ids (S-<8 hex>, D-<8 hex>) are unique
within one run: they are a seeded 32-bit permutation of a counter, not random.
Dates are 2005-01-01..2025-12-31; status is available ~70%, reserved ~20%,
exhausted ~10%; quantity is in ml for liquids, ug for nucleic acids, mg for
tissue, million cells for cells.

Everything is invented: this is test and demonstration data.  Only the
standard library is used; the same arguments give the same bytes.
"""
import argparse
import bisect
import csv
import datetime
import random
import sys

URN = "urn:miriam:icd:"
MASK = 0xFFFFFFFF

# (low, high, decimals) of the quantity per material.
QUANTITY = {
    "SERUM": (0.2, 2.0, 1), "PLASMA": (0.2, 2.0, 1), "URINE": (1.0, 10.0, 1),
    "WHOLE_BLOOD": (0.5, 4.0, 1), "BUFFY_COAT": (0.2, 1.0, 1),
    "SALIVA": (0.5, 2.0, 1), "FECES": (0.5, 5.0, 1),
    "DNA": (1.0, 60.0, 2), "RNA": (0.5, 20.0, 2), "CDNA": (0.5, 10.0, 2),
    "MICRO_RNA": (0.1, 5.0, 2),
    "TISSUE_FROZEN": (5.0, 200.0, 1), "TISSUE_PARAFFIN_EMBEDDED": (10.0, 500.0, 1),
    "TISSUE_STAINED": (1.0, 20.0, 1),
    "PERIPHERAL_BLOOD_CELLS": (1.0, 20.0, 1), "CELL_LINES": (0.5, 10.0, 1),
    "NASAL_SWAB": (0.5, 3.0, 1), "THROAT_SWAB": (0.5, 3.0, 1),
}
DEFAULT_QUANTITY = (0.1, 5.0, 2)

# Storage temperatures that suit a material best, most plausible first.
PREFERRED_TEMP = {
    "TISSUE_PARAFFIN_EMBEDDED": ["temperatureRoom"],
    "TISSUE_STAINED": ["temperatureRoom"],
    "PERIPHERAL_BLOOD_CELLS": ["temperatureLN"],
    "CELL_LINES": ["temperatureLN"],
    "BUFFY_COAT": ["temperatureLN", "temperature-60to-85"],
    "TISSUE_FROZEN": ["temperature-60to-85", "temperatureLN"],
    "RNA": ["temperature-60to-85", "temperatureLN"],
    "DNA": ["temperature-60to-85", "temperature-18to-35", "temperature2to10"],
}
COLD = ("temperature-60to-85", "temperatureLN", "temperature-18to-35")


def split_list(cell):
    return [v.strip() for v in (cell or "").split(",") if v.strip()]


def permutation_keys(rng):
    """Keys of a seeded bijection of 32-bit integers (see generate())."""
    return rng.getrandbits(32) | 1, rng.getrandbits(32), rng.getrandbits(32) | 1


def temps_for(material, temps):
    """Candidate storage temperatures of a material among the collection's."""
    if not temps:
        return [""]
    pref = [t for t in PREFERRED_TEMP.get(material, ()) if t in temps]
    if pref:
        return pref[:1]
    if material not in ("TISSUE_PARAFFIN_EMBEDDED", "TISSUE_STAINED"):
        cold = [t for t in temps if t in COLD]
        if cold:
            return cold
    return temps


def load_collections(path):
    cols = []
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if not row.get("id"):
                continue
            materials = split_list(row.get("materials")) or ["OTHER"]
            temps = split_list(row.get("storage_temperatures"))
            dx = [d[len(URN):] if d.startswith(URN) else d
                  for d in split_list(row.get("diagnosis_available"))] or [""]
            sexes = split_list(row.get("sex")) or ["UNKNOWN"]
            lo = int(row["age_low"]) if row.get("age_low") else 18
            hi = int(row["age_high"]) if row.get("age_high") else max(lo, 90)
            if hi < lo:
                lo, hi = hi, lo
            size = int(row["size"]) if row.get("size") else 1000
            cols.append(dict(
                id=row["id"], materials=materials,
                temps={m: temps_for(m, temps) for m in materials},
                dx=dx, sexes=sexes, lo=lo, hi=hi, weight=max(size, 1)))
    if not cols:
        sys.exit("gen_samples: no collections in %s" % path)
    return cols


def csv_cell(v):
    if any(ch in v for ch in ',"\r\n'):
        return '"' + v.replace('"', '""') + '"'
    return v


def generate(cols, count, seed, out):
    rng = random.Random(seed)
    r = rng.random
    # Ids: x -> ((x*a + b) ^ >>16) * c ^ >>13 (mod 2^32) is a bijection (odd
    # multipliers, xor-shifts), so ids never repeat within a run.
    sa, sb, sc = permutation_keys(rng)
    da, db, dc = permutation_keys(rng)

    cum, total = [], 0
    for c in cols:
        total += c["weight"]
        cum.append(total)

    start = datetime.date(2005, 1, 1)
    ndays = (datetime.date(2025, 12, 31) - start).days + 1
    dates = [(start + datetime.timedelta(days=i)).isoformat()
             for i in range(ndays)]
    # One draw u in [0, 10240) gives both the status (u // 1024: available
    # 7 in 10, reserved 2, exhausted 1) and the quantity (u % 1024: one of
    # 1024 steps of the material's range), formatted once, here.
    statuses = ["available"] * 7 + ["reserved"] * 2 + ["exhausted"]
    qtabs = {}
    # Per collection: (material, temperatures, quantities).
    for c in cols:
        c["cell"] = csv_cell(c["id"])
        c["mq"] = []
        for m in c["materials"]:
            if m not in qtabs:
                lo, hi, dec = QUANTITY.get(m, DEFAULT_QUANTITY)
                qtabs[m] = ["%.*f" % (dec, lo + (hi - lo) * (i + 0.5) / 1024)
                            for i in range(1024)]
            c["mq"].append((csv_cell(m), [csv_cell(t) for t in c["temps"][m]],
                            qtabs[m]))
        c["dx"] = [csv_cell(d) for d in c["dx"]]
        c["sexes"] = [csv_cell(x) for x in c["sexes"]]

    out.write("id,collection,material_type,storage_temperature,diagnosis,"
              "sex,age,age_unit,donor_id,collection_date,status,quantity\n")
    buf = []
    add = buf.append
    fmt = "S-%08x,%s,%s,%s,%s,%s,%d,YEAR,%s,%s,%s,%s\n"
    n = donor = 0
    while n < count:
        # One donor: a collection, sex, diagnosis, age and first visit.
        c = cols[bisect.bisect_right(cum, int(r() * total))]
        cid, mq = c["cell"], c["mq"]
        sex = c["sexes"][int(r() * len(c["sexes"]))]
        dx = c["dx"][int(r() * len(c["dx"]))]
        lo, hi = c["lo"], c["hi"]
        age0 = lo + int(r() * (hi - lo + 1))
        day0 = int(r() * ndays)
        x = (donor * da + db) & MASK
        x ^= x >> 16
        x = (x * dc) & MASK
        did = "D-%08x" % (x ^ (x >> 13))
        donor += 1
        x = r()
        k = 1 if x < 0.35 else 2 if x < 0.70 else 3
        if k > count - n:
            k = count - n
        for _ in range(k):
            if r() < 0.5:
                day, age = day0, age0
            else:
                # A later visit, within three years (if still before 2026).
                day = day0 + int(r() * 1100)
                if day >= ndays:
                    day = day0
                age = age0 + (day - day0) // 365
                if age > hi:
                    age = hi
            m, temps, qtab = mq[int(r() * len(mq))]
            x = (n * sa + sb) & MASK
            x ^= x >> 16
            x = (x * sc) & MASK
            t = temps[0] if len(temps) == 1 else temps[int(r() * len(temps))]
            u = int(r() * 10240)
            add(fmt % (x ^ (x >> 13), cid, m, t, dx, sex, age, did, dates[day],
                       statuses[u >> 10], qtab[u & 1023]))
            n += 1
        if len(buf) >= 20000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))


def main():
    ap = argparse.ArgumentParser(
        description="Write invented, pseudonymous sample rows for the "
                    "collections of a collections.csv.")
    ap.add_argument("--collections", required=True,
                    help="collections.csv of one partner")
    ap.add_argument("--count", type=int, required=True,
                    help="number of sample rows")
    ap.add_argument("--seed", type=int, default=1,
                    help="random seed (default 1); same seed, same output")
    ap.add_argument("--output", "-o", help="file to write (default stdout)")
    a = ap.parse_args()
    if a.count < 0 or a.count > MASK:
        ap.error("--count must be 0..%d" % MASK)
    cols = load_collections(a.collections)
    if a.output:
        with open(a.output, "w", newline="", encoding="utf-8") as out:
            generate(cols, a.count, a.seed, out)
    else:
        generate(cols, a.count, a.seed, sys.stdout)


if __name__ == "__main__":
    main()
