"""Python's csv.DictReader kept in a list: the way the production system this is modelled on reads CSV."""
import csv
import json
import resource
import sys
import time

started = time.perf_counter()
cpu = time.process_time()
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
ms = (time.perf_counter() - started) * 1000
cpu_ms = (time.process_time() - cpu) * 1000
print(json.dumps({"ms": ms, "cpuMs": cpu_ms, "count": len(rows), "unit": "rows", "maxRssMB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
