"""Leaderboard tables as pandas DataFrames.

Numbers are taken from the run records as they are (never recomputed or
rounded before display). Layouts follow the papers:

- Table 1: TPR at 0.01 % and 0.1 % FPR and purity at 95 % TPR, in percent;
- Table 2: F1, IoU and FDR at each detector's operating point (4 decimals);
- Table 4: run time per detector, one table per hardware;
- a summary ranking across data sets, with its rule stated.

Metric names used by the scoring module live in :data:`METRIC_LABELS` only,
so that a renamed metric is a one-line change.
"""

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..records import as_run_record, not_reached_text
from ..uncertainty import NotComparableError, rank_groups
from .collect import detector_label, hardware_label, trained_on_family
from .published import paper_family, published_metrics, published_runtime, published_sources

__all__ = [
    "METRIC_LABELS",
    "TABLE1_METRICS",
    "TABLE2_METRICS",
    "PERCENT_METRICS",
    "RANK_METRIC",
    "TRAINED_MARK",
    "PARTIAL_MARK",
    "Table",
    "DatasetSection",
    "Leaderboard",
    "metric_value",
    "format_value",
    "display_labels",
    "results_frame",
    "metric_table",
    "ranking_table",
    "real_data_ranking",
    "runtime_tables",
    "MIXED_DEVICES_NOTE",
    "MIXED_DEVICES_PREFIX",
    "build_leaderboard",
    "ranking_rule",
]

# crbench metric name (as in run records) -> column label
METRIC_LABELS = {
    "tpr_at_fpr_1e-4": "TPR at 0.01 % FPR",
    "tpr_at_fpr_1e-3": "TPR at 0.1 % FPR",
    "purity_at_tpr_0.95": "purity at 95 % TPR",
    "f1": "F1",
    "iou": "IoU",
    "fdr": "FDR",
    "precision": "precision",
    "recall": "recall",
    "auroc": "AUROC",
    "average_precision": "average precision",
}
TABLE1_METRICS = ("tpr_at_fpr_1e-4", "tpr_at_fpr_1e-3", "purity_at_tpr_0.95")
TABLE2_METRICS = ("f1", "iou", "fdr")
# shown in percent with 2 decimals, as printed in the papers
PERCENT_METRICS = frozenset(TABLE1_METRICS)
# the metric the summary ranking uses: the low-FPR regime is where detectors differ most
RANK_METRIC = "tpr_at_fpr_1e-4"

TRAINED_MARK = "†"
PARTIAL_MARK = "‡"
TRAINED_NOTE = (
    f"{TRAINED_MARK} the detector was trained on data of this data set family "
    "(its training_datasets include it): not an independent test."
)
NOT_REACHED_NOTE = (
    "not reached (FPR >= x): no value of the detector's parameter sweep has an FPR at or below the target; "
    "x is the lowest FPR its sweep achieved. Such a cell is not a TPR of 0 and ranks below every reached value."
)
INTERVAL_NOTE = (
    "[low, high]: 95 % percentile bootstrap interval over the test images (1000 seeded resamples, stratified "
    "where the data set card says so; each resample scored exactly). It covers image-to-image variation of "
    "this simulated population, not a different instrument or real data; a TPR at 0.01 % FPR resting on a few "
    "false-positive clusters is rougher than its interval suggests (docs/uncertainty.md). n/a at an end: more "
    "resamples than that tail holds had the metric undefined or the target not reached."
)
PARTIAL_NOTE = f"{PARTIAL_MARK} partial record: the detector failed on some images, which are not scored."
NOT_AVAILABLE = "n/a"
#: order of the data set kinds on the page
SECTION_ORDER = ("standard", "real", "stress", "user")
STRESS_PREFIX = "Stress variant: "
STRESS_NOTE = (
    "Stress variants probe one hard condition each (unmasked detector defects, seeing sharper than the "
    "instrument delivers, crowded fields with saturated stars). They are not in the summary ranking, which "
    "uses the standard splits only, scored the way the real pipelines' data are."
)
USER_PREFIX = "User data set: "
USER_NOTE = (
    "User data sets were added with 'crbench datasets add' from labelled FITS files (docs/own_data.md). Their "
    "labels are the user's own: the numbers are not comparable with the other sections nor with published "
    "figures, and they are not in any ranking."
)
REAL_PREFIX = "Real data: "
REAL_NOTE = (
    "These numbers come from real pixels: the truth comes from a multi-frame stack of one field (each frame "
    "compared with the others), or real cosmic-ray footprints were injected into real sky. They are not "
    "comparable with the published figures (other images, other truth; none are shown here) nor with the "
    "simulated sets, and they are not in the summary ranking of the simulated sets."
)
REAL_INTERVAL_NOTE = (
    "[low, high]: 95 % percentile bootstrap interval over the test images (1000 seeded resamples, stratified "
    "where the data set card says so; each resample scored exactly). With few images and few CR objects it is "
    "wide, and it covers the variation among these images only, not errors of the truth itself (a stack's truth "
    "can miss faint cosmic rays or label residuals of other origin). n/a at an end: more resamples than that "
    "tail holds had the metric undefined or the target not reached."
)
REAL_NO_PUBLISHED_NOTE = "Real data: no published figures are shown; the papers measured other images with other truth."
#: Note of the real-data ranking: why there is one, and what it does not say.
REAL_RANKING_NOTE = (
    "Ranked only because every detector shown ran on every current real set, so each mean rank averages the "
    "same sets; with few CR objects neighbouring ranks are rarely distinguishable (see the gN groups)."
)


@dataclass
class Table:
    """One rendered table: display strings plus the notes printed under it."""

    title: str
    frame: pd.DataFrame
    notes: list = field(default_factory=list)


@dataclass
class DatasetSection:
    """Everything shown for one comparable group of records."""

    group: object
    title: str
    table1: Table
    table2: Table
    plots: dict = field(default_factory=dict)
    caveat: str = ""


@dataclass
class Leaderboard:
    """All tables of the leaderboard, ready to render.

    ``ranking`` ranks the simulated standard splits; ``real_ranking`` the
    real sets (None when there are none, or when some detector lacks a
    record on one of them: ``real_ranking_note`` then says why).
    """

    sections: list
    ranking: Table | None
    runtime: list
    notes: list
    sources: dict
    real_ranking: Table | None = None
    real_ranking_note: str = ""


def metric_value(record, name):
    """Return the value of metric ``name`` in a record, or None if absent or undefined."""
    return as_run_record(record).metric_value(name)


def format_value(value, metric):
    """Format one metric value for display ("n/a" when undefined)."""
    if value is None or pd.isna(value):
        return NOT_AVAILABLE
    if metric in PERCENT_METRICS:
        return f"{100 * value:.2f}"
    return f"{value:.4f}"


def _not_reached(record, metric):
    """The ``not_reached`` description of a record's metric (None when reached, undefined or absent)."""
    found = record.metrics.get(metric)
    return None if found is None else found.not_reached


def _interval_text(record, metric):
    """`` [low, high]`` of the record's bootstrap interval of ``metric`` ("" without one; an open end is n/a)."""
    interval = record.uncertainty.interval(metric) if record.uncertainty is not None else None
    if interval is None or interval == (None, None):
        return ""
    low, high = (format_value(bound, metric) for bound in interval)
    return f" [{low}, {high}]"


def _display_value(record, metric, value):
    """One cell: the formatted value and its bootstrap interval, or "not reached (FPR >= x)"."""
    missed = _not_reached(record, metric)
    if missed is not None:
        return not_reached_text(missed["lowest_fpr"]) + _interval_text(record, metric)
    text = format_value(value, metric)
    return text if text == NOT_AVAILABLE else text + _interval_text(record, metric)


def _names(group):
    """Detector name per record, plus a params hash when one detector appears twice."""
    names = [record.detector.name for record in group.records]
    return [detector_label(record, with_hash=names.count(record.detector.name) > 1) for record in group.records]


def display_labels(group):
    """Display label per record: :func:`_names` plus the training-data and partial marks."""
    labels = []
    for label, record in zip(_names(group), group.records):
        if trained_on_family(record):
            label += f" {TRAINED_MARK}"
        if not record.is_complete:
            label += f" {PARTIAL_MARK}"
        labels.append(label)
    return labels


def results_frame(group, metrics):
    """Numeric values of ``metrics`` for every record of a group.

    Returns
    -------
    pandas.DataFrame
        Index: display labels; columns: ``detector`` (registry name),
        ``trained``, ``partial``, ``operating_point`` and one column per
        metric (fractions, NaN where undefined).
    """
    rows = []
    for label, record in zip(display_labels(group), group.records):
        row = {
            "label": label,
            "detector": record.detector.name,
            "trained": trained_on_family(record),
            "partial": not record.is_complete,
            "operating_point": _operating_point(record),
        }
        for metric in metrics:
            value = metric_value(record, metric)
            row[metric] = float("nan") if value is None else value
        rows.append(row)
    columns = ["label", "detector", "trained", "partial", "operating_point", *metrics]
    return pd.DataFrame(rows, columns=columns).set_index("label")


def _operating_point(record):
    value = record.operating_point
    if value is None:
        return NOT_AVAILABLE
    parameter = record.detector.swept_parameter
    return f"{parameter or 'threshold'} = {value:g}" if isinstance(value, (int, float)) else f"{value}"


def metric_table(group, metrics, *, title, operating_point=False, published=True):
    """Build a display :class:`Table` for ``metrics`` with published columns.

    Each metric gets a "sim" column (this group's records) followed by one
    column per paper that reports the metric for this data set family;
    ``published=False`` (real data) leaves the papers' columns out.
    """
    numeric = results_frame(group, metrics)
    family = paper_family(group.key.dataset, group.family)
    display = pd.DataFrame(index=numeric.index)
    display.index.name = "detector"
    if operating_point:
        display["operating point"] = numeric["operating_point"]
    used_sources = {}
    for metric in metrics:
        label = METRIC_LABELS[metric] + (" (%)" if metric in PERCENT_METRICS else "")
        display[label] = [_display_value(record, metric, value) for record, value in zip(group.records, numeric[metric])]
        if not published:
            continue
        figures = [published_metrics(family=family, detector=name, metric=metric) for name in numeric["detector"]]
        for key in sorted({key for found in figures for key in found}):
            display[f"{label} published [{key}]"] = [
                format_value(found[key], metric) if key in found else "" for found in figures
            ]
            used_sources[key] = published_sources()[key]
    notes = []
    if any(record.uncertainty is not None for record in group.records):
        notes.append(INTERVAL_NOTE if published else REAL_INTERVAL_NOTE)
    if any(_not_reached(record, metric) is not None for record in group.records for metric in metrics):
        notes.append(NOT_REACHED_NOTE)
    if numeric["trained"].any():
        notes.append(TRAINED_NOTE)
    if numeric["partial"].any():
        notes.append(PARTIAL_NOTE)
    for key, source in used_sources.items():
        rows = source.metrics[(source.metrics["family"] == family) & source.metrics["metric"].isin(metrics)]
        tables = ", ".join(sorted(set(rows["table"])))
        measured_on = "; ".join(sorted(set(rows["measured_on"])))
        notes.append(f"published [{key}]: {source.citation}, {tables}, measured on the {measured_on} (not simulated data).")
    if not published:
        notes.append(REAL_NO_PUBLISHED_NOTE)
    elif not used_sources:
        notes.append(f"No published figures for data set family {family!r}.")
    return Table(title=title, frame=display.reset_index(), notes=notes)


def ranking_rule(metric=RANK_METRIC):
    """The ranking rule, stated under the ranking table."""
    return (
        f"Ranking rule: on each data set (current comparable results only) detectors are ranked by "
        f"{METRIC_LABELS[metric]} (1 = best; ties share the average rank; a target the detector's sweep did "
        "not reach ranks below every reached value, tied with the other unreached ones; n/a ranks last). "
        "The mean rank averages these ranks over the data sets a detector was evaluated on "
        "(column 'data sets'); rows are sorted by mean rank, then by more data sets. "
        f"{TRAINED_MARK} marks a rank on a data set family the detector was trained on."
    )


#: Note under the summary ranking when bootstrap groups are shown.
BOOTSTRAP_GROUP_NOTE = (
    "gN after a rank: the detector's bootstrap ranking group on that data set (group 1 = the best detector and "
    "every detector it does not beat in >= 95 % of the paired bootstrap resamples; see docs/uncertainty.md). "
    "Detectors in one group are not distinguishable on that data set. A rank without gN: the record has no "
    "bootstrap replicates (written before intervals existed) and is left out of the grouping."
)


def bootstrap_groups(group, metric, labels):
    """``{label: ranking group}`` of the records of a group that carry comparable bootstrap replicates.

    Records without replicates of ``metric`` (written before intervals
    existed, or with ``--bootstrap 0``) get no group and are left out of the
    grouping; {} when fewer than two records have replicates or they were not
    drawn on the same resamples.
    """
    with_replicates = [(label, record) for label, record in zip(labels, group.records)
                       if record.uncertainty is not None and metric in record.uncertainty.metrics]
    if len(with_replicates) < 2:
        return {}
    try:
        entries = rank_groups([record for _, record in with_replicates], metric)
    except NotComparableError:
        return {}
    by_record = {id(entry.record): entry.group for entry in entries}
    return {label: by_record[id(record)] for label, record in with_replicates}


def ranking_table(groups, *, metric=RANK_METRIC):
    """Mean rank of every detector over the current groups; None when there are none."""
    current = [group for group in groups if group.not_comparable is None and group.records]
    if not current:
        return None
    ranks, cells = {}, {}
    columns = []
    shown_groups = False
    for group in current:
        column = group.key.dataset_label
        columns.append(column)
        numeric = results_frame(group, [metric])
        higher = _higher_is_better(group.records, metric)
        names = _names(group)
        # not reached: below every reached value (not 0, which a detector can really measure), above n/a
        unreached = -np.inf if higher else np.inf
        values = pd.Series([unreached if _not_reached(record, metric) is not None else value
                            for record, value in zip(group.records, numeric[metric])], index=names, dtype=float)
        rank = values.rank(ascending=not higher, method="average", na_option="bottom")
        bootstrap = bootstrap_groups(group, metric, names)
        shown_groups = shown_groups or bool(bootstrap)
        for name, value, trained in zip(names, rank, numeric["trained"]):
            ranks.setdefault(name, []).append(float(value))
            cells.setdefault(name, {})[column] = (f"{value:g}" + (f" g{bootstrap[name]}" if bootstrap.get(name) else "")
                                                  + (f" {TRAINED_MARK}" if trained else ""))
    rows = []
    for name, values in ranks.items():
        row = {"detector": name, "mean rank": sum(values) / len(values), "data sets": len(values)}
        row.update({column: cells[name].get(column, "") for column in columns})
        rows.append(row)
    frame = pd.DataFrame(rows).sort_values(["mean rank", "data sets", "detector"], ascending=[True, False, True])
    frame.insert(0, "#", range(1, len(frame) + 1))
    frame["mean rank"] = frame["mean rank"].map(lambda value: f"{value:.2f}")
    notes = [ranking_rule(metric)] + ([BOOTSTRAP_GROUP_NOTE] if shown_groups else [])
    return Table(title=f"Summary ranking by {METRIC_LABELS[metric]}", frame=frame.reset_index(drop=True),
                 notes=notes)


def real_data_ranking(groups, *, metric=RANK_METRIC):
    """The ranking of the real-data groups, or why there is none.

    Real sets get their own ranking only when every detector shown has a
    record on every current real set: a mean rank over different subsets of
    few, small sets would compare unlike things.

    Parameters
    ----------
    groups : iterable of RecordGroup
        Every group; only current real-data groups are used.
    metric : str

    Returns
    -------
    table : Table or None
    note : str
        Why there is no ranking ("" when there is one or no real group).
    """
    current = [group for group in groups if group.is_real and group.not_comparable is None and group.records]
    if not current:
        return None, ""
    detectors = [set(_names(group)) for group in current]
    everyone = set().union(*detectors)
    missing = {group.key.dataset_label: sorted(everyone - names) for group, names in zip(current, detectors)
               if everyone - names}
    if missing:
        lacking = "; ".join(f"{label} lacks {', '.join(names)}" for label, names in sorted(missing.items()))
        return None, (f"No ranking of the real sets: not every detector ran on every real set ({lacking}), "
                      "and mean ranks over different sets would compare unlike things.")
    table = ranking_table(current, metric=metric)
    table.title = f"Real data: ranking by {METRIC_LABELS[metric]}"
    table.notes.insert(0, REAL_RANKING_NOTE)
    return table, ""


def _higher_is_better(records, metric):
    for record in records:
        spec = record.metrics.get(metric)
        if spec is not None:
            return spec.higher_is_better
    return True


def _mebibytes(value):
    return NOT_AVAILABLE if value is None else f"{value / 2**20:.0f}"


def _seconds(value, digits=3):
    # pandas turns None into NaN in a numeric column, so both mean "not measured"
    return NOT_AVAILABLE if value is None or value != value else f"{value:.{digits}f}"


def _ratio(value):
    """``"3.52"``, or the not-available mark for records without a FLOP bound (no torch network, older records)."""
    return NOT_AVAILABLE if value is None else f"{value:.2f}"


def _bench_rows(bench_records):
    """Newest bench record per (hardware, detector, params, shape, device)."""
    newest = {}
    for bench in bench_records:
        hardware = hardware_label(bench.environment, device=bench.device, device_model=bench.device_model)
        identity = (hardware, bench.detector.name, bench.detector.params_hash, tuple(bench.shape), bench.device)
        if identity not in newest or str(bench.date or "") > str(newest[identity].date or ""):
            newest[identity] = bench
    return newest


#: The note explaining the "x of FLOP bound" column of bench run-time tables.
FLOP_BOUND_NOTE = ("x of FLOP bound: the time per frame over the time the network's multiply-adds (Conv2d, "
                   "ConvTranspose2d, Linear layers, counted from the model) take at this machine's measured "
                   "float32 peak (a matmul and 3x3-convolution probe); 1 is the bound, no tiling overlap granted. "
                   f"{NOT_AVAILABLE} for detectors without a torch network and records written before crbench "
                   "measured it.")

#: Start of the hardware label of runs whose images ran on both the CPU and a GPU.
MIXED_DEVICES_PREFIX = "MIXED CPU and GPU"

#: The note of a run-time table of mixed CPU/GPU runs.
MIXED_DEVICES_NOTE = ("MIXED DEVICES: these runs detected some images on the CPU and others on a GPU (--device "
                      "on workers with different hardware), so their s/MP averages two kinds of hardware and "
                      "compares with neither; 'devices (images)' says how many images ran where.")


def _mixed_hardware_label(environment, runtime):
    """``"MIXED CPU and GPU (CPU: ... + GPU: ...)"``: the hardware of a run whose images ran on both."""
    labels = sorted({hardware_label(environment, device=device) for device in runtime.device_labels})
    return f"{MIXED_DEVICES_PREFIX} ({' + '.join(labels)})"


def _device_counts_text(runtime):
    """``"cpu: 10, cuda:0: 22"`` (or the device labels alone when a record does not count images per device)."""
    if runtime.devices:
        return ", ".join(f"{device}: {count}" for device, count in sorted(runtime.devices.items()))
    return ", ".join(runtime.device_labels)


def runtime_tables(collection):
    """Table 4: one run-time table per hardware, never ranked across hardware.

    Bench records (``crbench bench``) give the time per frame of the
    benchmark shape; run records give the detect-stage time per megapixel
    measured while scoring. The papers' figures come last, on their own
    hardware.
    """
    tables = []
    by_hardware = {}
    for (hardware, *_), bench in _bench_rows(collection.bench_records).items():
        threads = bench.thread_count
        by_hardware.setdefault(hardware, []).append(
            {
                "detector": bench.detector.name,
                "frame shape": " x ".join(str(n) for n in bench.shape) or NOT_AVAILABLE,
                "device": bench.device,
                "threads": NOT_AVAILABLE if threads is None else threads,
                "s per frame (median)": bench.median_seconds,
                "s/MP": bench.seconds_per_megapixel,
                "peak memory (MiB)": _mebibytes(bench.peak_rss_bytes),
                "repeats": len(bench.seconds),
                "x of FLOP bound": _ratio(bench.flop_bound_ratio),
            }
        )
    for hardware in sorted(by_hardware):
        frame = pd.DataFrame(by_hardware[hardware]).sort_values(["s/MP", "detector"], na_position="last")
        frame["s per frame (median)"] = frame["s per frame (median)"].map(_seconds)
        frame["s/MP"] = frame["s/MP"].map(_seconds)
        tables.append(Table(title=f"Run time on {hardware} (crbench bench)", frame=frame.reset_index(drop=True),
                            notes=["Sorted by s/MP on this hardware only; timings on different hardware are not ranked against each other.",
                                   FLOP_BOUND_NOTE]))

    by_hardware = {}
    for group in collection.groups:
        if group.not_comparable is not None:
            continue
        for record in group.records:
            runtime = record.runtime
            if runtime.seconds_per_megapixel is None:
                continue
            mixed = runtime.mixes_cpu_and_gpu
            hardware = (_mixed_hardware_label(record.environment, runtime) if mixed
                        else hardware_label(record.environment, device=runtime.device or "cpu"))
            row = {
                "detector": record.detector.name,
                "data set": group.key.dataset_label,
                "images timed": runtime.n_images_timed,
                "jobs": runtime.jobs,
                "s/MP": runtime.seconds_per_megapixel,
                "sweep values": runtime.n_sweep_values or "",
                "s/MP per sweep value": runtime.seconds_per_megapixel_per_sweep_value,
                "peak memory (MiB)": _mebibytes(runtime.peak_rss_bytes),
            }
            if mixed:  # only the mixed tables have the column, so every other table renders as before
                row["devices (images)"] = _device_counts_text(runtime)
            by_hardware.setdefault(hardware, []).append(row)
    for hardware in sorted(by_hardware):
        frame = pd.DataFrame(by_hardware[hardware]).sort_values(["data set", "s/MP", "detector"])
        frame["s/MP"] = frame["s/MP"].map(_seconds)
        frame["s/MP per sweep value"] = frame["s/MP per sweep value"].map(_seconds)
        notes = ["Time inside the detector calls of a scoring run (images read from the score cache are not timed); "
                 "mask detectors run their whole parameter sweep per image."]
        if hardware.startswith(MIXED_DEVICES_PREFIX):
            notes.insert(0, MIXED_DEVICES_NOTE)
        tables.append(Table(
            title=f"Detect-stage time while scoring on {hardware} (run records)",
            frame=frame.reset_index(drop=True),
            notes=notes,
        ))

    published = published_runtime()
    if len(published):
        for (source, hardware), rows in published.groupby(["source", "hardware"]):
            shape = rows["frame_shape"].iloc[0]
            frame = pd.DataFrame(
                {
                    "detector": rows["detector"],
                    "name in paper": rows["paper_detector"],
                    "s per frame": rows["seconds_per_frame"].map(lambda v: f"{v:.2f}"),
                    "s/MP": rows["seconds_per_megapixel"].map(_seconds),
                }
            ).reset_index(drop=True)
            citation = published_sources()[source].citation
            tables.append(Table(
                title=f"Published run time [{source}] on {hardware}",
                frame=frame,
                notes=[f"published [{source}]: {citation}, {rows['table'].iloc[0]}: CPU seconds for one "
                       f"{shape[0]} x {shape[1]} DECam image; s/MP assumes that frame size."],
            ))
    return tables


def build_leaderboard(collection, *, rank_metric=RANK_METRIC):
    """Build every table of the leaderboard from a :class:`~crbench.leaderboard.collect.Collection`."""
    sections = []
    # standard splits first (what the summary ranks), then real data (what the simulation is checked
    # against), then the stress variants, each in its own part of the page
    for group in sorted(collection.groups, key=lambda group: SECTION_ORDER.index(group.kind)):
        title = group.key.dataset_label
        if group.is_stress:
            title = f"{STRESS_PREFIX}{title}"
        elif group.is_real:
            title = f"{REAL_PREFIX}{title}"
        elif group.kind == "user":
            title = f"{USER_PREFIX}{title}"
        if group.not_comparable is not None:
            title += " — NOT COMPARABLE"
        published = group.kind not in ("real", "user")
        table1 = metric_table(group, TABLE1_METRICS, title=f"Table 1 layout: {title}", published=published)
        table2 = metric_table(group, TABLE2_METRICS, title=f"Table 2 layout: {title}", operating_point=True,
                              published=published)
        if group.not_comparable is not None:
            for table in (table1, table2):
                table.notes.insert(0, f"These records are {group.not_comparable}.")
        sections.append(DatasetSection(group=group, title=title, table1=table1, table2=table2, caveat=group.caveat))
    real_ranking, real_ranking_note = real_data_ranking(collection.groups, metric=rank_metric)
    return Leaderboard(
        sections=sections,
        ranking=ranking_table([group for group in collection.groups if group.kind == "standard"], metric=rank_metric),
        runtime=runtime_tables(collection),
        notes=list(collection.notes),
        sources=published_sources(),
        real_ranking=real_ranking,
        real_ranking_note=real_ranking_note,
    )
