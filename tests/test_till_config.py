"""[till]: the bills and coins per currency and the approval threshold, refused by name when wrong."""

import pytest

from kiosk.config import ConfigError, load_config, store_settings
from pos.store import USD_DENOMINATIONS, Denomination


def test_defaults_count_us_bills_and_coins(tmp_path):
    """A USD store counts US bills and coins, highest first, and approves over/short above $5.00."""
    rules = store_settings(load_config(tmp_path, environ={})).till
    assert rules.denominations == USD_DENOMINATIONS
    assert rules.approval_threshold_minor == 500


def test_a_store_in_another_currency_lists_its_own(tmp_path):
    """A euro store names its notes and coins under its currency; the environment may add or change them."""
    (tmp_path / "kiosk.toml").write_text('[store]\ncurrency = "EUR"\n[till]\napproval_threshold_minor = 1000\n'
                                         '[till.denominations.EUR]\nbills = [500, 2000, 1000]\ncoins = [200, 1]\n')
    config = load_config(tmp_path, environ={"KIOSK_TILL__DENOMINATIONS__EUR__COINS": "[200, 100, 1]"})
    rules = store_settings(config).till
    assert rules.denominations == (Denomination("bill", 2000), Denomination("bill", 1000), Denomination("bill", 500),
                                   Denomination("coin", 200), Denomination("coin", 100), Denomination("coin", 1))
    assert rules.approval_threshold_minor == 1000


@pytest.mark.parametrize(("toml", "names"), [
    ('[till]\napproval_threshold_minor = -1\n', "till.approval_threshold_minor"),
    ('[till]\napproval_threshold_minor = "5.00"\n', "till.approval_threshold_minor"),
    ('[till]\napproval_threshold_minor = 100000001\n', "till.approval_threshold_minor"),
    ('[till]\nthreshold = 5\n', "till.threshold"),
    ('[till.denominations.USD]\nbills = [2000, 0]\n', "till.denominations.USD.bills"),
    ('[till.denominations.USD]\ncoins = [25, 25]\n', "till.denominations.USD.coins"),
    ('[till.denominations.USD]\ncoins = [0.25]\n', "till.denominations.USD.coins"),
    ('[till.denominations.USD]\ncoins = ["25"]\n', "till.denominations.USD.coins"),
    ('[till.denominations.USD]\nbills = [2000]\nnotes = [1]\n', "till.denominations.USD.notes"),
    ('[till.denominations]\nUSD = 5\n', "till.denominations.USD"),
    ('[till.denominations.Euro]\nbills = [500]\n', "till.denominations.EURO"),
    ('[till.denominations.USD]\nbills = []\ncoins = []\n', "till.denominations.USD"),
    ('[store]\ncurrency = "EUR"\n', "till.denominations.EUR"),
])
def test_bad_till_settings_name_the_key(tmp_path, toml, names):
    """A wrong threshold, denomination or a currency without its bills and coins stops start-up, naming the key."""
    (tmp_path / "kiosk.toml").write_text(toml)
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path, environ={})
    assert names in str(err.value)
