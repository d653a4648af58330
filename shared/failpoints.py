"""Named places where the fault tests make a process crash on purpose.

``ORTAK_FAILPOINTS=outbox.before_relay`` makes a process exit at once when it reaches that
place, as a power cut would; nothing sets it outside the fault suite.
"""
import os

ACTIVE = frozenset(filter(None, os.environ.get("ORTAK_FAILPOINTS", "").split(",")))
CRASHED = 70


def reach(name):
    if name in ACTIVE:
        os._exit(CRASHED)
