"""Compression ratio and read/write time of score-cache entries: raw ``.npy`` vs zlib vs zstd.

Reads every ``.npy`` entry below ``FOLDER`` (a score cache's ``scores/``
folder, or a copy of some of its entries; nothing is written there), and
for each codec reports, per detector folder and entry kind (float32 score
map or bit-packed mask stack): the total stored bytes, the ratio
``raw bytes / compressed bytes``, and the write and read milliseconds per
Mpix of image (best of ``--repeats``). Every codec is checked to give back
the entry's exact bytes. Run from the repository root:

    python benchmarks/score_cache_compression.py /tmp/some-entries [--repeats 3]

Codecs:

- ``npy``: the uncompressed ``.npy`` bytes (what crbench stored before
  issue 17); write = ``np.save`` to memory, read = ``np.load``.
- ``savez_compressed``: ``np.savez_compressed`` (zlib, level 6; no extra
  dependency).
- ``zstd-N``: ``zstandard`` at level N over the ``.npy`` bytes.
"""

import argparse
import io
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import zstandard


def _best(function, argument, repeats):
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(argument)
        best = min(best, time.perf_counter() - start)
    return best, result


def _npy_bytes(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _codecs():
    def savez_write(array):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, array=array)
        return buffer.getvalue()

    def savez_read(payload):
        with np.load(io.BytesIO(payload), allow_pickle=False) as archive:
            return archive["array"]

    codecs = {
        "npy": (_npy_bytes, lambda payload: np.load(io.BytesIO(payload), allow_pickle=False)),
        "savez_compressed": (savez_write, savez_read),
    }
    for level in (1, 3, 9):
        compressor = zstandard.ZstdCompressor(level=level)
        decompressor = zstandard.ZstdDecompressor()
        codecs[f"zstd-{level}"] = (
            lambda array, c=compressor: c.compress(_npy_bytes(array)),
            lambda payload, d=decompressor: np.load(io.BytesIO(d.decompress(payload)), allow_pickle=False),
        )
    return codecs


def measure(folder, *, repeats):
    """One row per (detector folder, entry kind, codec): bytes, ratio, write and read ms per Mpix."""
    totals = defaultdict(lambda: defaultdict(float))
    codecs = _codecs()
    for path in sorted(Path(folder).rglob("*.npy")):
        array = np.load(path, allow_pickle=False)
        detector = path.relative_to(folder).parts[0]
        kind = "score float32" if array.dtype == np.float32 else "mask bit-packed"
        n_pixels = array.size if array.dtype == np.float32 else array.shape[1] * 8
        raw = path.stat().st_size
        for name, (write, read) in codecs.items():
            write_seconds, payload = _best(write, array, repeats)
            read_seconds, back = _best(read, payload, repeats)
            if back.dtype != array.dtype or back.tobytes() != array.tobytes():
                raise AssertionError(f"{name} did not give back the bytes of {path}")
            row = totals[(detector, kind, name)]
            row["entries"] += 1
            row["raw MB"] += raw / 1e6
            row["stored MB"] += len(payload) / 1e6
            row["write s"] += write_seconds
            row["read s"] += read_seconds
            row["Mpix"] += n_pixels * (array.shape[0] if array.dtype == np.uint8 else 1) / 1e6
    rows = []
    for (detector, kind, name), row in sorted(totals.items()):
        rows.append({"detector": detector, "kind": kind, "codec": name, "entries": int(row["entries"]),
                     "raw MB": round(row["raw MB"], 2), "stored MB": round(row["stored MB"], 3),
                     "ratio": round(row["raw MB"] / row["stored MB"], 1),
                     "write ms/Mpix": round(1e3 * row["write s"] / row["Mpix"], 2),
                     "read ms/Mpix": round(1e3 * row["read s"] / row["Mpix"], 2)})
    return pd.DataFrame(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    table = measure(args.folder, repeats=args.repeats)
    print(table.to_markdown(index=False))
    summary = table.groupby(["kind", "codec"])[["raw MB", "stored MB"]].sum()
    summary["ratio"] = (summary["raw MB"] / summary["stored MB"]).round(1)
    print()
    print(summary.to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
