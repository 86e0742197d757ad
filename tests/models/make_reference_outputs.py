"""Regenerate tests/models/data/reference_*.npy (run once; the outputs are committed).

    CRBENCH_WEIGHTS_DIR=../shared/weights/attention_decam_2022 python tests/models/make_reference_outputs.py

The input is a seeded 48x48 frame in ADU: Gaussian noise (sigma 8), a star
and a few cosmic-ray-like hot pixels and tracks. The outputs are the four
published models' probabilities, computed with :func:`crbench.models.load_model`.
"""

from pathlib import Path

import numpy as np
import torch

from crbench.models import load_model
from crbench.weights import weights_path

DATA = Path(__file__).parent / "data"
MODELS = ("deepcr", "att_deepcr", "cosmic_conn", "att_cosmic_conn")


def make_reference_input():
    rng = np.random.default_rng(20220721)
    image = rng.normal(0.0, 8.0, (48, 48))
    yy, xx = np.mgrid[0:48, 0:48]
    image += 3000.0 * np.exp(-((yy - 30.3) ** 2 + (xx - 12.7) ** 2) / (2 * 1.6**2))
    for _ in range(6):
        y, x = rng.integers(2, 46, 2)
        image[y, x] += rng.uniform(200, 2000)
    image[10, 20:27] += 800.0
    image[35:40, 38] += 600.0
    return image.astype(np.float32)


def main():
    DATA.mkdir(parents=True, exist_ok=True)
    image = make_reference_input()
    np.save(DATA / "reference_input.npy", image)
    for name in MODELS:
        model, _ = load_model(name, weights_path(name))
        with torch.inference_mode():
            output = model(torch.from_numpy(image)[None, None])[0, 0].numpy().astype(np.float32)
        np.save(DATA / f"reference_{name}.npy", output)
        print(name, float(output.min()), float(output.max()))


if __name__ == "__main__":
    main()
