#!/usr/bin/python3
"""The same merge with pandas: outer merge of three sources by key, priority values per field,
and conflicts (sources disagreeing on price beyond 0.01, or on name), then the incremental case
as pandas would do it (merge everything again with source A's new snapshot).

    pandas_merge.py <dir with source_{0,1,2}.csv and source_0_changed.csv>

Prints one JSON object: load, full merge + compare (the median of five runs, and each run) and
re-merge times (seconds), peak RSS (MiB).
"""
import json
import resource
import sys
import time

import numpy as np
import pandas as pd


def merge_and_compare(a, b, c):
    m = a.merge(b, on="id", how="outer", suffixes=("", "_b"))
    m = m.merge(c, on="id", how="outer", suffixes=("", "_c"))
    out = pd.DataFrame({"id": m["id"]})
    conflicts = np.zeros(len(m), dtype=bool)
    for field, tolerance in (("name", None), ("price", 0.01), ("stock", None)):
        cols = [m[field], m[field + "_b"], m[field + "_c"]]
        # Priority: the first source with a value.
        out[field] = cols[0].combine_first(cols[1]).combine_first(cols[2])
        # Compare: any two present values that differ.
        for i in range(3):
            for j in range(i + 1, 3):
                both = cols[i].notna() & cols[j].notna()
                if tolerance is None:
                    differ = cols[i] != cols[j]
                else:
                    differ = (cols[i] - cols[j]).abs() > tolerance
                conflicts |= (both & differ).to_numpy()
    # Which sources have each key (coverage).
    out["sources"] = (m["name"].notna().astype(int) * 1 + m["name_b"].notna().astype(int) * 2
                      + m["name_c"].notna().astype(int) * 4)
    out["conflict"] = conflicts
    return out


def main():
    d = sys.argv[1]
    t = time.perf_counter()
    a = pd.read_csv(f"{d}/source_0.csv")
    b = pd.read_csv(f"{d}/source_1.csv").rename(
        columns={"code": "id", "title": "name", "cost": "price", "qty": "stock"})
    c = pd.read_csv(f"{d}/source_2.csv").rename(
        columns={"sku": "id", "label": "name", "amount": "price", "units": "stock"})
    a2 = pd.read_csv(f"{d}/source_0_changed.csv")
    load_s = time.perf_counter() - t

    # Five times over, as merge_bench runs its full merge: the median is reported.
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        merged = merge_and_compare(a, b, c)
        runs.append(time.perf_counter() - t)
    full_s = sorted(runs)[len(runs) // 2]

    t = time.perf_counter()
    again = merge_and_compare(a2, b, c)
    changed = (again.set_index("id")["price"] != merged.set_index("id")["price"]).sum()
    remerge_s = time.perf_counter() - t

    print(json.dumps({
        "load_s": load_s,
        "full_merge_s": full_s,
        "full_merge_runs_s": runs,
        "view_keys": int(len(merged)),
        "records_with_conflicts": int(merged["conflict"].sum()),
        "remerge_s": remerge_s,
        "remerge_changed_prices": int(changed),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }, indent=2))


if __name__ == "__main__":
    main()
