"""National-ID smart card over PC/SC: APDU transport, card layout, pcsc adapter, vpcd card emulator."""
