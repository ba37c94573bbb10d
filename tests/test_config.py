"""Configuration: defaults, instance file, environment, and refusals that name the key."""

import os
import stat

import pytest

from kiosk.config import ConfigError, load_config, secret_key


def test_defaults_load(tmp_path):
    """With nothing configured the shipped defaults are valid."""
    config = load_config(tmp_path, environ={})
    assert config["store"]["currency"] == "USD"
    assert config["server"]["terminal"] == "T01"


def test_instance_file_and_environment_override(tmp_path):
    """kiosk.toml overrides defaults; KIOSK_SECTION__KEY overrides both."""
    (tmp_path / "kiosk.toml").write_text('[store]\nname = "Chinatown SIM"\ntimezone = "America/New_York"\n')
    config = load_config(tmp_path, environ={"KIOSK_STORE__TIMEZONE": "Asia/Shanghai", "KIOSK_SERVER__PORT": "9000"})
    assert config["store"]["name"] == "Chinatown SIM"
    assert config["store"]["timezone"] == "Asia/Shanghai"
    assert config["server"]["port"] == 9000


@pytest.mark.parametrize(("toml", "names"), [
    ('[store]\nnmae = "x"\n', "store.nmae"),
    ('[stor]\nname = "x"\n', "'stor'"),
    ('[store]\ntimezone = "Mars/Olympus"\n', "store.timezone"),
    ('[store]\ncurrency = "dollars"\n', "store.currency"),
    ('[server]\nport = "eighty"\n', "server.port"),
    ('[server]\nterminal = "T99"\n', "server.terminal"),
    ('[security]\npin_scrypt_n = 1000\n', "security.pin_scrypt_n"),
    ('[[store.charges]]\ncode = "x"\nname = "x"\nkind = "percent"\nrate_percent = "lots"\n', "rate_percent"),
    ('[[store.charges]]\ncode = "x"\nname = "x"\nkind = "fixed"\namount_minor = -5\n', "amount_minor"),
    ('[[store.charges]]\ncode = "x"\nname = "x"\nkind = "fixed"\ncolour = 1\n', "colour"),
    ('this is not toml', "not valid TOML"),
    ('[ui]\nlanguages = ["en", "es"]\n', "ui.languages"),
    ('[security]\nsession_max_hours = 0\n', "security.session_max_hours"),
    ('[security]\nlogin_address_attempts = 0\n', "security.login_address_attempts"),
    ('[security]\ntoken_days = -1\n', "security.token_days"),
])
def test_bad_config_names_the_key(tmp_path, toml, names):
    """An unknown key or a bad value stops start-up with a message that names it."""
    (tmp_path / "kiosk.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, environ={})
    assert names in str(err.value)


def test_unknown_environment_key_refused(tmp_path):
    """A misspelt KIOSK_ variable is refused, not ignored."""
    with pytest.raises(ConfigError, match=r"store\.timezon"):
        load_config(tmp_path, environ={"KIOSK_STORE__TIMEZON": "UTC"})


def test_secret_key_generated_once_private(tmp_path):
    """The secret key is created on first use, readable only by its owner, and then reused."""
    first = secret_key(tmp_path)
    assert len(first) == 64
    assert secret_key(tmp_path) == first
    assert stat.S_IMODE(os.stat(tmp_path / "secret_key").st_mode) == 0o600


def test_instance_folder_from_environment(tmp_path, monkeypatch):
    """KIOSK_INSTANCE names the instance folder used by the app."""
    monkeypatch.setenv("KIOSK_INSTANCE", str(tmp_path / "inst"))
    from kiosk import create_app

    app = create_app({"security": {"pin_scrypt_n": 16}})
    assert app.instance_path == str(tmp_path / "inst")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'inst' / 'kiosk.db'}"
