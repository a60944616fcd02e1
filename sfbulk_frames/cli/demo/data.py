"""A realistic, seeded data set for ``sfbulk demo``: Accounts and Contacts that reference them.

Everything is generated column-wise with numpy and polars (no Python loop over rows). A small,
known share of rows is deliberately bad, the way real source systems are:

* Accounts without a Name (REQUIRED_FIELD_MISSING);
* Contacts without a LastName, with a Title longer than 128 characters (STRING_TOO_LONG), with
  a legacy ``Level__c`` value ("Tier 1") the restricted picklist refuses, or pointing at their
  Account through a mistyped external id ("ACC 000042" instead of "ACC-000042").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

__all__ = ["LEGACY_LEVELS", "BadRows", "DemoData", "generate"]

_FIRST = ("Ada", "Alan", "Amara", "Ana", "Arjun", "Ben", "Bianca", "Carlos", "Chen", "Chloe",
          "Dana", "David", "Elena", "Emeka", "Emma", "Fatima", "Felix", "Grace", "Hana", "Hugo",
          "Ines", "Isaac", "Jamal", "Jana", "Jonas", "Julia", "Kai", "Kenji", "Lara", "Leo",
          "Lina", "Lucas", "Maya", "Mateo", "Mei", "Nadia", "Noah", "Nora", "Olga", "Omar",
          "Priya", "Rafael", "Rosa", "Sam", "Sara", "Sofia", "Tariq", "Tom", "Yara", "Zoe")
_LAST = ("Adams", "Ahmed", "Andersen", "Baker", "Bauer", "Chen", "Costa", "Dubois", "Evans",
         "Fischer", "Garcia", "Gonzalez", "Hansen", "Hernandez", "Ito", "Jansen", "Kim", "Kowalski",
         "Lee", "Lopez", "Martin", "Meyer", "Moreau", "Müller", "Nakamura", "Nguyen", "Novak",
         "O'Brien", "Okafor", "Patel", "Petrov", "Rossi", "Santos", "Schmidt", "Silva", "Singh",
         "Smith", "Suzuki", "Tanaka", "Taylor", "Wagner", "Wang", "Weber", "Wilson", "Yamamoto")
_TITLES = ("CEO", "CFO", "CTO", "VP Sales", "VP Marketing", "Head of Data", "Data Engineer",
           "Data Scientist", "Account Manager", "Procurement Lead", "Operations Manager",
           "Software Engineer", "Analyst", "Director of IT", "Office Manager")
_COMPANY_A = ("Blue", "Bright", "Cedar", "Delta", "Evergreen", "First", "Golden", "Harbor", "Iron",
              "Juniper", "Keystone", "Lumen", "Maple", "North", "Orbit", "Pioneer", "Quantum",
              "River", "Summit", "True", "Union", "Vertex", "West", "Zenith")
_COMPANY_B = ("Analytics", "Bakery", "Biotech", "Capital", "Consulting", "Dynamics", "Energy",
              "Foods", "Health", "Industries", "Logistics", "Media", "Motors", "Networks",
              "Pharma", "Retail", "Robotics", "Software", "Systems", "Textiles", "Travel")
_COMPANY_C = ("Inc.", "Ltd", "GmbH", "S.A.", "LLC", "AG", "Co.", "Group", "plc", "K.K.")
_CITIES = (("Berlin", "Germany"), ("Chicago", "United States"), ("Lagos", "Nigeria"),
           ("Lisbon", "Portugal"), ("London", "United Kingdom"), ("Lyon", "France"),
           ("Mumbai", "India"), ("New York", "United States"), ("Osaka", "Japan"),
           ("São Paulo", "Brazil"), ("Seoul", "South Korea"), ("Sydney", "Australia"),
           ("Toronto", "Canada"), ("Warsaw", "Poland"), ("Zürich", "Switzerland"))
_INDUSTRIES = ("Banking", "Biotechnology", "Consulting", "Education", "Energy", "Healthcare",
               "Insurance", "Manufacturing", "Media", "Retail", "Technology")
_TYPES = ("Prospect", "Customer - Direct", "Customer - Channel", "Partner")
_RATINGS = ("Hot", "Warm", "Cold")
_LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_LEVELS = ("Primary", "Secondary", "Tertiary")
_LANGUAGES = ("English", "English;French", "German", "English;German", "Spanish", "Japanese",
              "English;Spanish", "French", "Chinese;English")
_DOMAINS = ("example.com", "example.org", "mail.example.net", "corp.example.com")

LEGACY_LEVELS = {"Tier 1": "Primary", "Tier 2": "Secondary", "Tier 3": "Tertiary"}
"""The old system's level names and the picklist values they mean (used by the fix step)."""


@dataclass(frozen=True)
class BadRows:
    """How many rows of each kind were made bad on purpose."""

    accounts_missing_name: int
    contacts_missing_last_name: int
    contacts_long_title: int
    contacts_legacy_level: int
    contacts_mistyped_account: int

    @property
    def contacts(self) -> int:
        return (self.contacts_missing_last_name + self.contacts_long_title
                + self.contacts_legacy_level + self.contacts_mistyped_account)


@dataclass(frozen=True)
class DemoData:
    accounts: pl.DataFrame
    contacts: pl.DataFrame
    bad: BadRows


def _pick(rng: np.random.Generator, values: tuple[str, ...], n: int) -> pl.Series:
    return pl.Series(values).gather(rng.integers(0, len(values), n))


def _bad_positions(rng: np.random.Generator, n: int, share: float, kinds: int) -> list[np.ndarray]:
    """Disjoint random row positions, ``share`` of ``n`` rows per kind."""
    per_kind = int(n * share)
    chosen = rng.permutation(n)[: per_kind * kinds]
    return [np.sort(chosen[i * per_kind : (i + 1) * per_kind]) for i in range(kinds)]


def _mask(n: int, positions: np.ndarray) -> pl.Series:
    mask = np.zeros(n, dtype=bool)
    mask[positions] = True
    return pl.Series(mask)


def make_accounts(n: int, rng: np.random.Generator, bad_share: float) -> tuple[pl.DataFrame, int]:
    cities = rng.integers(0, len(_CITIES), n)
    frame = pl.DataFrame({"i": np.arange(1, n + 1)}).select(
        pl.format("ACC-{}", pl.col("i").cast(pl.String).str.zfill(6)).alias("ExternalId__c"),
        pl.concat_str([_pick(rng, _COMPANY_A, n).alias("a"), _pick(rng, _COMPANY_B, n).alias("b"),
                       _pick(rng, _COMPANY_C, n).alias("c")], separator=" ").alias("Name"),
        _pick(rng, _INDUSTRIES, n).alias("Industry"),
        _pick(rng, _TYPES, n).alias("Type"),
        _pick(rng, _RATINGS, n).alias("Rating"),
        pl.Series(np.round(rng.lognormal(15, 1.2, n), -3)).alias("AnnualRevenue"),
        pl.Series(rng.integers(1, 50_000, n)).alias("NumberOfEmployees"),
        pl.format("+1 555 01{}", pl.col("i").mod(100_000).cast(pl.String).str.zfill(5))
        .alias("Phone"),
        pl.Series([c for c, _ in _CITIES]).gather(cities).alias("BillingCity"),
        pl.Series([k for _, k in _CITIES]).gather(cities).alias("BillingCountry"),
    )
    frame = frame.with_columns(
        pl.format("https://www.{}.example.com",
                  pl.col("Name").str.to_lowercase().str.replace_all(r"[^a-z0-9]+", "-")
                  .str.strip_chars("-")).alias("Website"),
    )
    (missing,) = _bad_positions(rng, n, bad_share, 1)
    frame = frame.with_columns(
        pl.when(_mask(n, missing)).then(None).otherwise(pl.col("Name")).alias("Name")
    )
    return frame, len(missing)


def make_contacts(n: int, account_ids: pl.Series, rng: np.random.Generator,
                  bad_share: float) -> tuple[pl.DataFrame, list[int]]:
    first = _pick(rng, _FIRST, n)
    last = _pick(rng, _LAST, n)
    birth_days = rng.integers((date(1950, 1, 1) - date(1970, 1, 1)).days,
                              (date(2003, 12, 31) - date(1970, 1, 1)).days, n)
    contacted_ms = rng.integers(1_672_531_200_000, 1_735_689_600_000, n)  # 2023 .. 2025
    children = rng.integers(0, 5, n).astype(float)
    children[rng.random(n) < 0.2] = np.nan
    frame = pl.DataFrame({"i": np.arange(1, n + 1), "FirstName": first, "LastName": last}).select(
        pl.format("CON-{}", pl.col("i").cast(pl.String).str.zfill(7)).alias("ExternalId__c"),
        "FirstName",
        "LastName",
        pl.format("{}.{}{}@{}", pl.col("FirstName").str.to_lowercase(),
                  pl.col("LastName").str.to_lowercase().str.replace_all("ü", "ue")
                  .str.replace_all(r"[^a-z]", ""),
                  pl.col("i"), _pick(rng, _DOMAINS, n)).alias("Email"),
        pl.format("+1 555 02{}", pl.col("i").mod(100_000).cast(pl.String).str.zfill(5))
        .alias("Phone"),
        _pick(rng, _TITLES, n).alias("Title"),
        pl.Series(birth_days).cast(pl.Date).alias("Birthdate"),
        account_ids.gather(rng.integers(0, account_ids.len(), n)).alias("Account.ExternalId__c"),
        _pick(rng, _LEAD_SOURCES, n).alias("LeadSource"),
        _pick(rng, _LEVELS, n).alias("Level__c"),
        _pick(rng, _LANGUAGES, n).alias("Languages__c"),
        pl.Series(rng.random(n) < 0.1).alias("HasOptedOutOfEmail"),
        pl.Series(children).fill_nan(None).cast(pl.Int64).alias("NumberOfChildren__c"),
        pl.Series(np.round(rng.gamma(2.0, 1500.0, n), 2)).alias("AnnualSpend__c"),
        pl.Series(contacted_ms).cast(pl.Datetime("ms", "UTC")).alias("LastContacted__c"),
    )
    no_last, long_title, legacy, mistyped = _bad_positions(rng, n, bad_share / 4, 4)
    legacy_values = pl.Series(list(LEGACY_LEVELS)).gather(rng.integers(0, 3, n))
    frame = frame.with_columns(
        pl.when(_mask(n, no_last)).then(None).otherwise(pl.col("LastName")).alias("LastName"),
        pl.when(_mask(n, long_title))
        .then(pl.format("{} — responsible for {}", pl.col("Title"),
                        pl.lit("procurement, vendor management, contract negotiations, "
                               "budget planning and quarterly business reviews across EMEA")))
        .otherwise(pl.col("Title")).alias("Title"),
        pl.when(_mask(n, legacy)).then(legacy_values).otherwise(pl.col("Level__c"))
        .alias("Level__c"),
        pl.when(_mask(n, mistyped))
        .then(pl.col("Account.ExternalId__c").str.replace("-", " ", literal=True))
        .otherwise(pl.col("Account.ExternalId__c")).alias("Account.ExternalId__c"),
    )
    return frame, [len(no_last), len(long_title), len(legacy), len(mistyped)]


def generate(accounts: int, contacts: int, *, seed: int = 7, bad_share: float = 0.04) -> DemoData:
    """Accounts and Contacts (``bad_share`` of them deliberately bad), deterministic per seed."""
    rng = np.random.default_rng(seed)
    account_frame, missing_names = make_accounts(accounts, rng, bad_share / 4)
    contact_frame, counts = make_contacts(contacts, account_frame["ExternalId__c"], rng, bad_share)
    return DemoData(account_frame, contact_frame, BadRows(missing_names, *counts))
