"""Site profiles load over defaults; bad files fail naming file, key, expected and found."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.config import CONFIG_DIR, Config, describe, load_config
from kiosk.errors import ConfigError

PROFILES = ["mall-kiosk.toml", "airport-kiosk.toml", "egate.toml"]


@pytest.mark.parametrize("name", PROFILES)
def test_shipped_profiles_load(name: str) -> None:
    cfg = load_config(CONFIG_DIR / name)
    assert cfg.kiosk.id and cfg.source.endswith(name)
    assert all(d.driver for d in cfg.devices.values())


def test_profile_overrides_only_what_it_states() -> None:
    cfg = load_config(CONFIG_DIR / "egate.toml")
    assert cfg.kiosk.mode == "egate" and cfg.idle.timeout_s == 30.0
    assert cfg.queue == Config().queue  # untouched sections keep their defaults


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_config().kiosk.id = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("text", "key", "expected", "found"),
    [
        ('[idle]\nwarning_s = "ten"\n', "idle.warning_s", "a number", "'ten'"),
        ("[idle]\nwarning_s = 5\n", "idle.warning_s", "at least 20", "5"),
        ("[kiosk]\nmode = 'bank'\n", "kiosk.mode", "one of 'kiosk', 'egate'", "'bank'"),
        ("[ui]\nfullscreen = 1\n", "ui.fullscreen", "true or false", "1"),
        ("[kiosk]\ncolour = 'red'\n", "kiosk.colour", "one of", "'colour'"),
        ("[devices.printer]\nrequired = 'yes'\n", "devices.printer.required", "true or false", "'yes'"),
        ("[sync]\nserver_url = 'http://x'\n", "sync.server_url", "https://", "'http://x'"),
        ("[kiosk\nid = 1\n", "(syntax)", "valid TOML", ""),
    ],
)
def test_bad_file_names_file_key_expected_found(tmp_path: Path, text: str, key: str, expected: str, found: str) -> None:
    path = tmp_path / "site.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    msg = str(info.value)
    assert str(path) in msg and f"'{key}'" in msg and expected in msg and found in msg


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "absent.toml")


def test_every_key_has_a_doc() -> None:
    rows = describe()
    assert len(rows) > 30
    assert [name for name, _, _, text in rows if not text] == []


def test_cli_config_check_exit_codes(tmp_path: Path) -> None:
    good = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(CONFIG_DIR / "mall-kiosk.toml")],
                          capture_output=True, text=True, check=False)
    assert good.returncode == 0 and "ok" in good.stdout
    bad_file = tmp_path / "bad.toml"
    bad_file.write_text("[queue]\nmax_attempts = 'many'\n")
    bad = subprocess.run([sys.executable, "-m", "kiosk", "config", "check", str(bad_file)],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "queue.max_attempts" in bad.stderr and "an integer" in bad.stderr


def test_docs_list_every_key() -> None:
    text = (Path(__file__).resolve().parents[3] / "docs" / "config.md").read_text()
    missing = [name for name, _, _, _ in describe() if f"`{name}`" not in text]
    assert missing == [], f"docs/config.md is stale (regenerate it): {missing}"
