#!/usr/bin/python3
"""Reference PSNR/SSIM values for ReNoise.Engine's ImageMetrics tests.

Builds a few deterministic image pairs from scikit-image's astronaut picture, saves them as
PNG under tests/ReNoise.Engine.Tests/Imaging/data/ and records scikit-image's metrics in
metric_refs.json there. The C# tests read the same PNGs, so the comparison is independent of
how the pairs were made.

Run with the Debian interpreter (skimage 0.19, numpy 1.24):
    /usr/bin/python3 tools/metrics/make_metric_refs.py
"""
import json
import os

import numpy as np
from scipy import ndimage
from skimage import data, io
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "ReNoise.Engine.Tests", "Imaging", "data")


def ssim(a, b):
    return structural_similarity(a, b, channel_axis=2, gaussian_weights=True, sigma=1.5,
                                 use_sample_covariance=False, data_range=255)


def to_u8(x):
    return np.clip(np.rint(x), 0, 255).astype(np.uint8)


def main():
    os.makedirs(OUT, exist_ok=True)
    astro = data.astronaut()  # 512x512x3 uint8
    rng = np.random.default_rng(20240917)

    # 80 rows x 96 columns: non-square so that a transposed implementation fails.
    ref = astro[100:180, 180:276].copy()
    noisy = to_u8(ref.astype(np.float64) + rng.normal(0.0, 12.0, ref.shape))
    blurred = to_u8(ndimage.gaussian_filter(ref.astype(np.float64), sigma=(1.2, 1.2, 0)))
    shifted = astro[103:183, 182:278].copy()
    inverted = (255 - ref).astype(np.uint8)
    # A second, square 64x64 crop with mild noise and a brightness change.
    ref2 = astro[300:364, 40:104].copy()
    brighter = to_u8(ref2.astype(np.float64) * 0.9 + 20 + rng.normal(0.0, 3.0, ref2.shape))

    images = {
        "ref.png": ref, "noisy.png": noisy, "blurred.png": blurred, "shifted.png": shifted,
        "inverted.png": inverted, "ref2.png": ref2, "brighter.png": brighter,
    }
    for name, img in images.items():
        io.imsave(os.path.join(OUT, name), img, check_contrast=False)
        # The C# side reads the PNGs; make sure they hold exactly these pixels.
        assert np.array_equal(io.imread(os.path.join(OUT, name)), img), name

    pairs = [("ref.png", "noisy.png"), ("ref.png", "blurred.png"), ("ref.png", "shifted.png"),
             ("ref.png", "inverted.png"), ("ref2.png", "brighter.png"), ("noisy.png", "blurred.png")]
    refs = []
    for a_name, b_name in pairs:
        a, b = images[a_name], images[b_name]
        refs.append({
            "a": a_name,
            "b": b_name,
            "psnr": float(peak_signal_noise_ratio(a, b, data_range=255)),
            "ssim": float(ssim(a, b)),
            "mse": float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)),
        })
    with open(os.path.join(OUT, "metric_refs.json"), "w") as f:
        json.dump({"generator": "tools/metrics/make_metric_refs.py",
                   "skimage": __import__("skimage").__version__, "pairs": refs}, f, indent=2)
        f.write("\n")
    for r in refs:
        print(f"{r['a']:>10} vs {r['b']:<12} PSNR {r['psnr']:.6f}  SSIM {r['ssim']:.6f}")


if __name__ == "__main__":
    main()
