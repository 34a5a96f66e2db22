#!/usr/bin/env python3
"""Prints the median of each Google Benchmark run in a JSON report, against a stated goal.

usage: gbench_summary.py REPORT.json GOAL_KIND GOAL
  GOAL_KIND: max_ns (time per iteration must stay under GOAL ns) or min_rate (the
  `renders_per_s`-style rate counter must reach GOAL per second).
"""
import json
import sys

report, kind, goal = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = json.load(open(report))
print(f"\nmedians ({'goal: under %.0f ns per operation' % goal if kind == 'max_ns' else 'goal: at least %.0f per second on one core' % goal}):")
for b in data["benchmarks"]:
    if b.get("aggregate_name") != "median":
        continue
    ns = b["real_time"] * {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
    line = f"  {b['run_name']:<38} {ns / 1e3:10.2f} us"
    if "catalog_loads" in b:
        line += f"  catalog: {int(b['catalog_loads'])} loads, {int(b['catalog_models'])} models"
    if kind == "max_ns" and "Plan" in b["run_name"]:
        line += f"  {goal / ns:7.1f}x under the goal"
    rates = [k for k in b if k.endswith("_per_s")]
    for k in rates:
        line += f"  {k}: {b[k]:,.0f}"
        if kind == "min_rate":
            line += f" ({b[k] / goal:.2f}x the goal)"
    print(line)
