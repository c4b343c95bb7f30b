#!/usr/bin/python3
"""Reference .npy files written by numpy itself, for ReNoise.Engine's Npy tests.

Writes into tests/ReNoise.Engine.Tests/IO/data/:
  f4_2x3.npy     float32 (2, 3), values -1 + 0.5 * i: byte-exact header check and reading
  f4_vec.npy     float32 (5,) : 1-D shape repr "(5,)"
  f4_scalar.npy  float32 ()   : 0-D array
  f8_2x2.npy     float64, f2_3.npy float16: converted on read
  f4_v2.npy      float32 (2, 3) in format version 2.0
  be_f4.npy      big-endian float32, fortran.npy Fortran-order float32, i4.npy int32: rejected

Run with the Debian interpreter:  /usr/bin/python3 tools/metrics/make_npy_refs.py
"""
import os

import numpy as np
from numpy.lib import format as npformat

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "tests", "ReNoise.Engine.Tests", "IO", "data")


def main():
    os.makedirs(OUT, exist_ok=True)
    a = (np.arange(6, dtype=np.float32) * 0.5 - 1.0).reshape(2, 3)
    np.save(os.path.join(OUT, "f4_2x3.npy"), a)
    np.save(os.path.join(OUT, "f4_vec.npy"), np.array([0.25, -3.5, 1e-3, 7.0, 1e6], dtype=np.float32))
    np.save(os.path.join(OUT, "f4_scalar.npy"), np.array(2.5, dtype=np.float32))
    np.save(os.path.join(OUT, "f8_2x2.npy"), np.array([[1.0 / 3.0, -2.0], [1e-8, 123456.789]]))
    np.save(os.path.join(OUT, "f2_3.npy"), np.array([0.5, -1.25, 65504.0], dtype=np.float16))
    with open(os.path.join(OUT, "f4_v2.npy"), "wb") as f:
        npformat.write_array(f, a, version=(2, 0))
    np.save(os.path.join(OUT, "be_f4.npy"), a.astype(">f4"))
    np.save(os.path.join(OUT, "fortran.npy"), np.asfortranarray(a))
    np.save(os.path.join(OUT, "i4.npy"), np.arange(4, dtype=np.int32))
    for name in sorted(os.listdir(OUT)):
        arr = np.load(os.path.join(OUT, name))
        print(f"{name:15} {arr.dtype.str} {arr.shape} fortran={np.isfortran(arr)}")


if __name__ == "__main__":
    main()
