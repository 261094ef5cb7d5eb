"""Types of the C module _speedups.c (the biometric guard's walk and the UUIDv7 text)."""

from collections.abc import Callable
from typing import Any

def set_walk_hooks(
    clean_keys: set[str],
    on_keys: Callable[[dict[Any, Any]], None],
    on_long_str: Callable[[str], None],
    on_long_list: Callable[[Any], None],
    on_bad_float: Callable[[float], None],
    on_other: Callable[[Any, list[Any]], None],
    min_chars: int,
    min_items: int,
    /,
) -> None: ...
def walk(payload: Any, /) -> None: ...
def uuid7_text(head: int, entropy: bytes, /) -> str: ...
