"""The configuration keys of the cost features: national tables, [billing], [practice]."""

from __future__ import annotations

import pytest

from modemd.config import parse_config
from modemd.errors import ConfigError


def test_defaults() -> None:
    cfg = parse_config({})
    assert cfg.sms.national_language_tables == ()
    assert (cfg.billing.model, cfg.billing.price_per_sms, cfg.billing.currency) == \
        ("per_sms", 0.08, "EUR")
    assert (cfg.billing.package_size, cfg.billing.package_price) == (150, 12.0)
    assert (cfg.practice.name, cfg.practice.phone, cfg.practice.booking_link) == ("", "", "")


def test_values_are_normalised() -> None:
    cfg = parse_config({"sms": {"national_language_tables": ["TR", "pt", "tr"]},
                        "billing": {"model": "package", "currency": "chf"},
                        "practice": {"name": "Praxis Dr. Beispiel"}})
    assert cfg.sms.national_language_tables == ("tr", "pt")
    assert (cfg.billing.model, cfg.billing.currency) == ("package", "CHF")


def test_every_bad_key_is_named() -> None:
    with pytest.raises(ConfigError) as exc:
        parse_config({"sms": {"national_language_tables": ["de"]},
                      "billing": {"model": "flat", "price_per_sms": -1, "package_size": 0,
                                  "currency": "Euro", "packages": 2},
                      "practice": {"phone": "030\n123"}})
    problems = "\n".join(exc.value.problems)
    for key in ("sms.national_language_tables", "billing.model", "billing.price_per_sms",
                "billing.package_size", "billing.currency", "billing.packages",
                "practice.phone"):
        assert key in problems, key
