"""Charts for people: monthly separations by cause and agency, as a PNG (matplotlib, Agg).

Figures come from the ``separations_monthly`` view (one current figure per agency, month and
category: the newest report that gives it). A month an agency reported only as a total (DHS
month rows before its cause-by-month tables) is drawn as one grey bar, "cause not given by
month", so the chart never invents a split. Nothing here reads the clock: the months shown are
the 24 ending with ``end`` (default: the latest month with a figure).
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import text
from sqlalchemy.orm import Session

MONTHS = 24
NO_BREAKDOWN = "cause not given by month"
CAUSE_ORDER = (
    "criminal_history",
    "gang_affiliation",
    "prosecution",
    "health_safety",
    "parentage_fraud",
    "other",
    "unknown",
)


def _month(value: date | str | None) -> str | None:
    if value is None:
        return None
    return value.strftime("%Y-%m") if isinstance(value, date) else str(value)[:7]


def _shift(month: str, months: int) -> str:
    day = date(int(month[:4]), int(month[5:7]), 1) + relativedelta(months=months)
    return f"{day.year:04d}-{day.month:02d}"


def monthly_separations(
    session: Session,
    *,
    agency: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> tuple[list[str], dict[str, dict[str, dict[str, int]]]]:
    """(months, agency -> month -> category -> separations) for the chart's window."""
    rows = session.execute(
        text(
            "SELECT agency, month, dimension, category, value FROM separations_monthly "
            "WHERE measure = 'separations' AND dimension IN ('cause', 'total', 'month') "
            "AND dimension2 IS NULL" + (" AND agency = :agency" if agency else "")
        ),
        {"agency": agency} if agency else {},
    ).all()
    end_month = _month(end) or max((r.month for r in rows), default=None)
    if end_month is None:
        return [], {}
    start_month = _month(start) or _shift(end_month, 1 - MONTHS)
    months = []
    m = start_month
    while m <= end_month:
        months.append(m)
        m = _shift(m, 1)
    causes: dict = defaultdict(lambda: defaultdict(dict))
    totals: dict = defaultdict(dict)
    for r in rows:
        if not start_month <= r.month <= end_month:
            continue
        if r.dimension == "cause":
            causes[r.agency][r.month][r.category] = int(r.value)
        else:
            totals[r.agency][r.month] = int(r.value)
    data: dict[str, dict[str, dict[str, int]]] = {}
    for ag in sorted(set(causes) | set(totals)):
        data[ag] = {}
        for month in months:
            if causes[ag].get(month):
                data[ag][month] = dict(causes[ag][month])
            elif month in totals[ag]:
                data[ag][month] = {NO_BREAKDOWN: totals[ag][month]}
    return months, data


def _order(categories: set[str]) -> list[str]:
    known = [c for c in CAUSE_ORDER if c in categories]
    rest = sorted(categories - set(CAUSE_ORDER) - {NO_BREAKDOWN})
    return known + rest + ([NO_BREAKDOWN] if NO_BREAKDOWN in categories else [])


def separations_chart_png(
    session: Session,
    *,
    agency: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> bytes:
    """Monthly separations by cause, one panel per agency, as PNG bytes (byte-identical for the
    same figures)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    months, data = monthly_separations(session, agency=agency, start=start, end=end)
    agencies = list(data) or [agency or "DHS and HHS"]
    fig = Figure(figsize=(8, 2.4 * len(agencies) + 0.8), dpi=100)
    axes = fig.subplots(len(agencies), 1, squeeze=False, sharex=True)[:, 0]
    categories = _order({c for per in data.values() for cats in per.values() for c in cats})
    palette = matplotlib.colormaps["tab10"]
    colors = {
        c: ("#9e9e9e" if c == NO_BREAKDOWN else palette(i % 10)) for i, c in enumerate(categories)
    }
    for ax, ag in zip(axes, agencies):
        per_month = data.get(ag, {})
        bottom = [0] * len(months)
        for category in categories:
            heights = [per_month.get(m, {}).get(category, 0) for m in months]
            if any(heights):
                ax.bar(
                    range(len(months)),
                    heights,
                    bottom=bottom,
                    color=colors[category],
                    label=category.replace("_", " "),
                    width=0.8,
                )
                bottom = [b + h for b, h in zip(bottom, heights)]
        if not any(bottom):
            ax.text(
                0.5,
                0.5,
                "no monthly separation figures in this period",
                transform=ax.transAxes,
                ha="center",
                va="center",
                color="#666666",
            )
        ax.set_ylabel(f"{ag}\nseparations")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.spines[["top", "right"]].set_visible(False)
    if months:
        step = max(1, len(months) // 12)
        axes[-1].set_xticks(
            range(0, len(months), step), months[::step], rotation=45, ha="right", fontsize=8
        )
    labels = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            labels.setdefault(label, handle)
    shown = [c.replace("_", " ") for c in categories if c.replace("_", " ") in labels]
    rows = -(-len(shown) // 4)  # legend rows, four entries each
    height = fig.get_figheight()
    if shown:
        fig.legend(
            [labels[c] for c in shown], shown, loc="lower center", ncol=4, fontsize=8, frameon=False
        )
    span = f"{months[0]} to {months[-1]}" if months else "no figures"
    fig.suptitle(f"Separations per month by cause ({span})", fontsize=10)
    fig.tight_layout(rect=(0, (0.25 * rows + 0.1) / height, 1, 1 - 0.3 / height))
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()
