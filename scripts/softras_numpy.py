#!/usr/bin/env python3
"""An independent, brute-force NumPy soft silhouette in SoftRas's conventions (look_at with up +Y,
perspective with the half field of view, pixel centres with row 0 at the top, D = sigmoid(δ d²/σ) over
*every* face, no culling, no near plane), to cross-check `softras render --npy`.

    python3 scripts/softras_numpy.py MESH.obj SIZE SIGMA DIST,ELEV,AZIM VIEW_ANGLE OURS.npy
prints the max |difference| (expected ≤ ~1e-5: the cull ε, plus f32 rounding)."""
import sys
import numpy as np


def load_obj(path):
    v, f = [], []
    for line in open(path):
        t = line.split()
        if not t:
            continue
        if t[0] == "v":
            v.append([float(x) for x in t[1:4]])
        elif t[0] == "f":
            idx = [int(x.split("/")[0]) - 1 for x in t[1:]]
            for k in range(1, len(idx) - 1):
                f.append([idx[0], idx[k], idx[k + 1]])
    return np.array(v, np.float64), np.array(f, np.int64)


def silhouette(v, f, size, sigma, dist, elev, azim, angle):
    el, az = np.radians(elev), np.radians(azim)
    eye = np.array([dist * np.cos(el) * np.sin(az), dist * np.sin(el), -dist * np.cos(el) * np.cos(az)])
    z = -eye / np.linalg.norm(eye)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    vc = (v - eye) @ np.stack([x, y, z]).T
    w = np.tan(np.radians(angle))
    xy = np.stack([vc[:, 0] / vc[:, 2] / w, vc[:, 1] / vc[:, 2] / w], 1)
    r = np.arange(size)
    px = (2 * r + 1 - size) / size                    # column centres
    py = -(2 * r + 1 - size) / size                   # row 0 at the top
    P = np.stack(np.meshgrid(px, py), -1).reshape(-1, 2)
    log_t = np.zeros(len(P))
    for tri in xy[f]:
        d2 = np.full(len(P), np.inf)
        for k in range(3):
            a, b = tri[k], tri[(k + 1) % 3]
            e = b - a
            t = np.clip(((P - a) @ e) / (e @ e), 0, 1)
            d2 = np.minimum(d2, ((P - a - t[:, None] * e) ** 2).sum(1))
        def edge(a, b):
            return (b[0] - a[0]) * (P[:, 1] - a[1]) - (b[1] - a[1]) * (P[:, 0] - a[0])
        w0, w1, w2 = edge(tri[0], tri[1]), edge(tri[1], tri[2]), edge(tri[2], tri[0])
        inside = ((w0 >= 0) & (w1 >= 0) & (w2 >= 0)) | ((w0 <= 0) & (w1 <= 0) & (w2 <= 0))
        xs = np.where(inside, 1.0, -1.0) * d2 / sigma
        log_t -= np.logaddexp(0.0, xs)
    return (-np.expm1(log_t)).reshape(size, size)


if __name__ == "__main__":
    mesh, size, sigma, cam, angle, ours = sys.argv[1:7]
    v, f = load_obj(mesh)
    d, e, a = (float(t) for t in cam.split(","))
    ref = silhouette(v, f, int(size), float(sigma), d, e, a, float(angle))
    got = np.load(ours)
    assert got.shape == ref.shape and got.dtype == np.float32, (got.shape, got.dtype)
    print(f"max |softras - numpy reference| = {np.abs(got - ref).max():.3e}")
