"""Run-time tables per machine fingerprint: one machine is one table, machines are never ranked together."""

from crbench.leaderboard.collect import collect_records
from crbench.site.runtime import cost_per_megapixel, runtime_tables_by_machine

from ..leaderboard.factory import make_bench, make_record


def _bench(detector, *, cpu="Intel(R) Xeon(R) Processor", torch_threads=2, logical_cpus=2, date, seconds=4.0):
    bench = make_bench(detector, cpu=cpu, date=date, median_seconds=seconds)
    bench["threads"] = {"logical_cpus": logical_cpus, "torch_threads": torch_threads}
    bench["environment"]["threads"] = dict(bench["threads"])
    return bench


def test_one_machine_is_one_table_even_when_classical_detectors_load_no_torch():
    benches = [_bench("deepcr", date="2026-11-22T02:30:00+00:00"),
               _bench("astroscrappy", torch_threads=None, date="2026-11-22T03:10:00+00:00", seconds=1.0),
               _bench("deepcr", cpu="AMD EPYC", date="2026-11-29T01:00:00+00:00", seconds=2.0),
               _bench("deepcr", logical_cpus=8, date="2026-11-29T02:00:00+00:00", seconds=0.5)]
    tables = [table for _, table in runtime_tables_by_machine(collect_records([make_record()], benches))
              if "crbench bench" in table.title]

    assert [table.title for table in tables] == [
        "crbench bench on AMD EPYC, 2 logical CPUs, torch threads 2, no GPU",
        "crbench bench on Intel(R) Xeon(R) Processor, 2 logical CPUs, torch threads 2, no GPU",
        "crbench bench on Intel(R) Xeon(R) Processor, 8 logical CPUs, torch threads 2, no GPU",
    ]
    intel = tables[1]
    assert list(intel.frame["detector"]) == ["astroscrappy", "deepcr"]  # sorted by s/MP on this machine only
    assert "2026-11-22 02:30 to 2026-11-22 03:10 UTC" in intel.notes[0]
    assert "never ranked" in intel.notes[0]


def test_a_torch_free_timing_stays_apart_when_its_machine_had_two_torch_settings():
    benches = [_bench("deepcr", torch_threads=1, date="2026-11-22T01:00:00+00:00"),
               _bench("deepcr", torch_threads=2, date="2026-11-22T02:00:00+00:00"),
               _bench("lacosmic", torch_threads=None, date="2026-11-22T03:00:00+00:00")]
    titles = [table.title for _, table in runtime_tables_by_machine(collect_records([make_record()], benches))
              if "crbench bench" in table.title]
    assert len(titles) == 3 and any("torch not used" in title for title in titles)


def test_cost_per_megapixel_lists_every_machine_of_one_detector():
    benches = [_bench("deepcr", date="2026-11-22T02:30:00+00:00"),
               _bench("deepcr", cpu="AMD EPYC", date="2026-11-29T01:00:00+00:00", seconds=2.0)]
    rows = cost_per_megapixel(collect_records([make_record("deepcr", cpu="AMD EPYC")], benches), "deepcr")
    assert [(row["source"], row["machine"].split(",")[0]) for row in rows] == [
        ("crbench bench", "AMD EPYC"), ("crbench bench", "Intel(R) Xeon(R) Processor"),
        ("scoring run (detect stage)", "AMD EPYC")]
    assert rows[0]["s/MP"] == f"{2.0 / (2048 * 4096 / 1e6):.3f}"


def test_the_site_shows_the_flop_bound_of_benches_that_measured_it():
    measured = _bench("deepcr", date="2026-11-29T01:00:00+00:00")
    measured["flop_bound_ratio"] = 2.2
    old = _bench("astroscrappy", torch_threads=2, date="2026-11-29T01:10:00+00:00", seconds=1.0)
    [table] = [table for _, table in runtime_tables_by_machine(collect_records([make_record()], [measured, old]))
               if "crbench bench" in table.title]
    assert dict(zip(table.frame["detector"], table.frame["x of FLOP bound"])) == {"deepcr": "2.20", "astroscrappy": "n/a"}
    assert any("x of FLOP bound" in note for note in table.notes)
