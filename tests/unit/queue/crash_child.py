"""Child process of the SIGKILL crash tests (run as a script, not collected by pytest).

``crash_child.py enqueue DB`` enqueues forever, printing each id (or each batch of ids) only
after enqueue returned.  ``crash_child.py drain DB`` claims and acks forever, printing
``C ids`` after each claim and ``A ids`` after each ack.  The key comes from
BAWABA_QUEUE_KEY.  The parent kills it with SIGKILL at random moments.
"""

from __future__ import annotations

import random
import sys

from kiosk.offline_queue.queue import OfflineQueue


def main() -> None:
    mode, db = sys.argv[1], sys.argv[2]
    rng = random.Random()
    q = OfflineQueue(db)
    print("ready", flush=True)
    i = 0
    while True:
        if mode == "enqueue":
            if i % 4 == 3:
                ids = q.enqueue_many([("tx.crash", {"i": i, "b": j}) for j in range(3)])
            else:
                ids = [q.enqueue("tx.crash", {"i": i, "pad": "x" * rng.randrange(2000)})]
            print("E " + " ".join(ids), flush=True)
        else:
            recs = q.claim(rng.randrange(1, 9))
            if not recs:
                print("empty", flush=True)
                return
            ids = [r.id for r in recs]
            print("C " + " ".join(ids), flush=True)
            q.ack(ids)
            print("A " + " ".join(ids), flush=True)
        i += 1


if __name__ == "__main__":
    main()
