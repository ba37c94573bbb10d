"""Device settings: the [printer] and [scanner] tables, per-terminal overrides, and their checks.

``[printer]`` and ``[scanner]`` are the devices of this server's terminal (``server.terminal``).
A ``[[terminals]]`` entry may carry ``printer`` and ``scanner`` tables: for that terminal they
override the top-level tables key by key (and give a terminal other than the server's its devices).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drivers.printer import PrinterConfig

from ..config import ConfigError, _check_type

SCANNER_KINDS = ("none", "serial")
#: Config keys whose empty string means "not set" (TOML has no null).
_OPTIONAL = ("path", "host", "usb_vendor", "usb_product", "profile")


@dataclass(frozen=True)
class ScannerSettings:
    """A serial barcode scanner: where it is and how fast it talks."""

    kind: str = "none"
    path: str = ""
    baudrate: int = 9600


def _table(config: dict, section: str, index: int | None, terminal: dict | None) -> tuple[dict, str]:
    """The effective table for a terminal and the config name to blame in messages."""
    values = dict(config[section])
    name = section
    override = (terminal or {}).get(section)
    if override is not None:
        name = f"terminals[{index}].{section}"
        if not isinstance(override, dict):
            raise ConfigError(f"'{name}' must be a table")
        for key, value in override.items():
            if key not in values:
                raise ConfigError(f"unknown configuration key '{name}.{key}'")
            values[key] = _check_type(f"{name}.{key}", values[key], value)
    return values, name


def _terminal_entry(config: dict, code: str) -> tuple[int | None, dict | None]:
    for i, terminal in enumerate(config["terminals"]):
        if terminal.get("code") == code:
            return i, terminal
    return None, None


def _has_devices(config: dict, code: str, section: str) -> bool:
    _i, terminal = _terminal_entry(config, code)
    return code == config["server"]["terminal"] or bool(terminal and section in terminal)


def printer_config(config: dict, code: str) -> PrinterConfig:
    """The printer of terminal ``code`` (kind 'none' when it has none); raises ConfigError naming the key."""
    if not _has_devices(config, code, "printer"):
        return PrinterConfig()
    index, terminal = _terminal_entry(config, code)
    values, name = _table(config, "printer", index, terminal)
    values = {k: (None if k in _OPTIONAL and v == "" else v) for k, v in values.items()}
    try:
        return PrinterConfig.from_dict(values)
    except ValueError as exc:
        problem = str(exc).removeprefix("printer config: ").split("; ")[0]
        key = next((k for k in values if re.search(rf"\b{k}\b", problem)), None)
        if key is None and "needs a" in problem:
            key = "host" if "host" in problem else "path"
        raise ConfigError(f"'{name}.{key}': {problem}" if key else f"'{name}': {problem}") from None


def scanner_settings(config: dict, code: str) -> ScannerSettings:
    """The scanner of terminal ``code`` (kind 'none' when it has none); raises ConfigError naming the key."""
    if not _has_devices(config, code, "scanner"):
        return ScannerSettings()
    index, terminal = _terminal_entry(config, code)
    values, name = _table(config, "scanner", index, terminal)
    if values["kind"] not in SCANNER_KINDS:
        raise ConfigError(f"'{name}.kind' must be one of {', '.join(SCANNER_KINDS)}, not {values['kind']!r}")
    if values["kind"] == "serial" and not values["path"]:
        raise ConfigError(f"'{name}.path' is required for a serial scanner (use /dev/serial/by-id/...)")
    if values["baudrate"] <= 0:
        raise ConfigError(f"'{name}.baudrate' must be a positive number")
    return ScannerSettings(**values)


def validate_devices(config: dict) -> None:
    """Check every terminal's printer and scanner settings; raises ConfigError naming the key."""
    for terminal in config["terminals"]:
        printer_config(config, terminal["code"])
        scanner_settings(config, terminal["code"])


def device_terminals(config: dict) -> list[str]:
    """Codes of the terminals this server runs devices for: its own, then any with their own tables."""
    codes = [config["server"]["terminal"]]
    codes += [t["code"] for t in config["terminals"]
              if t["code"] not in codes and ("printer" in t or "scanner" in t)]
    return codes
