"""Overlapping tiling for detectors that run on fixed-size stamps.

A frame is cut into stamps of side ``stamp`` that overlap by ``2 * margin``
pixels; each stamp's prediction is kept only in its central region (its
margin discarded except at the frame edges), so seams between stamps see the
same context as the interior. Frames smaller than one stamp, or whose sides
are not a multiple the network needs, are padded by reflection.
"""

import numpy as np

__all__ = ["tile_starts", "predict_tiled", "predict_tiled_batched", "pad_to_multiple"]


def tile_starts(length, *, stamp, margin):
    """Return the start offsets of stamps covering ``[0, length)``.

    Parameters
    ----------
    length : int
        Axis length in pixels (``length >= stamp``).
    stamp : int
        Stamp side in pixels.
    margin : int
        Pixels discarded on each inner side of a stamp; ``stamp > 2 * margin``.

    Returns
    -------
    list of int
        Starts such that the kept central parts tile the axis exactly.
    """
    if stamp <= 2 * margin:
        raise ValueError(f"stamp ({stamp}) must exceed twice the margin ({margin})")
    if length <= stamp:
        return [0]
    step = stamp - 2 * margin
    starts = list(range(0, length - stamp, step))
    starts.append(length - stamp)
    return starts


def pad_to_multiple(image, *, multiple, minimum=0):
    """Reflect-pad ``image`` at the high ends so each side is a multiple of ``multiple``.

    Parameters
    ----------
    image : ndarray, shape (ny, nx)
    multiple : int
        Required divisor of each padded side.
    minimum : int
        Minimum padded side.

    Returns
    -------
    padded : ndarray
    original_shape : tuple of int
        Shape to crop the prediction back to.
    """
    ny, nx = image.shape
    target = [max(minimum, -(-side // multiple) * multiple) for side in (ny, nx)]
    pad = [(0, target[0] - ny), (0, target[1] - nx)]
    if pad[0][1] == 0 and pad[1][1] == 0:
        return image, (ny, nx)
    # reflect needs the pad to be smaller than the axis; fall back to symmetric growth
    mode = "reflect" if pad[0][1] < ny and pad[1][1] < nx else "symmetric"
    return np.pad(image, pad, mode=mode), (ny, nx)


def predict_tiled(image, predict, *, stamp, margin, multiple=1):
    """Apply ``predict`` to overlapping stamps of ``image`` and stitch the centres.

    Parameters
    ----------
    image : ndarray of float32, shape (ny, nx)
    predict : callable
        Maps a batch-free 2-D stamp (stamp x stamp, or the padded frame when
        it is smaller than one stamp) to a same-shaped float array.
    stamp : int or tuple of int
        Stamp side in pixels, or ``(side_y, side_x)``.
    margin : int
        Overlap half-width: the outer ``margin`` pixels of each stamp are
        discarded unless they lie on the frame edge.
    multiple : int
        The padded frame's sides are made a multiple of this (e.g. 8 for a
        U-Net with three 2x poolings).

    Returns
    -------
    ndarray of float32, shape (ny, nx)
    """
    return predict_tiled_batched(
        image, lambda stamps: np.asarray(predict(stamps[0]))[None], stamp=stamp, margin=margin, multiple=multiple, batch_size=1
    )


def predict_tiled_batched(image, predict_batch, *, stamp, margin, multiple=1, batch_size=4):
    """Batched form of :func:`predict_tiled`: the same stamps, ``batch_size`` per call.

    Handing a network several stamps per call can be faster (fewer calls) or
    slower (larger activations fall out of cache); the stamps, their order
    and the kept centres do not depend on ``batch_size``.

    Parameters
    ----------
    image : ndarray of float32, shape (ny, nx)
    predict_batch : callable
        Maps an array of stamps ``(n, sy, sx)`` to predictions of the same shape.
    stamp, margin, multiple
        As in :func:`predict_tiled`.
    batch_size : int
        Stamps per call.

    Returns
    -------
    ndarray of float32, shape (ny, nx)
    """
    padded, (ny, nx) = pad_to_multiple(image, multiple=multiple, minimum=0)
    py, px = padded.shape
    side_y, side_x = (stamp, stamp) if np.ndim(stamp) == 0 else stamp
    stamp_y, stamp_x = min(int(side_y), py), min(int(side_x), px)
    starts_y = tile_starts(py, stamp=stamp_y, margin=margin if stamp_y > 2 * margin else 0)
    starts_x = tile_starts(px, stamp=stamp_x, margin=margin if stamp_x > 2 * margin else 0)
    jobs = []
    for iy, y0 in enumerate(starts_y):
        keep_y = (0 if iy == 0 else margin, stamp_y if iy == len(starts_y) - 1 else stamp_y - margin)
        for ix, x0 in enumerate(starts_x):
            keep_x = (0 if ix == 0 else margin, stamp_x if ix == len(starts_x) - 1 else stamp_x - margin)
            jobs.append((y0, x0, keep_y, keep_x))
    output = np.empty((py, px), dtype=np.float32)
    for first in range(0, len(jobs), batch_size):
        chunk = jobs[first : first + batch_size]
        stamps = np.stack([padded[y0 : y0 + stamp_y, x0 : x0 + stamp_x] for y0, x0, _, _ in chunk])
        results = np.asarray(predict_batch(stamps), dtype=np.float32)
        for (y0, x0, (ky0, ky1), (kx0, kx1)), result in zip(chunk, results):
            output[y0 + ky0 : y0 + ky1, x0 + kx0 : x0 + kx1] = result[ky0:ky1, kx0:kx1]
    return output[:ny, :nx]
