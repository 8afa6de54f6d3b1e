#!/usr/bin/env python3
"""The independent oracle of `scripts/bench ovn`: when are all the named logical switch ports up?

usage: ovn_up_watch.py NB_REMOTE NAMES_FILE READY_FILE TIMEOUT_S

Follows the Northbound Logical_Switch_Port table through `ovsdb-client monitor` (JSON format, one
update per line; `--timestamp` is not used, as ovsdb-client 3.1 crashes with it in JSON format) and
stamps each update with the wall clock as it arrives. Writes READY_FILE once the initial dump is in
(the bench starts timing only then), then prints, in nanoseconds since the epoch, when the last of
the names in NAMES_FILE (one per line) was seen up, and exits 0; exits 1 after TIMEOUT_S with how
many are up.
"""
import json
import subprocess
import sys
import time

remote, names_file, ready_file, timeout = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
wanted = set(line.strip() for line in open(names_file) if line.strip())
monitor = subprocess.Popen(
    ["stdbuf", "-oL", "ovsdb-client", "--format=json", "monitor", remote, "OVN_Northbound", "Logical_Switch_Port",
     "name,up"], stdout=subprocess.PIPE, text=True)
rows = {}  # uuid -> [name, up]
up = set()
deadline = time.monotonic() + timeout


def apply_update(data):
    pending_old = None
    for uuid, action, name, value in data:
        if action in ("initial", "insert"):
            rows[uuid] = [name, value is True]
        elif action == "delete":
            rows.pop(uuid, None)
        elif action == "old":
            pending_old = uuid
        elif action == "new" and pending_old in rows:
            if name is not None:
                rows[pending_old][0] = name
            rows[pending_old][1] = value is True
    up.clear()
    up.update(name for name, is_up in rows.values() if is_up and name in wanted)


first = True
for line in monitor.stdout:
    stamp = time.time_ns()
    line = line.strip()
    if not line.startswith("{"):
        continue
    apply_update(json.loads(line)["data"])
    if first:
        first = False
        open(ready_file, "w").write("%d\n" % stamp)
    if up >= wanted:
        print(stamp)
        monitor.terminate()
        sys.exit(0)
    if time.monotonic() > deadline:
        break
monitor.terminate()
print("ovn_up_watch: %d of %d ports up after %.0f s" % (len(up), len(wanted), timeout), file=sys.stderr)
sys.exit(1)
