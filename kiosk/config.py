"""Site configuration: TOML profiles merged over built-in defaults into frozen dataclasses.

Every field has a default and a one-line doc (``metadata["doc"]``, with its unit).  A profile
only states what differs from the defaults.  Loading validates every key and type; a bad file
raises :class:`~kiosk.errors.ConfigError` naming the file, the key, what was expected and what
was found.  Sections that belong to one subsystem (queue, sync, egate, ...) live here too so
that the whole site is described, checked and documented in one place.
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from kiosk.errors import ConfigError

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def doc(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with a one-line documentation string (unit included)."""
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


@dataclass(frozen=True)
class KioskSection:
    """Who this unit is and what it does."""

    id: str = doc("unit identifier sent to the central platform", "KSK-DEV-0001")
    mode: Literal["kiosk", "egate"] = doc("application mode of this unit", "kiosk")
    site_name_ar: str = doc("site name shown on screens, Arabic", "كشك الخدمات الذاتية")
    site_name_en: str = doc("site name shown on screens, English", "Self-service kiosk")
    data_dir: str = doc("directory for queue, keys and logs (relative to the working dir)", "var")


@dataclass(frozen=True)
class UiSection:
    """Screen, language and accessibility."""

    default_language: Literal["ar", "en"] = doc("language the attract screen starts in", "ar")
    font_family: str = doc("font requested by name; DejaVu Sans is the fallback", "Noto Sans Arabic UI")
    screen_dpi: float = doc("physical dots per inch of the touchscreen", 96.0)
    touch_target_mm: float = doc("smallest touch target edge, millimetres", 15.0)
    fullscreen: bool = doc("frameless full screen (false only for development)", True)
    large_text: bool = doc("start with large text on", False)
    high_contrast: bool = doc("start with high contrast on", False)
    maintenance_taps: int = doc("taps in the top corner that open maintenance login, count", 5)
    maintenance_tap_window_s: float = doc("time window for the maintenance taps, seconds", 3.0)


@dataclass(frozen=True)
class IdleSection:
    """When a person walks away."""

    timeout_s: float = doc("seconds without a touch before the idle warning", 60.0)
    warning_s: float = doc("countdown of the idle warning, seconds (at least 20)", 30.0)
    max_extensions: int = doc("times 'more time' may be pressed in one session (at least 10)", 10)


@dataclass(frozen=True)
class DeviceConfig:
    """One device: which driver talks to it and where."""

    driver: str = doc("adapter name in the device registry, e.g. 'zfm-serial' or 'simulator'", "simulator")
    port: str = doc("serial path, 'host:port', PC/SC reader name or camera index", "")
    required: bool = doc("the unit is out of service while this device is offline", False)
    timeout_s: float = doc("per-call timeout, seconds", 5.0)
    options: dict[str, Any] = doc("driver-specific options", factory=dict)


@dataclass(frozen=True)
class QueueSection:
    """The durable offline outbox."""

    path: str = doc("SQLite file of the queue, relative to data_dir", "queue.sqlite3")
    key_file: str = doc("AES-256 key file (0600), relative to data_dir", "queue.key")
    max_attempts: int = doc("delivery attempts before a record is dead-lettered, count", 20)
    max_age_h: float = doc("age after which an undelivered record is dead-lettered, hours", 24.0 * 30)
    retention_h: float = doc("how long acked records are kept, hours", 24.0 * 7)
    size_cap_mb: float = doc("largest queue file before QueueFull, MiB", 2048.0)
    backoff_base_s: float = doc("first retry delay, seconds (doubles per attempt, full jitter)", 1.0)
    backoff_max_s: float = doc("largest retry delay, seconds", 600.0)


@dataclass(frozen=True)
class SyncSection:
    """The link to the central platform."""

    server_url: str = doc("base URL of the central platform (https only)", "https://127.0.0.1:8443")
    ca_file: str = doc("PEM CA the server certificate must chain to (pinned)", "")
    client_cert: str = doc("PEM client certificate for mutual TLS (optional)", "")
    client_key: str = doc("PEM client key for mutual TLS (optional)", "")
    secret_file: str = doc("file holding this kiosk's HMAC secret", "")
    batch_max_items: int = doc("items per upload, count (server limit 500)", 500)
    batch_max_bytes: int = doc("bytes per upload, bytes (server limit 1 MiB)", 1024 * 1024)
    heartbeat_s: float = doc("interval between heartbeats, seconds", 30.0)
    request_timeout_s: float = doc("timeout of one HTTP request, seconds", 10.0)
    backoff_min_s: float = doc("shortest back-off after a failure, seconds", 1.0)
    backoff_max_s: float = doc("longest back-off after a failure, seconds", 60.0)


@dataclass(frozen=True)
class LoggingSection:
    """Where logs go."""

    dir: str = doc("log directory, relative to data_dir", "logs")
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = doc("lowest level logged", "INFO")
    max_bytes: int = doc("size of one JSON log file before rotation, bytes", 5 * 1024 * 1024)
    backups: int = doc("rotated log files kept, count", 10)


@dataclass(frozen=True)
class EgateSection:
    """Border gate verification."""

    face_threshold: float = doc("largest face descriptor distance accepted as a match", 0.5)
    face_target_fmr: float = doc("false-match rate the threshold targets, fraction", 0.001)
    master_list_dir: str = doc("folder of trusted CSCA certificates (PEM/DER) and CRLs", "")
    chip_reader: str = doc("PC/SC reader name of the passport chip reader ('' = first)", "")
    max_process_s: float = doc("time a traveller may take before referral to an officer, seconds", 30.0)


@dataclass(frozen=True)
class Config:
    """The whole site configuration."""

    kiosk: KioskSection = doc("this unit", factory=KioskSection)
    ui: UiSection = doc("screen and accessibility", factory=UiSection)
    idle: IdleSection = doc("idle and wipe policy", factory=IdleSection)
    devices: dict[str, DeviceConfig] = doc("devices by kind", factory=dict)
    queue: QueueSection = doc("offline queue", factory=QueueSection)
    sync: SyncSection = doc("central platform link", factory=SyncSection)
    logging: LoggingSection = doc("logging", factory=LoggingSection)
    egate: EgateSection = doc("e-gate verification", factory=EgateSection)
    source: str = doc("file this configuration was loaded from ('' = defaults)", "")

    @property
    def data_dir(self) -> Path:
        """The data directory as a path."""
        return Path(self.kiosk.data_dir)


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if dataclasses.is_dataclass(tp):
        return "a table"
    if origin is dict:
        return "a table"
    if origin in (list, tuple):
        return "a list"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(
        tp, str(tp)
    )


def _convert(value: Any, tp: Any, key: str, file: str) -> Any:
    """Check ``value`` against type ``tp`` and convert it (tables become dataclasses)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        return _convert(value, args[0], key, file)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(file, key, _type_name(tp), value)
        return value
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise ConfigError(file, key, "a table", value)
        return _build(tp, value, key, file)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(file, key, "a table", value)
        _, vt = typing.get_args(tp)
        if vt is Any:
            return dict(value)
        return {k: _convert(v, vt, f"{key}.{k}", file) for k, v in value.items()}
    if origin in (list, tuple):
        if not isinstance(value, list):
            raise ConfigError(file, key, "a list", value)
        (et, *_) = typing.get_args(tp)
        return tuple(_convert(v, et, f"{key}[{i}]", file) for i, v in enumerate(value))
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(file, key, "a number", value)
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(file, key, "an integer", value)
        return value
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(file, key, "true or false", value)
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(file, key, "a string", value)
        return value
    return value


def _build(cls: Any, table: dict[str, Any], prefix: str, file: str) -> Any:
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls) if f.init}
    for k in table:
        if k not in names:
            where = f"{prefix}.{k}" if prefix else k
            raise ConfigError(file, where, "one of " + ", ".join(sorted(names)), k, "unknown key")
    kwargs = {}
    for k, v in table.items():
        kwargs[k] = _convert(v, hints[k], f"{prefix}.{k}" if prefix else k, file)
    return cls(**kwargs)


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _merge(out[k], v)
        else:
            out[k] = v
    return out


def _check_ranges(cfg: Config, file: str) -> None:
    """Checks that cross the type system: ranges the issues set as floors."""
    if cfg.idle.warning_s < 20:
        raise ConfigError(file, "idle.warning_s", "at least 20 seconds", cfg.idle.warning_s)
    if cfg.idle.max_extensions < 10:
        raise ConfigError(file, "idle.max_extensions", "at least 10", cfg.idle.max_extensions)
    if cfg.idle.timeout_s <= 0:
        raise ConfigError(file, "idle.timeout_s", "a positive number of seconds", cfg.idle.timeout_s)
    if cfg.ui.screen_dpi <= 0:
        raise ConfigError(file, "ui.screen_dpi", "a positive number", cfg.ui.screen_dpi)
    if not cfg.sync.server_url.startswith("https://"):
        raise ConfigError(file, "sync.server_url", "an https:// URL", cfg.sync.server_url)
    if not 1 <= cfg.sync.batch_max_items <= 500:
        raise ConfigError(file, "sync.batch_max_items", "1 to 500", cfg.sync.batch_max_items)


def parse_config(table: dict[str, Any], file: str = "<defaults>") -> Config:
    """Build and validate a :class:`Config` from an already-parsed TOML table."""
    cfg: Config = _build(Config, {**table, "source": file}, "", file)
    _check_ranges(cfg, file)
    return cfg


def load_config(path: str | Path | None = None, overrides: dict[str, Any] | None = None) -> Config:
    """Load a site profile merged over the built-in defaults.

    ``overrides`` (a nested dict) is merged last, e.g. by command-line flags.
    Raises :class:`ConfigError` for a missing, unreadable or invalid file.
    """
    table: dict[str, Any] = {}
    file = "<defaults>"
    if path is not None:
        file = str(path)
        try:
            with open(path, "rb") as fh:
                table = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(file, "(file)", "an existing TOML file", "no such file") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(file, "(syntax)", "valid TOML", str(exc)) from None
        except OSError as exc:
            raise ConfigError(file, "(file)", "a readable file", exc.strerror) from None
    if overrides:
        table = _merge(table, overrides)
    return parse_config(table, file)


def describe(cls: Any = Config, prefix: str = "") -> list[tuple[str, str, Any, str]]:
    """Every key as (dotted name, type, default, doc), for docs and `bawaba config show`."""
    rows: list[tuple[str, str, Any, str]] = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name == "source":
            continue
        name = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            rows.extend(describe(tp, name + "."))
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()  # type: ignore[operator]
        rows.append((name, _type_name(tp), default, f.metadata.get("doc", "")))
        if typing.get_origin(tp) is dict and dataclasses.is_dataclass(typing.get_args(tp)[1]):
            rows.extend(describe(typing.get_args(tp)[1], name + ".<kind>."))
    return rows
