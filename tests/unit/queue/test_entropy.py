"""Random bytes for ids and nonces come from a pool read a block at a time.

What a user would notice if this went wrong: two records with one AES-GCM nonce (a forked
process repeating its parent's bytes, or two threads given the same slice), which lets an
attacker recover the authentication key; or ids that collide.
"""

from __future__ import annotations

import os
import threading

from kiosk.offline_queue import entropy


def test_bytes_are_never_handed_out_twice_across_threads() -> None:
    got: list[bytes] = []
    lock = threading.Lock()

    def worker() -> None:
        mine = [entropy.take(22) for _ in range(500)]
        with lock:
            got.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 2000 and all(len(b) == 22 for b in got)
    assert len(set(got)) == len(got)


def test_a_forked_child_does_not_repeat_its_parents_bytes() -> None:
    entropy.take(1)  # the pool now holds bytes the parent will hand out next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report what it would use for its next record
        os.write(write, entropy.take(22))
        os._exit(0)
    os.close(write)
    child = os.read(read, 22)
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 22
    assert child != entropy.take(22)


def test_a_request_larger_than_the_block_is_served_whole() -> None:
    big = entropy.take(10_000)
    assert len(big) == 10_000 and big != entropy.take(10_000)
