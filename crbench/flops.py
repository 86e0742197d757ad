"""Multiply-adds of a torch network, counted from the model with forward hooks.

``crbench bench`` puts a detector's time beside the time its network's
arithmetic needs at the machine's measured peak (:mod:`crbench.peak_probe`).
The count covers the layers that do almost all of a convolutional network's
arithmetic: ``Conv2d``, ``ConvTranspose2d`` and ``Linear`` (biases,
normalisation, activations, pooling and attention products not counted), so
the bound it gives is a lower bound on the run time.

Counts are multiply-adds (MACs); one MAC is two floating-point operations.
"""

__all__ = ["count_macs", "network_macs_per_pixel", "gflops", "flop_bound_ratio"]


def _layer_macs(module, inputs, output):
    """Multiply-adds of one call of a counted layer (None for other modules)."""
    import torch.nn as nn

    if isinstance(module, nn.Conv2d):
        # every output element sums in_channels / groups x kernel window products
        kernel = module.kernel_size[0] * module.kernel_size[1]
        return output.numel() * (module.in_channels // module.groups) * kernel
    if isinstance(module, nn.ConvTranspose2d):
        # every input element is scattered into out_channels / groups x kernel window outputs
        kernel = module.kernel_size[0] * module.kernel_size[1]
        return inputs[0].numel() * (module.out_channels // module.groups) * kernel
    if isinstance(module, nn.Linear):
        return output.numel() * module.in_features
    return None


def count_macs(model, input_shape):
    """Count the multiply-adds of one forward pass of ``model`` on zeros of ``input_shape``.

    Parameters
    ----------
    model : torch.nn.Module
        Run in its current mode (put it in eval mode first) on the device
        and dtype of its first parameter.
    input_shape : tuple of int
        Shape of the input tensor, e.g. ``(1, 1, 256, 256)``.

    Returns
    -------
    int
        Multiply-adds of every ``Conv2d``, ``ConvTranspose2d`` and ``Linear``
        call (a layer called twice counts twice).

    Examples
    --------
    >>> import torch.nn as nn
    >>> count_macs(nn.Conv2d(1, 4, 3, padding=1), (1, 1, 8, 8))  # 8 x 8 x 4 outputs, 9 products each
    2304
    """
    import torch

    total = 0

    def hook(module, inputs, output):
        nonlocal total
        macs = _layer_macs(module, inputs, output)
        if macs is not None:
            total += int(macs)

    reference = next(model.parameters(), None)
    device = reference.device if reference is not None else torch.device("cpu")
    dtype = reference.dtype if reference is not None and reference.is_floating_point() else torch.float32
    handles = [module.register_forward_hook(hook) for module in model.modules()]
    try:
        with torch.inference_mode():
            model(torch.zeros(tuple(input_shape), device=device, dtype=dtype))
    finally:
        for handle in handles:
            handle.remove()
    return total


def network_macs_per_pixel(detector):
    """Multiply-adds per image pixel of a set-up detector's torch network, or None.

    Counted on one stamp of the side the detector names
    (:meth:`crbench.detectors.base.Detector.torch_network`) and divided by
    its pixels: the network's own work per pixel, without the overlap a
    tiling adds (overlap is overhead the bound does not grant).

    Parameters
    ----------
    detector : Detector
        After :meth:`~crbench.detectors.base.Detector.setup`.

    Returns
    -------
    float or None
        None for detectors that run no torch network.
    """
    network = detector.torch_network()
    if network is None:
        return None
    model, side = network
    return count_macs(model, (1, 1, side, side)) / (side * side)


def gflops(macs_per_pixel, *, megapixels, seconds):
    """Achieved GFLOP/s: ``2 * macs_per_pixel * pixels / seconds`` in units of 1e9."""
    return 2.0 * macs_per_pixel * megapixels * 1e6 / seconds / 1e9


def flop_bound_ratio(achieved_gflops, peak_gflops):
    """How many times the FLOP bound a run took (``peak / achieved``; 1 = at the bound), or None."""
    if achieved_gflops is None or peak_gflops is None or achieved_gflops <= 0:
        return None
    return peak_gflops / achieved_gflops
