"""Inflow of newly registered dagpenge recipients (nyindplacerede) per a-kasse and municipality.

No public figure exists, so the default table is *modelled*, deterministically:

    inflow(f, k) = N · (m_f / Σ_g m_g) · (p_k · u_k^ρ_f) / Σ_j (p_j · u_j^ρ_f)

- N: the national yearly inflow (default 150,000);
- m_f: members of a-kasse f; where unknown, the median of its size class, and funds
  without a size class count as small (every fund with a published size is listed with its
  members, the ones without are the smaller ones);
- p_k: population of municipality k;
- u_k: urbanity of k, its population density relative to the national density, clipped
  to [1/4, 4] so Copenhagen's 7,000 inhabitants/km² do not swamp everything;
- ρ_f: the urban/rural propensity of f's field (:data:`FIELD_PROPENSITY`): positive fields
  (academics, office) lean to cities, negative ones (industry and crafts) to the country.

So each a-kasse's share of the national inflow equals its share of all members, it is spread
over municipalities by population tilted by urbanity, and the table sums to N exactly (up
to floating point). Every row is labelled ``source = "modelleret"``.

Real figures replace the model from a CSV ``fund_id,municipality_code,year,inflow``
(:func:`parse_inflow_csv`; comma or another separator), validated whole: any error and nothing
is used. A fund present in the file is taken entirely from the file (municipalities it does not
list count 0, as in a register extract) with ``source = "indberettet"``; funds absent from it
stay modelled.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from geo import files
from geo.errors import CSVProblem, InflowCSVError, UnknownKeyError
from geo.reference import funds as reference_funds
from geo.reference import municipalities as reference_municipalities
from geo.reference import normalise_code

NATIONAL_INFLOW = 150_000
MODELLED = "modelleret"
REPORTED = "indberettet"
URBANITY_CLIP = (0.25, 4.0)
DEFAULT_SIZE = "small"
FIELD_PROPENSITY: dict[str, float] = {
    "academic": 1.0,
    "office_commerce": 0.5,
    "managers_self_employed": 0.3,
    "cross_occupational": 0.0,
    "care_education": -0.2,
    "industry_crafts": -0.6,
}
CSV_COLUMNS = ("fund_id", "municipality_code", "year", "inflow")


def effective_members(funds: pd.DataFrame) -> pd.DataFrame:
    """Members used by the model: ``members``, ``members_estimated`` and ``members_basis``."""
    size = funds["size"].fillna(DEFAULT_SIZE)
    medians = funds.groupby(size)["members"].median()
    fallback = size.map(medians)
    estimated = funds["members"].isna()
    basis = [
        f"skønnet: median for størrelsesklassen '{s}'" if est else "oplyst"
        for s, est in zip(size, estimated, strict=True)
    ]
    return pd.DataFrame(
        {
            "members": funds["members"].fillna(fallback),
            "members_estimated": estimated,
            "members_basis": basis,
        },
        index=funds.index,
    )


def urbanity(municipalities: pd.DataFrame) -> pd.Series:
    """Population density relative to the national density, clipped to [1/4, 4]."""
    density = municipalities["population"] / municipalities["area_km2"]
    national = municipalities["population"].sum() / municipalities["area_km2"].sum()
    return (density / national).clip(*URBANITY_CLIP)


def model_inflow(
    funds: pd.DataFrame | None = None,
    municipalities: pd.DataFrame | None = None,
    *,
    national_total: float = NATIONAL_INFLOW,
) -> pd.DataFrame:
    """The modelled table: one row per (fund_id, municipality_code) with ``inflow`` and
    ``source`` ("modelleret"), sorted by fund and code. See the module docstring."""
    fund_table = reference_funds() if funds is None else funds
    towns = reference_municipalities() if municipalities is None else municipalities
    members = effective_members(fund_table)["members"]
    propensity = fund_table["field"].map(FIELD_PROPENSITY).fillna(0.0).to_numpy()
    log_u = np.log(urbanity(towns).to_numpy())
    weights = towns["population"].to_numpy()[None, :] * np.exp(propensity[:, None] * log_u[None, :])
    spread = weights / weights.sum(axis=1, keepdims=True)
    table = national_total * (members.to_numpy() / members.sum())[:, None] * spread
    return _long(table, list(fund_table.index), list(towns.index))


def parse_inflow_csv(
    text: str,
    *,
    fund_ids: Collection[str],
    municipality_codes: Collection[str],
    delimiter: str = ",",
) -> pd.DataFrame:
    """Validate an inflow CSV as a whole; raise :class:`InflowCSVError` listing every problem.

    Codes may be 3 or 4 digits (``0101``). ``delimiter`` is the separator between values
    (``;`` in a Danish spreadsheet's CSV). Problems name the line of the file (blank lines
    count). Returns ``fund_id, municipality_code, year, inflow`` rows.
    """
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InflowCSVError(
            [
                CSVProblem(
                    1,
                    "kolonner",
                    delimiter.join(reader.fieldnames or []),
                    f"mangler kolonnerne {', '.join(missing)}",
                    "missing_columns",
                )
            ]
        )
    rows: list[dict[str, object]] = []
    problems: list[CSVProblem] = []
    seen: dict[tuple[str, str, int], int] = {}
    for raw in reader:
        line = reader.line_num  # the physical line, so blank lines and line breaks count
        row, row_problems = _parse_row(line, raw, fund_ids, municipality_codes)
        problems += row_problems
        if row is not None:
            key = (str(row["fund_id"]), str(row["municipality_code"]), int(str(row["year"])))
            if key in seen:
                problems.append(
                    CSVProblem(
                        line,
                        "række",
                        ",".join(map(str, key)),
                        f"samme a-kasse, kommune og år som linje {seen[key]}",
                        "duplicate",
                        seen[key],
                    )
                )
            seen.setdefault(key, line)
            rows.append(row)
    if problems:
        raise InflowCSVError(problems)
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def load_reported_inflow(path: str | Path) -> pd.DataFrame:
    """Read and validate a reported-inflow CSV against the shipped funds and municipalities."""
    return parse_inflow_csv(
        files.read_text(path),
        fund_ids=set(reference_funds().index),
        municipality_codes=set(reference_municipalities().index),
    )


def apply_reported(
    model: pd.DataFrame, reported: pd.DataFrame, *, year: int | None = None
) -> pd.DataFrame:
    """Replace modelled rows by reported figures for every fund in ``reported``.

    ``year`` picks one year when the file holds several (required then).
    """
    chosen = _one_year(reported, year)
    replaced = set(chosen["fund_id"])
    kept = model[~model["fund_id"].isin(replaced)]
    codes = sorted(set(model["municipality_code"]))
    totals = chosen.groupby(["fund_id", "municipality_code"])["inflow"].sum()
    full = pd.MultiIndex.from_product(
        [sorted(replaced), codes], names=["fund_id", "municipality_code"]
    )
    new = totals.reindex(full, fill_value=0.0).rename("inflow").reset_index()
    new["source"] = REPORTED
    combined = pd.concat([kept, new], ignore_index=True)
    return combined.sort_values(["fund_id", "municipality_code"], ignore_index=True)


def _one_year(reported: pd.DataFrame, year: int | None) -> pd.DataFrame:
    years = sorted(set(reported["year"]))
    if year is None and len(years) > 1:
        raise UnknownKeyError(f"tilgangsfilen har flere år ({years}); vælg ét")
    if year is not None and year not in years:
        raise UnknownKeyError(f"tilgangsfilen har ingen tal for {year} (har {years})")
    return reported if year is None else reported[reported["year"] == year]


def _parse_row(
    line: int, raw: dict[str, str | None], fund_ids: Collection[str], codes: Collection[str]
) -> tuple[dict[str, object] | None, list[CSVProblem]]:
    values = {c: (raw.get(c) or "").strip() for c in CSV_COLUMNS}
    problems: list[CSVProblem] = []
    fund = values["fund_id"]
    code = normalise_code(values["municipality_code"])
    if fund not in fund_ids:
        problems.append(CSVProblem(line, "fund_id", fund, "ukendt a-kasse", "unknown_fund"))
    if code not in codes:
        problems.append(
            CSVProblem(
                line,
                "municipality_code",
                values["municipality_code"],
                "ukendt kommunekode",
                "unknown_municipality",
            )
        )
    year = values["year"]
    if not (year.isdigit() and len(year) == 4):
        problems.append(CSVProblem(line, "year", year, "år skal være fire cifre", "bad_year"))
    inflow = _number(values["inflow"])
    if inflow is None:
        problems.append(
            CSVProblem(line, "inflow", values["inflow"], "tilgang skal være et tal", "not_a_number")
        )
    elif inflow < 0:
        problems.append(
            CSVProblem(line, "inflow", values["inflow"], "tilgang må ikke være negativ", "negative")
        )
    if problems:
        return None, problems
    return {"fund_id": fund, "municipality_code": code, "year": int(year), "inflow": inflow}, []


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _long(table: np.ndarray, fund_ids: list[str], codes: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "fund_id": np.repeat(fund_ids, len(codes)),
            "municipality_code": np.tile(codes, len(fund_ids)),
            "inflow": table.ravel(),
            "source": MODELLED,
        }
    )
    return frame.sort_values(["fund_id", "municipality_code"], ignore_index=True)
