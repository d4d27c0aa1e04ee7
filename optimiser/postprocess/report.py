"""A single self-contained HTML report: headline figures against the seeds' milestones, the roadmap,
plots (PNG embedded as base64), the schedule tables and the run metadata.

The page has no script, no external style sheet, font or image: it opens offline and renders the
same anywhere.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import __version__
from .common import SCENARIO, case_name, period_labels, prepare, scenario_attrs
from .roadmap import TERM_LABELS, TERMS
from .schedule import TABLE_TITLES, make_tables, write_tables

STYLE = """
body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:24px auto;max-width:1200px;color:#222;line-height:1.4;padding:0 16px}
h1{font-size:1.6em;border-bottom:2px solid #1f5fa8;padding-bottom:4px}
h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc;padding-bottom:2px}
h3{font-size:1.05em;margin-top:1.4em}
table{border-collapse:collapse;margin:8px 0 16px;font-size:0.82em}
th,td{border:1px solid #d0d0d0;padding:3px 7px;text-align:right;vertical-align:top}
th{background:#eef3f9;text-align:center}
td.text,th.text{text-align:left}
tr:nth-child(even) td{background:#fafafa}
.yes{color:#1a7f37;font-weight:bold}.no{color:#c62828;font-weight:bold}
.meta{color:#555;font-size:0.9em}
figure{margin:12px 0 24px}figure img{max-width:100%;height:auto;border:1px solid #eee}
figcaption{font-size:0.9em;color:#444}
nav a{margin-right:12px}
pre{background:#f6f8fa;padding:8px;font-size:0.8em;overflow-x:auto}
.terms{display:flex;gap:24px;flex-wrap:wrap}.terms div{min-width:220px}
.scroll{overflow-x:auto;max-width:100%}
"""


def _fmt(value) -> str:
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return ""
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def html_table(table: pd.DataFrame, max_rows: int | None = None) -> str:
    """A DataFrame as an HTML table (escaped; numbers right-aligned; yes/no coloured)."""
    if max_rows is not None and len(table) > max_rows:
        table = table.head(max_rows)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    text_columns = {c for c in table.columns if table[c].dtype == object or str(table[c].dtype) in ("string", "str")}
    rows = []
    for row in table.itertuples(index=False):
        cells = []
        for column, value in zip(table.columns, row):
            text = html.escape(_fmt(value))
            classes = []
            if column in text_columns:
                classes.append("text")
            if isinstance(value, (bool, np.bool_)):
                classes.append("yes" if value else "no")
            attr = f' class="{" ".join(classes)}"' if classes else ""
            cells.append(f"<td{attr}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


HEADLINE_ROWS = (
    ("total_cost_bn_CNY", "Total system cost, discounted to the base year", "bn CNY"),
    ("undiscounted_cost_bn_CNY", "Total system cost, undiscounted (sum of annual costs x period years)", "bn CNY"),
    ("cost_per_MWh_CNY", "Cost per MWh of electricity demand (discounted cost / discounted demand)", "CNY/MWh"),
    ("peak_emissions_period", "Peak emissions period (national net CO2)", ""),
    ("peak_emissions_Mt", "Peak net emissions", "Mt CO2/yr"),
    ("net_emissions_last_Mt", "Net emissions in the last period", "Mt CO2/yr"),
    ("non_carbon_share_2030", "Non-carbon share of electricity generation, 2030 (nearest period)", "%"),
    ("non_carbon_share_2060", "Non-carbon share of electricity generation, 2060 (nearest period)", "%"),
    ("ccus_stored_last_Mt", "CCUS: CO2 stored in the last period", "Mt CO2/yr"),
    ("ccus_stored_max_Mt", "CCUS: largest annual CO2 stored", "Mt CO2/yr"),
)


def headline_html(headline: pd.DataFrame) -> str:
    labels = list(headline[SCENARIO]) if SCENARIO in headline.columns else ["this run"]
    head = "<th class='text'>indicator</th><th>unit</th>" + "".join(f"<th>{html.escape(str(l))}</th>" for l in labels)
    rows = []
    for key, text, unit in HEADLINE_ROWS:
        if key not in headline.columns:
            continue
        cells = []
        for _, run in headline.iterrows():
            value = run[key]
            if unit == "%":
                period = run.get(f"{key}_period")
                cell = "" if pd.isna(value) else f"{100 * value:.1f} % ({int(period)})"
            elif key.endswith("_period"):
                cell = "" if pd.isna(value) else str(int(value))
            elif key == "net_emissions_last_Mt":
                cell = f"{_fmt(value)} ({int(run['last_period'])})"
            else:
                cell = _fmt(value)
            cells.append(f"<td>{html.escape(cell)}</td>")
        rows.append(f"<tr><td class='text'>{html.escape(text)}</td><td class='text'>{html.escape(unit)}</td>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def milestones_html(milestones: pd.DataFrame) -> str:
    if milestones.empty:
        return "<p>No milestones could be evaluated.</p>"
    table = milestones.copy()
    table["meets"] = table["meets"].map(lambda v: None if v is None or pd.isna(v) else bool(v))
    return html_table(table)


def credibility_html(ds: xr.Dataset, credibility: pd.DataFrame) -> str:
    """The credibility table and how periods and historical costs read."""
    parts = []
    if "period_label" in ds:
        labels = period_labels(ds)
        historical = [int(p) for p, h in zip(ds["period"].values, np.atleast_1d(ds["period_historical"].values)) if h] if "period_historical" in ds else []
        text = ", ".join(f"{p} stands for {label}" for p, label in labels.items() if str(p) != label)
        if text:
            parts.append(f"<p class='meta'>Periods are labelled by their first year: {html.escape(text)}; each period's model year "
                         "is representative of every year it stands for.</p>")
        if historical:
            attrs = scenario_attrs(ds)
            costs = "; ".join(f"{_fmt(a.get('objective_historical'))} of {_fmt(a.get('objective'))} bn CNY" for a in attrs.values())
            parts.append(f"<p class='meta'>Historical period(s) {', '.join(map(str, historical))}: the recorded fleet, no investment; "
                         f"their costs ({html.escape(costs)}) are reported apart from the pathway's.</p>")
    if credibility.empty:
        parts.append("<p>The case has no references.csv: nothing to compare with.</p>")
        return "".join(parts)
    table = credibility.copy()
    table["within"] = table["within"].map(lambda v: None if v is None or pd.isna(v) else bool(v))
    parts.append(html_table(table))
    return "".join(parts)


def roadmap_html(roadmap: pd.DataFrame) -> str:
    if roadmap.empty:
        return "<p>No technology is installed.</p>"
    parts = []
    groups = [(label, roadmap[roadmap[SCENARIO] == label]) for label in roadmap[SCENARIO].unique()] if SCENARIO in roadmap.columns else [(None, roadmap)]
    for label, table in groups:
        if label is not None:
            parts.append(f"<h3>{html.escape(str(label))}</h3>")
        columns = []
        for tag, _ in TERMS:
            techs = table[table["term"] == tag]
            items = "".join(
                f"<li>{html.escape(r.technology)}: scale {_fmt(r.scale_period)}, peak {_fmt(r.peak_capacity)} {html.escape(r.capacity_unit)}"
                f" in {_fmt(r.peak_period)}{'' if pd.isna(r.phase_out_period) else ', phased out ' + _fmt(r.phase_out_period)}</li>"
                for r in techs.itertuples(index=False)
            ) or "<li>none</li>"
            columns.append(f"<div><strong>{html.escape(TERM_LABELS[tag])}</strong><ul>{items}</ul></div>")
        parts.append(f"<div class='terms'>{''.join(columns)}</div>")
    parts.append(
        "<p class='meta'>Term = when the technology reaches scale (first period with at least half of its peak national capacity), "
        "like the near / mid / long tags of the technology map of seed 003 (Figure 3). Phase-out = first period after the peak "
        "with less than 5 % of the peak capacity.</p>"
    )
    parts.append(html_table(roadmap.drop(columns=["term_label"], errors="ignore")))
    return "".join(parts)


def metadata_html(ds: xr.Dataset) -> str:
    parts = []
    for label, attrs in scenario_attrs(ds).items():
        if label not in (None, "null"):
            parts.append(f"<h3>{html.escape(str(label))}</h3>")
        rows = []
        for key in ("case", "case_path", "results_file", "status", "objective", "objective_units", "currency", "base_year", "discount_rate",
                    "solver", "solver_version", "package_version", "input_hash", "created"):
            if key in attrs:
                rows.append((key, attrs[key]))
        timings = [(k, attrs[k]) for k in attrs if str(k).endswith("_s")]
        sizes = [(k, attrs[k]) for k in attrs if str(k).startswith("model_")]
        table = pd.DataFrame(rows + timings + sizes, columns=["item", "value"])
        table["value"] = table["value"].map(lambda v: _fmt(v) if isinstance(v, (int, float, np.number)) else str(v))
        parts.append(html_table(table))
        if attrs.get("solver_options"):
            parts.append(f"<p>Solver options:</p><pre>{html.escape(str(attrs['solver_options']))}</pre>")
        if attrs.get("settings"):
            parts.append(f"<p>Settings:</p><pre>{html.escape(str(attrs['settings']))}</pre>")
        if attrs.get("diagnosis"):
            parts.append(f"<p>Diagnosis:</p><pre>{html.escape(str(attrs['diagnosis']))}</pre>")
    return "".join(parts)


def render(ds: xr.Dataset, tables: dict, plots: list) -> str:
    """The report as one HTML string."""
    name = case_name(ds)
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    sections = [
        ("headline", "Headline figures"),
        ("milestones", "Against the seeds' milestones"),
        ("credibility", "Credibility"),
        ("roadmap", "Technology roadmap"),
        ("plots", "Plots"),
        ("tables", "Schedule tables"),
        ("metadata", "Run metadata"),
    ]
    body = [
        f"<h1>Results report: {html.escape(name)}</h1>",
        f"<p class='meta'>Written {now} by optimiser {html.escape(__version__)}. Money in billion CNY of the case's price year; "
        "capacity in GW (kt/h for CO2 technologies), energy in TWh/yr, CO2 in Mt/yr.</p>",
        "<nav>" + "".join(f"<a href='#{key}'>{html.escape(title)}</a>" for key, title in sections) + "</nav>",
        "<h2 id='headline'>Headline figures</h2>",
        headline_html(tables["headline"]) if "headline" in tables else "<p>n/a</p>",
        "<h2 id='milestones'>Against the seeds' milestones</h2>",
        "<p class='meta'>National China figures from the seed papers (seed 000: non-carbon share of electricity generation "
        "46 % in 2030 and 85 % in 2060; seeds 000 and 002: CO2 peak before 2030, carbon neutrality by 2060; seed 002: "
        "0.5-1.0 Gt CO2/yr of CCUS). A case that is not China-wide can only be read for its shape.</p>",
        milestones_html(tables.get("milestones", pd.DataFrame())),
        "<h2 id='credibility'>Credibility: the results beside the record, milestones and published studies</h2>",
        credibility_html(ds, tables.get("credibility", pd.DataFrame())),
        "<h2 id='roadmap'>Technology roadmap</h2>",
        roadmap_html(tables.get("roadmap", pd.DataFrame())),
        "<h2 id='plots'>Plots</h2>",
    ]
    for plot in plots:
        encoded = base64.b64encode(plot.png).decode("ascii")
        body.append(
            f"<figure id='plot-{html.escape(plot.name)}'><img alt='{html.escape(plot.title)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{html.escape(plot.title)}</figcaption></figure>"
        )
    if not plots:
        body.append("<p>No plots.</p>")
    body.append("<h2 id='tables'>Schedule tables</h2>")
    for key, table in tables.items():
        if key in ("headline", "milestones", "credibility", "roadmap"):
            continue
        title = TABLE_TITLES.get(key, key)
        if len(table) > 40:
            body.append(f"<details><summary><strong>{html.escape(title)}</strong> ({len(table)} rows)</summary>{html_table(table)}</details>")
        else:
            body.append(f"<h3>{html.escape(title)}</h3>{html_table(table)}")
    body.append("<h2 id='metadata'>Run metadata</h2>")
    body.append(metadata_html(ds))
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>optimiser report: {html.escape(name)}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(ds: xr.Dataset, path: str | Path, tables: dict | None = None, plots: list | None = None) -> Path:
    """Write ``report.html`` (tables and plots are computed if not given)."""
    from .plots import make_plots

    ds = prepare(ds)
    tables = make_tables(ds) if tables is None else tables
    plots = make_plots(ds) if plots is None else plots
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(ds, tables, plots), encoding="utf-8")
    return path


def postprocess(ds: xr.Dataset, out_dir: str | Path, by: str = "national", formats=("csv",), plots: bool = True,
                report: bool = True) -> list[Path]:
    """Everything for one results dataset (or several along ``scenario``) into ``out_dir``:
    tables (CSV, and xlsx / Markdown on request), plots (PNG and SVG in ``plots/``) and ``report.html``."""
    from .plots import make_plots

    ds = prepare(ds)
    out_dir = Path(out_dir)
    tables = make_tables(ds, by=by)
    written = write_tables(tables, out_dir, formats=formats, by=by)
    drawn = []
    if plots or report:
        drawn = make_plots(ds, out_dir / "plots" if plots else None)
        for plot in drawn:
            written.extend(plot.paths)
    if report:
        report_tables = tables if by == "national" else make_tables(ds, by="national")
        written.append(write_report(ds, out_dir / "report.html", tables=report_tables, plots=drawn))
    return written
