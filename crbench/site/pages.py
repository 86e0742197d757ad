"""The pages of the leaderboard site, as HTML strings (writing them is :mod:`crbench.site.build`).

:class:`SiteBuilder` collects the tables (for their CSV/JSON downloads) and
the images (PNG bytes) that its pages refer to; :func:`crbench.site.build.write_site`
writes them.
"""

import html
import json

import pandas as pd

from ..escaping import inline_markup, notes_html
from ..leaderboard.objects_table import object_scores_frame, object_scores_table
from ..leaderboard.sensitivity import collection_rows, sensitivity_frame
from ..leaderboard.tables import (
    NOT_AVAILABLE,
    REAL_NOTE,
    STRESS_NOTE,
    Table,
    _names,
    display_labels,
    runtime_tables,
)
from ..scoring.presets import PRESETS
from .cost_plot import cost_points, plot_cost
from .curves import plot_curves_by_family, plot_object_recall
from .gallery import GALLERY_KINDS
from .layout import detector_page_name, doc_links, link, page, protocol_page_name
from .runtime import cost_per_megapixel, runtime_tables_by_machine
from .sections import (
    NOT_TRAINED,
    SECTION_KINDS,
    UNRANKED_KINDS,
    build_sections,
    detector_family,
    published_tables,
    row_filters,
    training_label,
)
from .tables_html import filter_controls, table_html, table_slug

__all__ = ["SiteBuilder", "NUMBERS_EXPLAINED"]

#: What the numbers mean, in three sentences (index page).
NUMBERS_EXPLAINED = (
    "Every number is a pixel-level score of a detector's output against the truth mask of a data set's test "
    "images, under crbench's stated protocol (3x3-dilated truth, ignored pixels excluded): TPR at 0.01 % FPR is "
    "the fraction of cosmic-ray pixels found while flagging at most 1 in 10,000 clean pixels, the headline "
    "metric, where detectors differ most. "
    "The brackets give a 95 % bootstrap interval over the test images ([low, high]), so two detectors whose "
    "intervals overlap, or that share a ranking group gN, are not distinguishable on that data set. "
    "Simulated, stress-variant, real-data and published numbers come from different images and truths and are "
    "shown on separate pages, never ranked against each other."
)
_GALLERY_HOW = (
    "No failure gallery here: the site was built without a score cache. Build it with "
    "<code>crbench leaderboard site --results RECORDS --output SITE --cache-dir CACHE</code>, where CACHE is the "
    "score cache the runs wrote (<code>crbench run --cache-dir CACHE</code>; a rebuild's own cache with "
    "<code>crbench leaderboard rebuild --cache-dir CACHE</code>), or review one data set by eye with "
    "<code>crbench datasets review DATASET --detector {name} --out DIR</code>."
)


def _frame_table(title, rows, notes=()):
    frame = pd.DataFrame(rows).fillna(NOT_AVAILABLE) if rows else pd.DataFrame()
    return Table(title=title, frame=frame, notes=list(notes))


class SiteBuilder:
    """Build every page of the site from a collection.

    Parameters
    ----------
    collection : crbench.leaderboard.collect.Collection
    metric : str
        The ranking metric.
    galleries : dict, optional
        ``{(detector, data set label): crbench.jobs.site_gallery.Gallery}``.

    Attributes
    ----------
    pages : dict of str to str
        File name -> HTML.
    tables : dict of str to Table
        Table id -> table (written as ``data/<id>.csv`` and ``.json``).
    images : dict of str to bytes
        Path inside the site -> PNG bytes.
    """

    def __init__(self, collection, *, metric, galleries=None):
        self.collection = collection
        self.metric = metric
        self.galleries = galleries
        self.sections = build_sections(collection, metric=metric)
        self.pages, self.tables, self.images = {}, {}, {}
        self.records_by_name = {}
        self.label_to_name = {}
        for group in collection.groups:
            for record, label in zip(group.records, _names(group)):
                self.records_by_name.setdefault(record.detector.name, []).append((group, record))
                self.label_to_name[label] = record.detector.name
        self.available = {"index.html", "published.html", "detectors.html", "protocols.html", "runtime.html",
                          "about.html"} | {f"{section.stem}.html" for section in self.sections}

    # helpers -----------------------------------------------------------------------------------------

    def _table(self, table, table_id, **options):
        table_id = table_slug(table_id)
        base, number = table_id, 2
        while table_id in self.tables:
            table_id, number = f"{base}-{number}", number + 1
        self.tables[table_id] = table
        return table_html(table, table_id, **options)

    def _image(self, name, png, alt):
        if png is None:
            return ""
        path = f"img/{table_slug(name)}.png"
        self.images[path] = png
        return f"<figure><img src='{path}' alt='{html.escape(alt)}'><figcaption>{html.escape(alt)}</figcaption></figure>"

    def _info(self, name):
        """The detector as its newest record states it (the adapter's current metadata)."""
        return max((record for _, record in self.records_by_name[name]), key=lambda record: str(record.created or "")
                   ).detector

    def _filters_for_labels(self, labels):
        filters = []
        for label in labels:
            name = self.label_to_name.get(label)
            filters.append(row_filters(self._info(name)) if name in self.records_by_name
                           else {"family": "", "training": ""})
        return filters

    def _detector_links(self, labels):
        return [detector_page_name(self.label_to_name[label]) if label in self.label_to_name else None
                for label in labels]

    def _filter_bar(self):
        families = {detector_family(entries[-1][1].detector) for entries in self.records_by_name.values()}
        trainings = {value for entries in self.records_by_name.values()
                     for value in training_label(entries[-1][1].detector).split("|")}
        return filter_controls(families, trainings)

    def _render(self, name, title, body):
        self.pages[name] = page(title, body, current=name, available=self.available)

    def _ranking_html(self, table, table_id):
        labels = list(table.frame["detector"])
        return self._table(table, table_id, row_filters=self._filters_for_labels(labels),
                           links={"detector": self._detector_links(labels)}, heading="h2")

    # pages -------------------------------------------------------------------------------------------

    def build(self):
        """Build every page; return ``self``."""
        self._index()
        for section in self.sections:
            self._section(section)
        self._published()
        self._detectors()
        self._protocols()
        self._runtime()
        self._about()
        return self

    def _dataset_rows(self):
        rows = []
        for section in self.sections:
            for group in section.groups + section.apart:
                dataset = group.records[0].dataset
                rows.append({
                    "data set": group.key.dataset_label,
                    "part": section.title,
                    "family": group.family,
                    "images": dataset.n_images,
                    "detectors": len(group.records),
                    "status": "current" if group.not_comparable is None else "shown apart",
                    "caveat": group.caveat,
                })
        return rows

    def _index(self):
        body = [f"<p>{html.escape(NUMBERS_EXPLAINED)}</p>"]
        standard = next((section for section in self.sections if section.kind == "standard"), None)
        if standard is not None and standard.ranking is not None:
            body += [self._filter_bar(), self._ranking_html(standard.ranking, "index-ranking")]
        else:
            body.append("<p>No simulated standard split has records: no summary ranking.</p>")
        parts = "".join(f"<li>{link(section.stem + '.html', section.title)}: {len(section.groups)} data set(s)"
                        + (" with its own ranking" if section.ranking is not None else "") + "</li>"
                        for section in self.sections)
        body.append("<h2>Pages</h2><ul>" + parts
                    + f"<li>{link('published.html', 'Published figures')}: the papers' numbers, on their own page</li>"
                    + f"<li>{link('detectors.html', 'Detectors')}: one page each (citation, results, cost, failures)</li>"
                    + f"<li>{link('protocols.html', 'Protocols')}: one page per evaluation protocol preset</li>"
                    + f"<li>{link('runtime.html', 'Run time')}: per machine, never ranked across machines</li>"
                    + f"<li>{link('about.html', 'About')}: how and when the records were produced</li></ul>")
        datasets = _frame_table("Data sets", self._dataset_rows(),
                                ["current: the newest comparable records of the data set (ranked); shown apart: "
                                 "older versions or other protocols, never merged with the current ones."])
        if len(datasets.frame):
            body.append(self._table(datasets, "index-datasets", heading="h2"))
        self._render("index.html", "crbench leaderboard", "\n".join(body))

    def _section(self, section):
        body = []
        if section.kind == "stress":
            body.append(f"<p>{html.escape(STRESS_NOTE)}</p>")
        elif section.kind == "real":
            body.append(f"<p>{html.escape(REAL_NOTE)}</p>")
        body.append(self._filter_bar())
        if section.ranking is not None:
            body.append(self._ranking_html(section.ranking, f"{section.stem}-ranking"))
        elif section.kind in UNRANKED_KINDS:
            body.append("<p>Not ranked: the labels of these data sets are their owners' own, so the numbers are not "
                        "comparable with the other parts nor with each other.</p>")
        else:
            body.append("<p>No ranking: no detector was evaluated on every data set of this part.</p>")
        for group in section.groups + section.apart:
            body.append(self._group_html(section, group))
        objects = object_scores_table(self.collection, real=section.kind == "real")
        if objects is not None:
            labels = {group.key.dataset_label for group in section.groups}
            keep = objects.frame["data set"].isin(labels)
            if keep.any():
                shown = Table(title=f"Object-level scores: {section.title}",
                              frame=objects.frame[keep].reset_index(drop=True), notes=objects.notes)
                names = [label.split(" ")[0] for label in shown.frame["detector"]]
                body.append(self._table(
                    shown, f"{section.stem}-objects", heading="h2",
                    row_filters=[row_filters(self._info(name)) if name in self.records_by_name else {}
                                 for name in names],
                    links={"detector": [detector_page_name(name) for name in names]}))
        self._render(f"{section.stem}.html", section.title, "\n".join(body))

    def _group_html(self, section, group):
        label = group.key.dataset_label
        css = " class='not-comparable'" if group.not_comparable else ""
        parts = [f"<section id='{table_slug(label)}'{css}>", f"<h2>{html.escape(label)}"
                 + (" — not comparable" if group.not_comparable else "") + "</h2>"]
        if group.caveat:
            parts.append(f"<p class='caveat'><strong>Caveat:</strong> {inline_markup(group.caveat)}</p>")
        filters = [row_filters(record.detector) for record in group.records]
        detector_links = [detector_page_name(record.detector.name) for record in group.records]
        for name, table in zip(("table1", "table2"), section.tables[id(group)]):
            parts.append(self._table(table, f"{section.stem}-{label}-{name}", row_filters=filters,
                                     links={"detector": detector_links}))
        if group.not_comparable is None:
            title = f"{section.title}, {label}"
            points, left_out, machine = cost_points(group, self.collection.bench_records, metric=self.metric)
            if points:
                parts.append(self._image(f"cost-{label}", plot_cost(points, title=label, machine_label=machine.label),
                                         f"Accuracy vs cost, {label}"))
                if left_out:
                    parts.append(notes_html(["Not on the accuracy-vs-cost plot: " + "; ".join(left_out) + "."]))
            else:
                parts.append(notes_html(["No accuracy-vs-cost plot: no detector of this data set has both a TPR at "
                                         "0.01 % FPR and a crbench bench record."]))
            labels = display_labels(group)  # legend labels carry the † and ‡ marks of the tables
            for kind, caption in (("roc", "ROC curves by detector family"), ("pr", "Precision-recall curves by detector family")):
                parts.append(self._image(f"{kind}-{label}", plot_curves_by_family(group.records, labels, title=label,
                                                                                   kind=kind),
                                         f"{caption}, {title}"))
            frame, _ = object_scores_frame([group], real=group.is_real)
            png = plot_object_recall(frame, title=label) if len(frame) else None
            if png is not None:
                parts.append(self._image(f"objects-{label}", png, f"Object recall by CR kind and near sources, {label}"))
        parts.append("</section>")
        return "\n".join(parts)

    def _published(self):
        body = ["<div class='published'><p>The papers' own figures, transcribed from their tables. They were measured "
                "on real images with the papers' truth masks and protocols, so they are shown here alone and never in "
                "the same column block as crbench's numbers on simulated data.</p></div>"]
        for table in published_tables():
            body.append(self._table(table, f"published-{table.title}", heading="h2"))
        for table in runtime_tables(self.collection):
            if table.title.startswith("Published run time"):
                body.append(self._table(table, f"published-{table.title}", heading="h2"))
        self._render("published.html", "Published figures", "\n".join(body))

    def _detectors(self):
        rows = []
        for name in sorted(self.records_by_name):
            info = self._info(name)
            rows.append({"detector": name, "family": detector_family(info), "output": info.output_kind or "",
                         "training data": ", ".join(info.training_datasets) or NOT_TRAINED,
                         "data sets": len({group.key.dataset_label for group, _ in self.records_by_name[name]})})
            self._detector_page(name)
        table = _frame_table("Detectors", rows, ["family: the detector's stated family, else 'classical' for mask "
                                                "detectors and the adapter module for learned ones."])
        names = [row["detector"] for row in rows]
        body = [self._filter_bar(),
                self._table(table, "detectors", heading=None, row_filters=[row_filters(self._info(n)) for n in names],
                            links={"detector": [detector_page_name(n) for n in names]})]
        self._render("detectors.html", "Detectors", "\n".join(body))

    def _detector_info_html(self, info):
        def stated(value, *, links=False):
            if value in (None, "", [], {}):
                return "<em>not stated</em>"
            return doc_links(value) if links else html.escape(str(value))

        items = [("family", stated(detector_family(info))), ("output", stated(info.output_kind)),
                 ("version", stated(info.version)), ("adapter class", stated(info.class_path)),
                 ("citation", stated(info.citation, links=True)), ("licence", stated(info.license)),
                 ("training data", stated(", ".join(info.training_datasets)))]
        for key in sorted(info.extra):
            if key in ("identity_hash", "weights_file"):
                continue
            value = info.extra[key]
            text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            items.append((key, stated(text, links=True)))
        return "<dl class='info'>" + "".join(f"<dt>{html.escape(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"

    def _detector_page(self, name):
        entries = self.records_by_name[name]
        info = self._info(name)
        body = [self._detector_info_html(info)]
        params = {}
        for group, record in entries:
            params.setdefault((record.detector.params_hash, json.dumps(record.detector.params, sort_keys=True)),
                              []).append(group.key.dataset_label)
        body.append(self._table(_frame_table("Parameters", [
            {"params hash": key[0] or NOT_AVAILABLE, "parameters": key[1], "data sets": "; ".join(labels)}
            for key, labels in params.items()], ["Parameters as run (the data set card's protocol parameters "
                                                 "applied); the hash names them in every record."]),
            f"{name}-parameters", heading="h2"))
        results = []
        for section in self.sections:
            for group in section.groups + section.apart:
                table1, table2 = section.tables[id(group)]
                for index, record in enumerate(group.records):
                    if record.detector.name != name:
                        continue
                    row = {"data set": group.key.dataset_label, "part": section.title,
                           "status": "current" if group.not_comparable is None else "not comparable"}
                    row.update({key: value for key, value in table1.frame.iloc[index].items() if key != "detector"})
                    row.update({key: value for key, value in table2.frame.iloc[index].items() if key != "detector"})
                    results.append(row)
        body.append(self._table(_frame_table("Results on every data set", results, [
            "Cells as on the section pages: value [95 % bootstrap interval]; 'not reached (FPR >= x)' where the "
            "sweep could not reach the target; n/a where undefined."]), f"{name}-results", heading="h2"))
        cost = cost_per_megapixel(self.collection, name)
        body.append(self._table(_frame_table("Cost per megapixel on each machine", cost, [
            "Machines are told apart by CPU model, logical CPU count, torch threads and GPU; never compare "
            "numbers across machines."]), f"{name}-cost", heading="h2") if cost
            else "<h2>Cost per megapixel</h2><p>No timing recorded.</p>")
        sensitivity = [row for row in collection_rows(self.collection)[0] if row.get("detector") == name]
        if sensitivity:
            frame = sensitivity_frame(sensitivity).astype(object).map(
                lambda value: NOT_AVAILABLE if value is None or (isinstance(value, float) and pd.isna(value))
                else f"{value:.3f}" if isinstance(value, float) else value)
            body.append(self._table(Table(title="Protocol sensitivity", frame=frame, notes=[
                "The same cached outputs scored under each protocol preset; differences are the protocol's, "
                "not the detector's."]), f"{name}-sensitivity", heading="h2"))
        else:
            body.append("<h2>Protocol sensitivity</h2><p>No record of this detector carries protocol-sensitivity rows.</p>")
        body.append(self._gallery_html(name, entries))
        self._render(detector_page_name(name), f"Detector {name}", "\n".join(body))

    def _gallery_html(self, name, entries):
        parts = ["<h2 id='failure-gallery'>Failure gallery</h2>"]
        if self.galleries is None:
            parts.append(f"<p>{_GALLERY_HOW.format(name=html.escape(name))}</p>")
            return "\n".join(parts)
        parts.append("<p>Largest errors among the first images of each split, at the operating point: red = truth "
                     "contour, cyan dashed = flagged pixels; n = pixels of the cluster or object.</p>")
        for group, _ in entries:
            if group.not_comparable is not None:
                continue
            gallery = self.galleries.get((name, group.key.dataset_label))
            parts.append(f"<h3>{html.escape(group.key.dataset_label)}</h3>")
            if gallery is None:
                parts.append("<p>No gallery for this data set.</p>")
                continue
            for kind, caption in GALLERY_KINDS.items():
                png = gallery.pngs.get(kind)
                count = gallery.counts.get(kind, 0)
                text = f"{caption}: {count} in {gallery.n_images} image(s)"
                parts.append(self._image(f"gallery-{name}-{group.key.dataset_label}-{kind}", png, text) if png
                             else f"<p>{html.escape(text)}.</p>")
            if gallery.note:
                parts.append(f"<p>{html.escape(gallery.note)}</p>")
        return "\n".join(parts)

    def _protocols(self):
        rows, _ = collection_rows(self.collection)
        listing = []
        for name, preset in PRESETS.items():
            listing.append(f"<li>{link(protocol_page_name(name), name)}: {doc_links(preset.citation)}</li>")
            body = [f"<p>{doc_links(preset.citation)}</p>"]
            choices = getattr(preset, "open_choices", ()) or ()
            if choices:
                body.append("<h2>Choices the source leaves open (crbench's reading)</h2><ul>"
                            + "".join(f"<li>{html.escape(choice)}</li>" for choice in choices) + "</ul>")
            mine = [row for row in rows if row.get("protocol") == name]
            if mine:
                frame = sensitivity_frame(mine).astype(object).map(
                    lambda value: NOT_AVAILABLE if value is None or (isinstance(value, float) and pd.isna(value))
                    else f"{value:.3f}" if isinstance(value, float) else value)
                names = list(frame["detector"])
                body.append(self._filter_bar())
                body.append(self._table(Table(title=f"Every detector scored under {name}", frame=frame, notes=[
                    "From the records' protocol_sensitivity sections: the same cached outputs under each preset. "
                    "Only crbench's protocol is ranked (on the other pages)."]), f"protocol-{name}", heading="h2",
                    row_filters=[row_filters(self._info(n)) if n in self.records_by_name else {} for n in names],
                    links={"detector": [detector_page_name(n) if n in self.records_by_name else None for n in names]}))
            else:
                body.append("<p>No record carries rows scored under this protocol.</p>")
            apart = [group for group in self.collection.groups if group.key.protocol == name and group.not_comparable]
            for group in apart:
                body.append(f"<p>Records of {html.escape(group.key.dataset_label)} scored under this protocol: "
                            f"{len(group.records)}, on the {link(_section_page(group), 'data set page')} (shown apart).</p>")
            self._render(protocol_page_name(name), f"Protocol {name}", "\n".join(body))
            self.available.add(protocol_page_name(name))
        self._render("protocols.html", "Evaluation protocols",
                     "<p>crbench ranks under its own protocol only; the presets reproduce each paper's evaluation "
                     "code or text, so that a number's dependence on the protocol is visible.</p><ul>"
                     + "".join(listing) + "</ul>")

    def _runtime(self):
        body = ["<p>One table per machine fingerprint (CPU model, logical CPUs, torch threads, GPU) with the date "
                "window of its measurements. Timings are never ranked across machines. The papers' timings are on "
                f"the {link('published.html', 'published figures')} page.</p>"]
        tables = runtime_tables_by_machine(self.collection)
        for number, (_, table) in enumerate(tables):
            names = list(table.frame["detector"])
            body.append(self._table(table, f"runtime-{number}", heading="h2",
                                    row_filters=[row_filters(self._info(n)) if n in self.records_by_name else {}
                                                 for n in names],
                                    links={"detector": [detector_page_name(n) if n in self.records_by_name else None
                                                        for n in names]}))
        if not tables:
            body.append("<p>No timing recorded.</p>")
        self._render("runtime.html", "Run time", "\n".join(body))

    def _about(self):
        rebuild = self.collection.rebuild or {}
        body = []
        if rebuild:
            entries = [{"command": rebuild.get("command", ""), "started": _when(rebuild.get("started")),
                        "duration (min)": _minutes(rebuild.get("seconds")), "machine": rebuild.get("hardware", ""),
                        "processes": rebuild.get("processes", ""), "executor": rebuild.get("executor", ""),
                        "records": "all"}]
            for update in rebuild.get("updates", []):
                entries.append({"command": update.get("command", ""), "started": _when(update.get("started")),
                                "duration (min)": _minutes(update.get("seconds")), "machine": update.get("hardware", ""),
                                "processes": "", "executor": "", "records": len(update.get("records", []))})
            body.append(self._table(_frame_table("Rebuild history", entries, [
                "From rebuild.json beside the records: the full rebuild first, then every --update."]),
                "about-history", heading="h2"))
            if rebuild.get("summary"):
                body.append(f"<h2>Summary</h2><p>{inline_markup(rebuild['summary'])}</p>")
        else:
            body.append("<p>The records carry no rebuild.json: they were not produced by "
                        "<code>crbench leaderboard rebuild</code>.</p>")
        n_runs = sum(len(group.records) for group in self.collection.groups)
        body.append(f"<p>{n_runs} run record(s) and {len(self.collection.bench_records)} bench record(s) shown.</p>")
        if self.collection.notes:
            body.append("<h2>Notes</h2>" + notes_html(self.collection.notes))
        self._render("about.html", "About these results", "\n".join(body))


def _when(started):
    """``2026-11-22 02:03 UTC`` from an ISO time (as given when it is not one)."""
    text = str(started or "")
    return f"{text[:16].replace('T', ' ')} UTC" if len(text) >= 16 and text.endswith("+00:00") else text


def _minutes(seconds):
    return f"{seconds / 60:.1f}" if isinstance(seconds, (int, float)) else NOT_AVAILABLE


def _section_page(group):
    return f"{SECTION_KINDS[group.kind][0]}.html"

