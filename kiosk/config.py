"""Configuration: shipped defaults, the instance's kiosk.toml, then KIOSK_* environment variables.

Defaults live in one place (config/defaults.toml, which documents every key). Anything not in
the defaults is refused by name, and so is a value of the wrong type or shape: a store with a
typo in its config must not start selling with a silently different setting.
"""

from __future__ import annotations

import copy
import os
import re
import secrets
import tempfile
import tomllib
from decimal import Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

from pos.models.terminal import TERMINAL_KINDS
from pos.money import max_minor
from pos.store import ChargeRule, Denomination, StoreSettings, TillRules

from .private_files import make_instance_folder, private_umask

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "config" / "defaults.toml"
ENV_PREFIX = "KIOSK_"
#: Keys allowed in each item of an array of tables; the defaults may show only some of them.
TABLE_ARRAY_KEYS = {
    ("store", "charges"): {"code", "name", "name_zh", "name_es", "kind", "rate_percent", "amount_minor"},
    ("terminals",): {"code", "name", "kind", "printer", "scanner",  # printer/scanner: kiosk.devices.settings
                     "approval_code_pattern", "approval_code_example"},  # kiosk.payment_settings
}
#: Tables whose keys the store names (a currency code each), with the keys each entry may hold.
OPEN_TABLES = {"till.denominations": {"bills", "coins"}}
_TERMINAL_CODE = re.compile(r"^[A-Z0-9]{1,8}$")
_STORE_ID = re.compile(r"^[A-Za-z0-9\-]{1,40}$")


class ConfigError(Exception):
    """The configuration is wrong; the message names the key and says what is expected."""


def instance_path() -> Path:
    """The instance folder: ``KIOSK_INSTANCE`` or ``./instance``, as an absolute path."""
    return Path(os.environ.get("KIOSK_INSTANCE") or "instance").resolve()


def _merge(base: dict, override: dict, where: str) -> None:
    for key, value in override.items():
        if where in OPEN_TABLES:
            _merge_open_entry(base, key.upper(), value, where)  # upper: environment names arrive lower-cased
            continue
        name = f"{where}.{key}" if where else key
        if key not in base:
            raise ConfigError(f"unknown configuration key '{name}'")
        default = base[key]
        if isinstance(default, dict):
            if not isinstance(value, dict):
                raise ConfigError(f"'{name}' must be a table ([{name}])")
            _merge(default, value, name)
        else:
            base[key] = _check_type(name, default, value)


def _merge_open_entry(base: dict, key: str, value: object, where: str) -> None:
    name = f"{where}.{key}"
    if not isinstance(value, dict):
        raise ConfigError(f"'{name}' must be a table ([{name}])")
    entry = base.setdefault(key, {})
    for item, items in value.items():
        if item not in OPEN_TABLES[where]:
            raise ConfigError(f"unknown configuration key '{name}.{item}'")
        entry[item] = items


def _check_type(name: str, default: object, value: object) -> object:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"'{name}' must be true or false, not {value!r}")
    elif isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"'{name}' must be a whole number, not {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str):
            raise ConfigError(f"'{name}' must be a string, not {value!r}")
    elif isinstance(default, list):
        if not isinstance(value, list):
            raise ConfigError(f"'{name}' must be a list, not {value!r}")
        path = tuple(name.split("."))
        if path in TABLE_ARRAY_KEYS:
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    raise ConfigError(f"'{name}[{i}]' must be a table")
                unknown = set(item) - TABLE_ARRAY_KEYS[path]
                if unknown:
                    raise ConfigError(f"unknown configuration key '{name}[{i}].{sorted(unknown)[0]}'")
        elif not all(isinstance(v, str) for v in value):
            raise ConfigError(f"'{name}' must be a list of strings")
    return value


def _env_overrides(environ: dict[str, str]) -> dict:
    result: dict = {}
    for var, raw in environ.items():
        if not var.startswith(ENV_PREFIX) or var == "KIOSK_INSTANCE" or "__" not in var:
            continue
        parts = [p.lower() for p in var[len(ENV_PREFIX):].split("__")]
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        node = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return result


def load_config(instance: Path, overrides: dict | None = None, environ: dict[str, str] | None = None) -> dict:
    """Defaults, then ``instance/kiosk.toml``, then the environment, then ``overrides`` (tests)."""
    with DEFAULTS_PATH.open("rb") as fh:
        config = tomllib.load(fh)
    defaults = copy.deepcopy(config)
    local = instance / "kiosk.toml"
    if local.exists():
        try:
            with local.open("rb") as fh:
                _merge(config, tomllib.load(fh), "")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{local} is not valid TOML: {exc}") from None
    _merge(config, _env_overrides(dict(os.environ if environ is None else environ)), "")
    if overrides:
        _merge(config, copy.deepcopy(overrides), "")
    validate(config)
    config["_defaults"] = defaults
    return config


def validate(config: dict) -> None:
    """Check values whose type alone does not make them right."""
    store = config["store"]
    if not _STORE_ID.match(store["id"]):
        raise ConfigError("'store.id' must be 1-40 letters, digits or dashes")
    try:
        ZoneInfo(store["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"'store.timezone' is not a known time zone: {store['timezone']!r}") from None
    if not re.fullmatch(r"[A-Z]{3}", store["currency"]):
        raise ConfigError(f"'store.currency' must be an ISO 4217 code like USD, not {store['currency']!r}")
    if store["default_region"] not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"'store.default_region' is not a region code: {store['default_region']!r}")
    for i, charge in enumerate(store["charges"]):
        _validate_charge(charge, f"store.charges[{i}]")
    codes = []
    for i, terminal in enumerate(config["terminals"]):
        if not _TERMINAL_CODE.match(str(terminal.get("code", ""))):
            raise ConfigError(f"'terminals[{i}].code' must be 1-8 capital letters or digits")
        if terminal.get("kind", "counter") not in TERMINAL_KINDS:
            raise ConfigError(f"'terminals[{i}].kind' must be counter or kiosk")
        codes.append(terminal["code"])
    if config["server"]["terminal"] not in codes:
        raise ConfigError(f"'server.terminal' names {config['server']['terminal']!r}, which is not in "
                          f"[[terminals]] ({', '.join(codes) or 'none'})")
    if not 1 <= config["server"]["port"] <= 65535:
        raise ConfigError("'server.port' must be between 1 and 65535")
    sec = config["security"]
    for key in ("pin_max_attempts", "pin_lockout_minutes", "login_address_attempts", "login_terminal_attempts",
                "login_max_block_minutes", "session_idle_minutes", "session_max_hours"):
        if sec[key] < 1:
            raise ConfigError(f"'security.{key}' must be at least 1")
    if sec["token_days"] < 0:
        raise ConfigError("'security.token_days' must be 0 (never expire) or more")
    n = sec["pin_scrypt_n"]
    if n < 2 or n & (n - 1):
        raise ConfigError("'security.pin_scrypt_n' must be a power of two")
    for lang in config["ui"]["languages"]:
        # Only languages whose screens are fully translated (tests/test_translations.py checks the catalogs);
        # Spanish strings exist for plan names and come for the screens with the self-service kiosk.
        if lang not in ("en", "zh"):
            raise ConfigError(f"'ui.languages' has {lang!r}; the screens are translated into en and zh")
    from .devices.settings import validate_devices  # here: it imports ConfigError from this module

    validate_devices(config)
    from .carrier_link import validate_carrier

    validate_carrier(config)
    from .server import validate_server  # here: it imports ConfigError from this module

    validate_server(config)
    from .payment_settings import validate_payment

    validate_payment(config, ConfigError)
    _validate_till(config)


def _validate_charge(charge: dict, name: str) -> None:
    for key in ("code", "name", "kind"):
        if not isinstance(charge.get(key), str) or not charge[key]:
            raise ConfigError(f"'{name}.{key}' is required")
    if charge["kind"] == "percent":
        try:
            rate = Decimal(str(charge.get("rate_percent", "")))
        except InvalidOperation:
            raise ConfigError(f"'{name}.rate_percent' must be a number like \"1.5\"") from None
        if not rate.is_finite() or not 0 <= rate <= 100:
            raise ConfigError(f"'{name}.rate_percent' must be between 0 and 100")
    elif charge["kind"] == "fixed":
        amount = charge.get("amount_minor")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            raise ConfigError(f"'{name}.amount_minor' must be a whole number of cents, 0 or more")
    else:
        raise ConfigError(f"'{name}.kind' must be percent or fixed")


def _validate_till(config: dict) -> None:
    till, currency = config["till"], config["store"]["currency"]
    if not 0 <= till["approval_threshold_minor"] <= max_minor(currency):
        raise ConfigError("'till.approval_threshold_minor' must be 0 or more minor units (500 = 5.00), "
                          "at most a million in the store's currency")
    for code, entry in till["denominations"].items():
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise ConfigError(f"'till.denominations.{code}' must be named by a currency code like USD")
        for form in ("bills", "coins"):
            values = entry.get(form, [])
            whole = isinstance(values, list) and all(
                isinstance(v, int) and not isinstance(v, bool) and 0 < v <= max_minor(code) for v in values)
            if not whole or len(set(values)) != len(values):
                raise ConfigError(f"'till.denominations.{code}.{form}' must list each {form[:-1]}'s value once, as a "
                                  f"whole number of minor units above 0 (2000 = 20.00)")
    if not any(till["denominations"].get(currency, {}).values()):
        raise ConfigError(f"'till.denominations.{currency}' must list the bills and coins of store.currency "
                          f"({currency}): add a [till.denominations.{currency}] table")


def till_rules(config: dict) -> TillRules:
    """How the store counts its drawer: the bills and coins of its currency, highest first."""
    entry = config["till"]["denominations"][config["store"]["currency"]]
    return TillRules(denominations=tuple(Denomination(form, value) for form in ("bill", "coin")
                                         for value in sorted(entry.get(form + "s", []), reverse=True)),
                     approval_threshold_minor=config["till"]["approval_threshold_minor"])


def store_settings(config: dict) -> StoreSettings:
    """The core's view of the store, built from validated config."""
    store = config["store"]
    charges = tuple(
        ChargeRule(code=c["code"], name=c["name"], kind=c["kind"],
                   rate_percent=Decimal(str(c.get("rate_percent", "0"))), amount_minor=c.get("amount_minor", 0),
                   names={lang: c[f"name_{lang}"] for lang in ("zh", "es") if c.get(f"name_{lang}")})
        for c in store["charges"])
    return StoreSettings(id=store["id"], name=store["name"], timezone=ZoneInfo(store["timezone"]),
                         currency=store["currency"], default_region=store["default_region"], charges=charges,
                         address=tuple(store["address"]), receipt_header=tuple(store["receipt_header"]),
                         receipt_footer=tuple(store["receipt_footer"]), till=till_rules(config))


def secret_key(instance: Path) -> str:
    """The session signing key, generated into the instance folder on first use (mode 0600)."""
    path = instance / "secret_key"
    if path.exists():
        return path.read_text().strip()
    make_instance_folder(instance)
    key = secrets.token_hex(32)
    # Written whole to a private temporary file (mkstemp: 0600), then linked into place: a process
    # starting at the same moment either wins the link or reads the winner's complete key, never an empty file.
    with private_umask():
        fd, temporary = tempfile.mkstemp(dir=instance, prefix=".secret_key.")
    os.fchmod(fd, 0o600)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        os.link(temporary, path)
    except FileExistsError:
        return path.read_text().strip()
    finally:
        os.unlink(temporary)
    return key


def database_url(config: dict, instance: Path) -> str:
    """The configured database, or SQLite in the instance folder."""
    return config["database"]["url"] or f"sqlite:///{instance / 'kiosk.db'}"
