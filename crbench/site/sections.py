"""What each page of the site shows, as data: sections of comparable groups, their rankings and tables.

Built from the leaderboard's own data functions
(:mod:`crbench.leaderboard.tables`): the cells (value, interval, "not
reached (FPR >= x)", the † and ‡ marks) are those of the Markdown page. Two
rules differ from the one-page leaderboard:

- published figures are never in the same column block as crbench's: the
  metric tables here drop the papers' columns, which get their own page
  (:func:`published_tables`);
- a section's ranking holds only the detectors evaluated on every data set
  of the section (current groups), so that each mean rank averages the same
  sets; the others are named in a note.
"""

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

from ..leaderboard.published import published_sources
from ..leaderboard.tables import (
    METRIC_LABELS,
    PERCENT_METRICS,
    TABLE1_METRICS,
    TABLE2_METRICS,
    Table,
    _names,
    format_value,
    metric_table,
    ranking_table,
)

__all__ = ["SECTION_KINDS", "UNRANKED_KINDS", "Section", "detector_family", "training_label", "row_filters", "site_metric_table",
           "section_ranking", "build_sections", "published_tables"]

#: Section kind -> (page file stem, title), in page order.
SECTION_KINDS = {
    "standard": ("simulated", "Simulated data: standard splits"),
    "stress": ("stress", "Simulated data: stress variants"),
    "real": ("real", "Real data"),
    # data sets added with 'crbench datasets add' (card kind "user"): their labels are the user's own
    "user": ("user", "User data sets"),
}
#: Kinds shown without a ranking.
UNRANKED_KINDS = frozenset({"user"})
NOT_TRAINED = "none (not trained)"
_PUBLISHED_COLUMN = " published ["


def detector_family(info):
    """Family of a detector for the filters: its info's ``family`` when stated, else from the adapter module.

    Mask detectors (LACosmic, Astro-SCRAPPY) are ``classical``; learned ones
    are named after their adapter module (``crbench.detectors.cosmic_conn_adapter``
    -> ``cosmic_conn``).

    Parameters
    ----------
    info : crbench.records.parts.DetectorInfo

    Returns
    -------
    str
    """
    stated = info.extra.get("family")
    if stated:
        return str(stated)
    if info.output_kind == "mask":
        return "classical"
    module = str(info.class_path or "").partition(":")[0].rsplit(".", 1)[-1]
    return module.removesuffix("_adapter") or info.name


def training_label(info):
    """The training data sets of a detector joined with ``|`` (the filter's separator), or "none (not trained)"."""
    names = [str(name) for name in info.training_datasets or []]
    return "|".join(names) if names else NOT_TRAINED


def row_filters(info):
    """``{"family": ..., "training": ...}`` of a table row showing detector ``info``."""
    return {"family": detector_family(info), "training": training_label(info)}


def site_metric_table(group, metrics, *, title, operating_point=False):
    """:func:`~crbench.leaderboard.tables.metric_table` without the papers' columns and their notes.

    Rows are in ``group.records`` order.
    """
    published = group.kind not in ("real", "user")
    table = metric_table(group, metrics, title=title, operating_point=operating_point, published=published)
    kept = [column for column in table.frame.columns if _PUBLISHED_COLUMN not in str(column)]
    notes = [note for note in table.notes
             if not note.startswith("published [") and not note.startswith("No published figures")]
    if published:
        notes.append("The papers' published figures are on their own page (published.html), never in these columns: "
                     "they were measured on real images with other truth.")
    return Table(title=table.title, frame=table.frame[kept].copy(), notes=notes)


@dataclass
class Section:
    """One part of the site: the current groups of one data set kind, their tables and ranking.

    Attributes
    ----------
    kind : str
        ``standard``, ``stress`` or ``real``.
    groups : list of RecordGroup
        Current (comparable, crbench-protocol) groups.
    apart : list of RecordGroup
        Groups of this kind shown apart: older versions, other protocols.
    tables : dict
        ``{id(group): (table1, table2)}``.
    ranking : Table or None
    """

    kind: str
    groups: list
    apart: list = field(default_factory=list)
    tables: dict = field(default_factory=dict)
    ranking: Table | None = None

    @property
    def stem(self):
        return SECTION_KINDS[self.kind][0]

    @property
    def title(self):
        return SECTION_KINDS[self.kind][1]


def section_ranking(groups, *, metric):
    """The ranking of ``groups`` restricted to detectors evaluated on every one of them.

    Parameters
    ----------
    groups : list of RecordGroup
        Current groups of one section.
    metric : str

    Returns
    -------
    Table or None
        None without groups or when no detector ran on all of them.
    """
    groups = [group for group in groups if group.records]
    if not groups:
        return None
    labels = [_names(group) for group in groups]
    everywhere = set(labels[0]).intersection(*labels[1:])
    missing = {}
    for group, names in zip(groups, labels):
        for name in set(names) - everywhere:
            missing.setdefault(name, []).append(group.key.dataset_label)
    lacking = {name for names in labels for name in names} - everywhere
    if not everywhere:
        return None
    restricted = [dataclasses.replace(group, records=[record for record, name in zip(group.records, names)
                                                      if name in everywhere])
                  for group, names in zip(groups, labels)]
    table = ranking_table(restricted, metric=metric)
    if lacking:
        absent = {name: sorted({group.key.dataset_label for group in groups} - set(missing.get(name, [])))
                  for name in lacking}
        table.notes.insert(0, "Not ranked here (not evaluated on every data set of this section): "
                           + "; ".join(f"{name} (no record on {', '.join(sets)})"
                                       for name, sets in sorted(absent.items())) + ".")
    table.notes.insert(0, f"Ranked: the {len(everywhere)} detector(s) evaluated on all {len(groups)} data set(s) "
                       "of this section, so every mean rank averages the same sets.")
    return table


def build_sections(collection, *, metric):
    """The site's sections, in page order; kinds without records are left out.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    metric : str
        Ranking metric.

    Returns
    -------
    list of Section
    """
    sections = []
    for kind in SECTION_KINDS:
        members = [group for group in collection.groups if group.kind == kind and group.records]
        if not members:
            continue
        current = [group for group in members if group.not_comparable is None]
        section = Section(kind=kind, groups=current, apart=[group for group in members if group.not_comparable])
        for group in members:
            label = group.key.dataset_label
            table1 = site_metric_table(group, TABLE1_METRICS, title=f"Table 1 layout: {label}")
            table2 = site_metric_table(group, TABLE2_METRICS, title=f"Table 2 layout: {label}", operating_point=True)
            if group.not_comparable is not None:
                for table in (table1, table2):
                    table.notes.insert(0, f"These records are {group.not_comparable}.")
            section.tables[id(group)] = (table1, table2)
        section.ranking = None if kind in UNRANKED_KINDS else section_ranking(current, metric=metric)
        if section.ranking is not None:
            section.ranking.title = f"{section.title}: ranking by {METRIC_LABELS[metric]}"
        sections.append(section)
    return sections


def published_tables():
    """One table per data set family of the papers' figures (their own page, never beside crbench's).

    Returns
    -------
    list of Table
        One row per detector (crbench name and name in the paper), one
        column per metric and source; percent metrics in percent.
    """
    sources = published_sources()
    rows = []
    for key, source in sources.items():
        for _, line in source.metrics.iterrows():
            rows.append({"family": line["family"], "detector": line["detector"], "name in paper": line["paper_detector"],
                         "metric": line["metric"], "source": key, "value": line["value"], "table": line["table"],
                         "measured_on": line["measured_on"]})
    if not rows:
        return []
    frame = pd.DataFrame(rows)
    tables = []
    for family, part in frame.groupby("family", sort=True):
        display = {}
        order = {metric: index for index, metric in enumerate(METRIC_LABELS)}
        for _, line in part.sort_values("metric", key=lambda column: column.map(order)).iterrows():
            metric = line["metric"]
            label = METRIC_LABELS.get(metric, metric) + (" (%)" if metric in PERCENT_METRICS else "")
            row = display.setdefault((line["detector"], line["name in paper"]),
                                     {"detector": line["detector"], "name in paper": line["name in paper"]})
            row[f"{label} [{line['source']}]"] = format_value(line["value"], metric)
        table_frame = pd.DataFrame([display[key] for key in sorted(display)]).fillna("")
        used = sorted({line for line in part["source"]})
        notes = [f"[{key}]: {sources[key].citation}; "
                 + "; ".join(sorted(set(part.loc[part['source'] == key, 'table'])))
                 + f"; measured on the {'; '.join(sorted(set(part.loc[part['source'] == key, 'measured_on'])))}."
                 for key in used]
        notes.append("Transcribed from the papers (crbench/leaderboard/data); real images with the papers' truth "
                     "and protocols, so not comparable with crbench's numbers on simulated data.")
        tables.append(Table(title=f"Published figures, data set family {family}", frame=table_frame, notes=notes))
    return tables
