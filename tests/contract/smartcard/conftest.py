"""Smart-card contract fixtures: a private pcscd with a vpcd reader, shared by the session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.devices.smartcard import pcscd_ns

# libpcsclite reads PCSCLITE_CSOCK_NAME once per process, at its first call: claim the private
# socket before any test in this process touches PC/SC (this sets an environment variable only).
pcscd_ns.claim_socket_env()


@pytest.fixture(scope="session")
def pcscd_env() -> Iterator[pcscd_ns.PcscdEnv]:
    """A private pcscd (own mount namespace, own socket, own vpcd port) for the whole session."""
    try:
        with pcscd_ns.private_pcscd() as env:
            yield env
    except pcscd_ns.NamespaceForbidden as exc:
        pytest.skip(f"mount namespaces are forbidden here, so no private pcscd: {exc}")
