"""The Python IDL (python3-openvswitch) doing the benchmark's transaction, for scripts/bench.

Usage: idl_insert.py SCHEMA DB N TRIALS  -> prints "python <seconds>" per trial.
Only the transaction (row building + commit_block) is timed; connecting and the initial sync are not.
"""
import sys
import time

import ovs.db.idl
import ovs.poller


def wait_until(idl, predicate):
    while not predicate():
        idl.run()
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(100)
        poller.block()


def main():
    schema_path, remote, count, trials = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    helper = ovs.db.idl.SchemaHelper(schema_path)
    helper.register_columns("Open_vSwitch", ["bridges"])
    helper.register_columns("Bridge", ["name", "ports"])
    helper.register_columns("Port", ["name", "tag", "interfaces"])
    helper.register_columns("Interface", ["name", "type"])
    idl = ovs.db.idl.Idl(remote, helper)
    wait_until(idl, lambda: idl.has_ever_connected() and idl.change_seqno > 0)
    for trial in range(trials):
        bridge_name = "pybench%d" % trial
        start = time.perf_counter()
        txn = ovs.db.idl.Transaction(idl)
        ports = []
        for i in range(count):
            iface = txn.insert(idl.tables["Interface"])
            iface.name = "bp%d" % i
            iface.type = "internal"
            port = txn.insert(idl.tables["Port"])
            port.name = "bp%d" % i
            port.tag = 120
            port.interfaces = [iface]
            ports.append(port)
        bridge = txn.insert(idl.tables["Bridge"])
        bridge.name = bridge_name
        bridge.ports = ports
        root = next(iter(idl.tables["Open_vSwitch"].rows.values()))
        root.addvalue("bridges", bridge.uuid)
        status = txn.commit_block()
        elapsed = time.perf_counter() - start
        if status != ovs.db.idl.Transaction.SUCCESS:
            sys.exit("python IDL commit failed: %s %s" % (status, txn.get_error()))
        print("python %.6f" % elapsed, flush=True)
        # Undo, untimed, so every trial starts from the same database.
        wait_until(idl, lambda: any(b.name == bridge_name for b in idl.tables["Bridge"].rows.values()))
        txn = ovs.db.idl.Transaction(idl)
        root = next(iter(idl.tables["Open_vSwitch"].rows.values()))
        for b in list(idl.tables["Bridge"].rows.values()):
            if b.name == bridge_name:
                root.delvalue("bridges", b.uuid)
        if txn.commit_block() != ovs.db.idl.Transaction.SUCCESS:
            sys.exit("python IDL cleanup failed")
    idl.close()


if __name__ == "__main__":
    main()
