"""Where a run's detector outputs are read back from, for every pass after detection.

A detector's output for one image is normally one entry of its score cache,
checked against the digest taken when it was stored. An adaptive sweep keeps
one cache entry per swept value instead and hands the runner a loader per
image (:func:`crbench.adaptive_sweep.run_refined_sweep`); every later pass
(pixel scoring, bootstrap, protocol presets, object-level scores) goes
through :func:`output_loader` so that it reads the same bytes either way.
"""

__all__ = ["output_loader"]


def output_loader(outcome, cache, *, kind, loaders=None):
    """Return a callable that loads one image's cached detector output.

    Parameters
    ----------
    outcome : crbench.runner.ImageOutcome
        Its ``input_sha256``, ``shape`` and ``map_sha256`` locate and check
        the cache entry.
    cache : crbench.cache.ScoreCache
    kind : {"score", "mask"}
    loaders : dict, optional
        ``{sample_id: load_output}``; when given, its entry for the outcome
        is returned instead of a score-cache look-up.

    Returns
    -------
    callable
        ``load_output() -> ndarray``.
    """
    if loaders is not None:
        return loaders[outcome.sample_id]
    # the digest taken when the map was stored: every pass scores exactly those bytes
    return lambda: cache.load(outcome.input_sha256, shape=outcome.shape, kind=kind,
                              expected_sha256=outcome.map_sha256)[0]
