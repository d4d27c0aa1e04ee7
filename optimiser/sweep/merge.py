"""Merging a sweep's results: one netCDF with a ``scenario`` dimension, and a CSV of key figures.

The merge streams: the scenario files are opened lazily with :func:`xarray.open_mfdataset` (nested along a new
``scenario`` dimension, one Dask chunk per scenario and variable) and written chunk by chunk with the synchronous
scheduler, so memory holds about one scenario's variable at a time, whatever the number of scenarios. The output
is chunked on disk with one scenario per chunk, so that ``xr.open_dataset(path, chunks={"scenario": 1})`` reads
scenarios lazily. It is written to a temporary file and renamed, like every result.

Coordinates on ``scenario``: the ids (the dimension's index), ``scenario_name``, ``scenario_kind`` and one
coordinate per swept parameter (its value in the scenario, or the parameter's ``base`` value if the scenario
does not set it; NaN if there is none). A parameter named like a variable of the results gets the prefix
``parameter_``. Scenario-level figures from the results' attributes become variables: ``objective``,
``solve_s``. Only scenarios with an optimal solution are merged; ``key_figures.csv`` lists all of them.

An unfinished sweep (scenarios failed or not run) is refused (:class:`SweepIncomplete`) unless ``partial=True``;
the file's attributes ``complete``, ``completeness``, ``missing_ids`` and ``missing_scenarios`` say whether it
holds the whole sweep and, if not, which scenarios are missing and why.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .. import __version__
from ..atomic import atomic_path, atomic_write_text
from ..scenarios import SweepFile
from .store import OK, Completeness, SweepStore, completeness, now, result_is_valid

ATTRIBUTE_VARIABLES = {"objective": "billion CNY (discounted to base year)", "solve_s": "s"}


class MergeError(RuntimeError):
    """Nothing to merge, or a result that cannot be read."""


def parameter_coordinate_names(sweep: SweepFile, variables: set[str]) -> dict[str, str]:
    out = {}
    for name in sweep.parameter_names():
        out[name] = f"parameter_{name}" if name in variables or name in ("scenario", "scenario_name", "scenario_kind") else name
    return out


def _parameter_values(sweep: SweepFile, scenarios, name: str) -> np.ndarray:
    values = [sweep.parameter_value(s, name) for s in scenarios]
    numeric = all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in values)
    if numeric:
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.array(["" if v is None else str(v) for v in values], dtype=object)


def _scan(paths: list[Path]) -> tuple[dict[str, tuple], set[str]]:
    """Numeric data variables over all files (name -> dims, from the first file that has it), and all names."""
    numeric: dict[str, tuple] = {}
    names: set[str] = set()
    for path in paths:
        with xr.open_dataset(path) as ds:  # reads the header only
            for name, variable in ds.data_vars.items():
                names.add(name)
                if variable.dtype.kind in "fiub" and name not in numeric:
                    numeric[name] = tuple(variable.dims)
    return numeric, names


class SweepIncomplete(MergeError):
    """The sweep has scenarios without a result (failed or not run) and the merge was not asked to be partial."""

    def __init__(self, state: Completeness):
        super().__init__(f"the sweep is not finished: {state.headline()}")
        self.state = state


def merge(sweep: SweepFile, store: SweepStore, *, progress=print, partial: bool = False) -> tuple[Path | None, Path]:
    """Write ``merged.nc`` (optimal scenarios) and ``key_figures.csv`` (all scenarios); return their paths.

    A sweep with scenarios that failed or have not run is refused (:class:`SweepIncomplete`, nothing written but
    the manifest) unless ``partial``; the merged file then says in its attributes which scenarios are missing and
    why (``complete``, ``completeness``, ``missing_ids``, ``missing_scenarios``).
    """
    statuses = store.statuses()
    manifest = store.write_manifest(sweep, statuses)
    merged_scenarios = []
    for scenario in sweep.scenarios:
        status = statuses.get(scenario.id)
        if status and status.get("status") == OK and result_is_valid(store.result_path(scenario.id), status.get("input_hash")):
            merged_scenarios.append(scenario)
    state = completeness(sweep, manifest, merged={s.id for s in merged_scenarios})
    if not state.complete and not partial:
        raise SweepIncomplete(state)
    paths = [store.result_path(s.id) for s in merged_scenarios]
    merged_path = None
    figures = pd.DataFrame()
    if paths:
        progress(f"merging {len(paths)} scenario result(s) into {store.merged_path}"
                 + ("" if state.complete else f" (PARTIAL: {len(state.missing)} of {state.total} missing)"))
        numeric, names = _scan(paths)
        coordinate_names = parameter_coordinate_names(sweep, names | set(ATTRIBUTE_VARIABLES))
        merged_path, figures = _write_merged(sweep, store, merged_scenarios, paths, numeric, coordinate_names, state)
    else:
        progress("no finished scenario to merge")
    table = _key_figure_table(sweep, manifest, figures)
    atomic_write_text(store.key_figures_path, table.to_csv(index=False))
    progress(f"key figures of {len(table)} scenario(s) written to {store.key_figures_path}")
    return merged_path, store.key_figures_path


def completeness_attributes(state: Completeness) -> dict:
    """The attributes by which a merged file says whether it holds the whole sweep, and if not what is missing.

    ``complete`` 1 or 0; ``completeness`` a sentence; ``scenarios_total``; ``missing_ids`` the missing scenarios'
    ids separated by spaces (``""`` if none); ``missing_scenarios`` one line per missing scenario,
    ``NAME (ID): failed: ERROR`` or ``NAME (ID): not run`` (``"none"`` if none).
    """
    if state.complete:
        sentence = f"complete: all {state.total} scenarios of the sweep are merged"
    else:
        sentence = (f"PARTIAL: {len(state.ok)} of {state.total} scenarios merged; {len(state.missing)} missing "
                    f"({len(state.failed)} failed, {len(state.not_run)} not run), listed in missing_scenarios")
    return {
        "complete": int(state.complete),
        "completeness": sentence,
        "scenarios_total": state.total,
        "missing_ids": " ".join(m.id for m in state.missing),
        "missing_scenarios": "\n".join(f"{m.name} ({m.id}): {m.reason()}" for m in state.missing) or "none",
    }


def _write_merged(sweep, store, scenarios, paths, numeric, coordinate_names, state: Completeness):
    try:
        import dask
    except ImportError:  # pragma: no cover - depends on the installation
        raise MergeError("sweep merge streams the results with dask: pip install -c lock.txt -e '.[sweep]' (or dask)") from None

    def preprocess(ds: xr.Dataset) -> xr.Dataset:
        import dask.array as da

        for name, dims in numeric.items():
            if name not in ds and all(d in ds.sizes for d in dims):
                ds[name] = xr.DataArray(da.full(tuple(ds.sizes[d] for d in dims), np.nan), dims=dims)
        for name in ATTRIBUTE_VARIABLES:
            value = ds.attrs.get(name)
            ds[name] = xr.DataArray(float(value) if value is not None else np.nan)
        return ds

    concatenated = [n for n in numeric] + list(ATTRIBUTE_VARIABLES)
    with dask.config.set(scheduler="synchronous"):
        combined = xr.open_mfdataset(
            [str(p) for p in paths], combine="nested", concat_dim="scenario", data_vars=concatenated, coords="minimal",
            compat="override", join="outer", chunks={}, preprocess=preprocess, parallel=False,
        )
        try:
            combined = combined.assign_coords(
                scenario=("scenario", np.array([s.id for s in scenarios], dtype=object)),
                scenario_name=("scenario", np.array([s.name for s in scenarios], dtype=object)),
                scenario_kind=("scenario", np.array([s.kind for s in scenarios], dtype=object)),
            )
            for name, coordinate in coordinate_names.items():
                parameter = sweep.parameters.get(name)
                attrs = {"description": f"swept parameter {name}" + (f": {parameter.label}" if parameter and parameter.label else "")}
                if parameter is not None:
                    attrs["operation"] = parameter.operation
                    if parameter.unit:
                        attrs["units"] = parameter.unit
                combined = combined.assign_coords({coordinate: ("scenario", _parameter_values(sweep, scenarios, name), attrs)})
            for name, units in ATTRIBUTE_VARIABLES.items():
                combined[name].attrs.update({"units": units, "description": f"{name} of each scenario's solve"})
            first = dict(combined.attrs)
            suffix = f"__{scenarios[0].name}"
            case_name = str(first.get("case", ""))
            case_name = case_name[: -len(suffix)] if case_name.endswith(suffix) else case_name
            combined.attrs = {
                "title": f"sweep {sweep.path.stem}: {len(scenarios)} scenarios of case {case_name}"
                         + ("" if state.complete else f" (PARTIAL: {len(state.missing)} of {state.total} scenarios missing)"),
                "parameter_file": str(sweep.path.resolve()),
                "base_case": str(sweep.case_path),
                "case": case_name,
                "objective_units": str(first.get("objective_units", "")),
                "currency": str(first.get("currency", "")),
                "package_version": __version__,
                "created": now(),
                "scenarios": len(scenarios),
                **completeness_attributes(state),
                "parameters": ", ".join(coordinate_names.values()),
                "note": "one results file per scenario merged along 'scenario'; per-scenario attributes "
                        "(status, settings, input_hash, ...) stay in results/<id>.nc",
            }
            encoding = {}
            for name, variable in combined.data_vars.items():
                if variable.dtype == object:
                    combined[name] = variable.astype(str)
                    continue
                spec = {"zlib": True, "complevel": 4}
                if "scenario" in variable.dims and variable.ndim > 1 and all(combined.sizes[d] > 0 for d in variable.dims):
                    spec["chunksizes"] = tuple(1 if d == "scenario" else combined.sizes[d] for d in variable.dims)
                encoding[name] = spec
            for name in list(combined.coords):
                if combined[name].dtype == object:
                    combined = combined.assign_coords({name: combined[name].astype(str)})
            store.root.mkdir(parents=True, exist_ok=True)
            with atomic_path(store.merged_path) as temporary:
                combined.to_netcdf(temporary, engine="netcdf4", encoding=encoding)
            figures = key_figures(combined)
        finally:
            combined.close()
    return store.merged_path, figures


def key_figures(ds: xr.Dataset) -> pd.DataFrame:
    """Per scenario: objective, capacities in the last period by technology, CO2 price and emissions, CCUS."""
    last = {"period": -1}
    columns: dict[str, xr.DataArray] = {"objective_bn_CNY": ds["objective"], "solve_s": ds["solve_s"]}
    if "capacity" in ds:
        capacity = ds["capacity"].isel(last).sum("region").compute()
        for technology in capacity["technology"].values:
            columns[f"capacity_{technology}_GW"] = capacity.sel(technology=technology)
    period = int(ds["period"].values[-1]) if "period" in ds.coords and ds.sizes.get("period") else None
    for name, variable, reduce in (
        ("co2_price_CNY_per_t", "price_co2", False),
        ("co2_net_emissions_Mt", "co2_net_emissions", False),
        ("ccus_captured_Mt", "co2_captured", True),
        ("ccus_stored_Mt", "co2_stored", True),
    ):
        if variable in ds:
            value = ds[variable].isel(last)
            columns[name] = value.sum("region") if reduce and "region" in value.dims else value
        elif name.startswith("ccus"):
            columns[name] = xr.zeros_like(ds["objective"])
    frame = pd.DataFrame({name: np.asarray(value.compute().values, dtype=float) for name, value in columns.items()})
    frame.insert(0, "id", [str(v) for v in ds["scenario"].values])
    frame.attrs["period"] = period
    return frame


def _key_figure_table(sweep: SweepFile, manifest: pd.DataFrame, figures: pd.DataFrame) -> pd.DataFrame:
    rows = manifest[["id", "name", "kind", "status"]].copy()
    for name in sweep.parameter_names():
        values = _parameter_values(sweep, sweep.scenarios, name)
        rows[name] = values
    if not figures.empty:
        period = figures.attrs.get("period")
        renamed = figures.rename(columns={c: (f"{c}_{period}" if period is not None and c not in ("id", "objective_bn_CNY", "solve_s") else c)
                                          for c in figures.columns})
        rows = rows.merge(renamed, on="id", how="left")
    rows["error"] = manifest["error"].to_numpy()
    return rows


__all__ = ["MergeError", "SweepIncomplete", "completeness_attributes", "key_figures", "merge"]

