"""Money and rates rounded as every view writes them (tables, KPIs, chart hovers, reports):
half up, of the decimal a value stands for. No dashboard imports: charts and reports both use
it."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def half_up(v: float, places: int) -> Decimal:
    """v to places decimals, half away from zero, of the decimal v stands for, as a
    spreadsheet shows it (the XLSX report's "#,##0.00" and "0.0%"): 12.35 / 2 is 6.18, 1 / 16
    is 6.3%. Python's formatting rounds the binary double (6.17499...: 6.17) or halves to even
    (6.25%: 6.2%), the browser the binary double (23 / 80, 28.75%: 28.7%)."""
    return Decimal(repr(float(v))).quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def difference(a: float, b: float) -> float:
    """a - b of the decimals a and b stand for: a change of spend from 728.71 to 855.49 is
    126.78, not the doubles' 126.77999999999997, and one of unrounded values keeps their digits."""
    return float(Decimal(repr(float(a))) - Decimal(repr(float(b))))


def cents(v: float) -> Decimal:
    """Money to the cent (half_up)."""
    return half_up(v, 2)


def money_text(v: float, sign: str = "") -> str:
    """Money as every view writes it: "1,234.57" (sign "+": "+1,234.57"), rounded by cents."""
    return f"{cents(v):{sign},.2f}"


def pct_text(v: float, sign: str = "") -> str:
    """A rate (0-1) as every view writes it: "6.3%" (sign "+": "+6.3%"), rounded half up."""
    return f"{half_up(v, 3) * 100:{sign}.1f}%"


def pct_whole_text(v: float) -> str:
    """A rate in whole percent as the charts write it on themselves (a slice, a cell, a funnel
    stage): pct_text's figure rounded again half up, so a chart never says 14% where its hover
    and the tables say 14.5% (29 of 200), nor 28% beside 28.8%. plotly.js's own text rounds
    the binary double (0.145 as 14%)."""
    return f"{half_up(float(half_up(v, 3)), 2) * 100:.0f}%"


# The decimals of a value of each kind as every view writes it: a count whole, money to the
# cent, a rate (0-1) to a tenth of a percent (a change of rates: of a point).
PLACES = {"int": 0, "money": 2, "pct": 3}


def as_shown(v: float | None, kind: str) -> float | None:
    """v rounded (half_up) as the views write a value of kind, for a cell that stores it: a
    rate's change of 0.29999999999999993 (0.7 - 0.4) and a spend's of 12.499999 read "+30.0
    pts" and "+12.50" in every view, and the XLSX cell held them with their tails. A kind
    without fixed decimals is v as it is."""
    if v is None or kind not in PLACES:
        return v
    return float(half_up(v, PLACES[kind]))
