"""The nightly-refresh scenario of the sync tests: a Contact table loaded into the org, then a
new extract of it with 5% of the rows changed (each in one field, across the field types), 2%
added, 1% removed, and look-alike values that Salesforce stores the same (another time zone,
``1.0`` for ``1``, ``""`` for null, trailing spaces, the key in another case) everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

CHANGED_FIELDS = (
    "LastName", "Email", "Score__c", "NumberOfChildren__c", "Birthdate", "LastContacted__c",
    "LeadSource", "HasOptedOutOfEmail", "Languages__c", "AnnualSpend__c",
)
KEY = "ExternalId__c"
WHERE = "ExternalId__c LIKE 'C-%'"
_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
_LANGUAGES = ("English", "French;German", "Spanish", "English;Japanese")


@dataclass
class Scenario:
    loaded: pl.DataFrame          # what the org holds after the initial load
    nightly: pl.DataFrame         # the new extract
    changed: dict[str, str]       # key -> the one field changed on that row
    added: list[str]              # keys only in the nightly extract
    removed: list[str]            # keys only in the org


def contacts(n: int, start: int = 0) -> pl.DataFrame:
    """``n`` Contacts with keys ``C-<start>`` on, one column per field type."""
    i = pl.col("i")
    text = i.cast(pl.String)
    return pl.DataFrame({"i": pl.int_range(start, start + n, eager=True)}).select(
        ("C-" + text.str.zfill(6)).alias(KEY),
        ("Name" + text).alias("LastName"),
        ("c" + text + "@example.com").alias("Email"),
        pl.when(i % 3 == 0).then(None).otherwise("Title " + (i % 7).cast(pl.String))
        .alias("Title"),
        ((i % 1000).cast(pl.Float64) / 4).alias("Score__c"),
        (i % 5).cast(pl.Int64).alias("NumberOfChildren__c"),
        pl.date(1970, 1, 1).dt.offset_by(pl.format("{}d", i % 15000)).alias("Birthdate"),
        pl.datetime(2024, 1, 1, time_unit="ms", time_zone="UTC")
        .dt.offset_by(pl.format("{}m", i * 7)).alias("LastContacted__c"),
        pl.lit(pl.Series(_SOURCES)).gather(i % len(_SOURCES)).alias("LeadSource"),
        (i % 4 == 0).alias("HasOptedOutOfEmail"),
        pl.lit(pl.Series(_LANGUAGES)).gather(i % len(_LANGUAGES)).alias("Languages__c"),
        ((i % 997).cast(pl.Float64) * 10.5).alias("AnnualSpend__c"),
    )


def _changed_value(field: str) -> pl.Expr:
    column = pl.col(field)
    return {
        "LastName": column + "-renamed",
        "Email": pl.lit("moved-") + column,
        "Score__c": column + 0.25,
        "NumberOfChildren__c": column + 1,
        "Birthdate": column.dt.offset_by("1d"),
        "LastContacted__c": column.dt.offset_by("1s"),
        "LeadSource": pl.when(column == "Other").then(pl.lit("Web")).otherwise(pl.lit("Other")),
        "HasOptedOutOfEmail": ~column,
        "Languages__c": pl.lit("Chinese"),
        "AnnualSpend__c": column + 0.01,
    }[field]


def scenario(n: int = 10_000) -> Scenario:
    """``n`` rows loaded; 5% changed (one field each, every field of CHANGED_FIELDS in turn),
    2% added, 1% removed; look-alike values on other rows."""
    loaded = contacts(n)
    i = pl.int_range(0, n, eager=True)
    change_at = (i % 20 == 0)
    field_of = (i // 20) % len(CHANGED_FIELDS)
    nightly = loaded.with_columns(
        pl.when(change_at & (field_of == k)).then(_changed_value(f)).otherwise(pl.col(f)).alias(f)
        for k, f in enumerate(CHANGED_FIELDS)
    )
    # look-alikes: stored the same by Salesforce, so unchanged
    nightly = nightly.with_columns(
        pl.col("LastContacted__c").dt.convert_time_zone("Asia/Kolkata"),   # another time zone
        pl.col("NumberOfChildren__c").cast(pl.Float64),                    # 1.0 for 1
        pl.col("Title").fill_null(""),                                     # "" for null
        pl.when(i % 20 == 5).then(pl.col("LastName") + "  ").otherwise(pl.col("LastName"))
        .alias("LastName"),                                                # trailing spaces
        pl.when(i % 20 == 7).then(pl.col(KEY).str.to_lowercase()).otherwise(pl.col(KEY))
        .alias(KEY),                                                       # key's case
        pl.when(i % 20 == 9).then(pl.col("Languages__c").str.split(";").list.reverse()
                                  .list.join(" ; ")).otherwise(pl.col("Languages__c"))
        .alias("Languages__c"),                                            # values' order
    )
    removed_at = i % 100 == 11
    removed = loaded.filter(removed_at)[KEY].to_list()
    extra = contacts(n // 50, start=n)
    nightly = pl.concat([nightly.filter(~removed_at), extra.with_columns(
        pl.col("LastContacted__c").dt.convert_time_zone("Asia/Kolkata"),
        pl.col("NumberOfChildren__c").cast(pl.Float64),
        pl.col("Title").fill_null(""))])
    keys = loaded[KEY]
    changed = {keys[k]: CHANGED_FIELDS[(k // 20) % len(CHANGED_FIELDS)]
               for k in range(0, n, 20)}
    return Scenario(loaded=loaded, nightly=nightly, changed=changed, added=extra[KEY].to_list(),
                    removed=removed)
