"""Python's json module decoding a captured monitor dump, the baseline for the Swift decoder.

Usage: json_decode.py FILE TRIALS -> prints "pyjson <seconds>" per trial.
"""
import json
import sys
import time

data = open(sys.argv[1], "rb").read()
for _ in range(int(sys.argv[2])):
    start = time.perf_counter()
    json.loads(data)
    print("pyjson %.6f" % (time.perf_counter() - start), flush=True)
