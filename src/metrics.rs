//! 3D metrics between two meshes, as the paper measures reconstruction: voxel IoU on one shared grid
//! (inside test: generalized winding number ≥ 0.5), Chamfer distance and F-score on surface samples.
//! Meshes are never normalized or moved.
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::shapes::winding_number;
use glam::DVec3;

/// Cells along the longest side of the shared grid.
pub const VOXEL_RES: u32 = 32;
/// Surface samples per mesh for Chamfer and F-score.
pub const SAMPLES: usize = 10_000;
/// F-score threshold as a fraction of the target's bounding-box diagonal.
pub const FSCORE_FRACTION: f64 = 0.01;

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Metrics {
    pub voxel_iou: f64,
    /// Mean squared nearest distance, averaged over both directions.
    pub chamfer: f64,
    pub fscore: f64,
    /// The F-score threshold used (1 % of the target's bounding-box diagonal).
    pub fscore_threshold: f64,
}

/// Edges not shared by exactly two faces: 0 for a watertight mesh.
pub fn open_edges(m: &Mesh) -> usize {
    let mut count = std::collections::HashMap::new();
    for f in &m.faces {
        for k in 0..3 {
            let (a, b) = (f[k], f[(k + 1) % 3]);
            *count.entry((a.min(b), a.max(b))).or_insert(0u32) += 1;
        }
    }
    count.values().filter(|&&c| c != 2).count()
}

/// Says what the inside test means for a mesh that is not watertight (None when it is).
pub fn watertight_warning(m: &Mesh, name: &str) -> Option<String> {
    let open = open_edges(m);
    (open > 0).then(|| {
        format!(
            "{name} is not watertight ({open} edges are not shared by exactly two faces): its inside is taken \
             where the generalized winding number has magnitude ≥ 0.5, which is only approximate for open surfaces"
        )
    })
}

fn bbox(m: &Mesh) -> (DVec3, DVec3) {
    m.vertices
        .iter()
        .fold((DVec3::splat(f64::INFINITY), DVec3::splat(f64::NEG_INFINITY)), |(lo, hi), v| (lo.min(v.as_dvec3()), hi.max(v.as_dvec3())))
}

/// How the inside of a mesh is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inside {
    /// Ray crossings for a watertight mesh (exact for closed meshes, O(faces + cells)), the generalized
    /// winding number otherwise.
    Auto,
    /// The generalized winding number at every cell centre, |w| ≥ 0.5 (O(faces × cells)).
    Winding,
}

/// Occupancy of the cell centres of `dims` cells of size `cell` from `origin`, in x-fastest order.
fn occupancy(m: &Mesh, origin: DVec3, cell: f64, dims: [u32; 3], how: Inside) -> Vec<bool> {
    if how == Inside::Auto && open_edges(m) == 0 { occupancy_rays(m, origin, cell, dims) } else { occupancy_winding(m, origin, cell, dims) }
}

/// For a watertight mesh the winding number at p is the signed count of the faces that a ray from p
/// along +x crosses (+1 where the face's normal has a positive x component). One ray per row of cells
/// serves the whole row: each face adds its crossing to the rows its y–z shadow covers, and a sweep
/// along the row sums them. The rows are moved off the cell centres by ~1e-6 of a cell in y and z (in
/// irrational proportions) so that no row runs exactly along an edge or through a vertex of an
/// axis-aligned mesh; that moves the test point by less than the grid can show.
fn occupancy_rays(m: &Mesh, origin: DVec3, cell: f64, dims: [u32; 3]) -> Vec<bool> {
    let [nx, ny, nz] = dims.map(|d| d as usize);
    let off = cell * 1e-6 * glam::DVec2::new(std::f64::consts::SQRT_2, 3f64.sqrt());
    let row_y = |j: usize| origin.y + (j as f64 + 0.5) * cell + off.x;
    let row_z = |k: usize| origin.z + (k as f64 + 0.5) * cell + off.y;
    let mut rows: Vec<Vec<(f64, i32)>> = vec![Vec::new(); ny * nz];
    let range = |lo: f64, hi: f64, o: f64, n: usize| {
        let a = ((lo - o) / cell - 0.5).ceil().max(0.0) as usize;
        let b = (((hi - o) / cell - 0.5).floor() + 1.0).clamp(0.0, n as f64) as usize;
        a..b.max(a)
    };
    for f in &m.faces {
        let [a, b, c] = f.map(|k| m.vertices[k as usize].as_dvec3());
        let yz = |v: DVec3| glam::DVec2::new(v.y, v.z);
        let (a2, b2, c2) = (yz(a), yz(b), yz(c));
        let d = (b2 - a2).perp_dot(c2 - a2); // the normal's x component (× 2 × area)
        if d == 0.0 {
            continue;
        }
        let (lo, hi) = (a2.min(b2).min(c2), a2.max(b2).max(c2));
        for k in range(lo.y - off.y, hi.y - off.y, origin.z, nz) {
            for j in range(lo.x - off.x, hi.x - off.x, origin.y, ny) {
                let p = glam::DVec2::new(row_y(j), row_z(k));
                let (w0, w1, w2) = ((b2 - p).perp_dot(c2 - p) / d, (c2 - p).perp_dot(a2 - p) / d, (a2 - p).perp_dot(b2 - p) / d);
                if w0 >= 0.0 && w1 >= 0.0 && w2 >= 0.0 {
                    rows[k * ny + j].push((w0 * a.x + w1 * b.x + w2 * c.x, if d > 0.0 { 1 } else { -1 }));
                }
            }
        }
    }
    let mut out = vec![false; nx * ny * nz];
    for (r, crossings) in rows.iter_mut().enumerate() {
        crossings.sort_by(|p, q| p.0.total_cmp(&q.0));
        // winding at x = Σ signs of crossings beyond x: start with all of them, drop those passed
        let mut w: i32 = crossings.iter().map(|c| c.1).sum();
        let mut next = 0;
        for i in 0..nx {
            let x = origin.x + (i as f64 + 0.5) * cell;
            while next < crossings.len() && crossings[next].0 <= x {
                w -= crossings[next].1;
                next += 1;
            }
            out[r * nx + i] = w != 0;
        }
    }
    out
}

/// Occupancy by the generalized winding number at each cell centre (any mesh, open ones too).
fn occupancy_winding(m: &Mesh, origin: DVec3, cell: f64, dims: [u32; 3]) -> Vec<bool> {
    let n = (dims[0] * dims[1] * dims[2]) as usize;
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8);
    let chunk = n.div_ceil(threads);
    let mut out = vec![false; n];
    std::thread::scope(|s| {
        for (t, part) in out.chunks_mut(chunk).enumerate() {
            s.spawn(move || {
                for (k, o) in part.iter_mut().enumerate() {
                    let idx = (t * chunk + k) as u32;
                    let (x, y, z) = (idx % dims[0], (idx / dims[0]) % dims[1], idx / (dims[0] * dims[1]));
                    let p = origin + DVec3::new(x as f64 + 0.5, y as f64 + 0.5, z as f64 + 0.5) * cell;
                    // |w|: a closed mesh facing inward (clockwise) has w = −1 inside
                    *o = winding_number(m, p).abs() >= 0.5;
                }
            });
        }
    });
    out
}

/// Voxel IoU on the shared grid: the bounding box of both meshes grown by 5 %, `res` cubic cells along
/// its longest side.
pub fn voxel_iou(a: &Mesh, b: &Mesh, res: u32) -> f64 {
    voxel_counts(a, b, res, Inside::Auto).0
}

/// [`voxel_iou`] with the inside test chosen (tests compare the fast one with the winding number).
pub fn voxel_iou_with(a: &Mesh, b: &Mesh, res: u32, how: Inside) -> f64 {
    voxel_counts(a, b, res, how).0
}

/// (IoU, cells inside `a`, cells inside `b`) on the grid of [`voxel_iou`].
fn voxel_counts(a: &Mesh, b: &Mesh, res: u32, how: Inside) -> (f64, usize, usize) {
    let (la, ha) = bbox(a);
    let (lb, hb) = bbox(b);
    let (lo, hi) = (la.min(lb), ha.max(hb));
    let centre = (lo + hi) * 0.5;
    let half = (hi - lo) * 0.5 * 1.05;
    let cell = 2.0 * half.max_element() / res as f64;
    let dims = (2.0 * half / cell).to_array().map(|d| (d.ceil() as u32).clamp(1, res));
    let origin = centre - DVec3::new(dims[0] as f64, dims[1] as f64, dims[2] as f64) * cell * 0.5;
    let (oa, ob) = (occupancy(a, origin, cell, dims, how), occupancy(b, origin, cell, dims, how));
    let inter = oa.iter().zip(&ob).filter(|(x, y)| **x && **y).count();
    let union = oa.iter().zip(&ob).filter(|(x, y)| **x || **y).count();
    let iou = if union == 0 { 1.0 } else { inter as f64 / union as f64 };
    (iou, oa.iter().filter(|x| **x).count(), ob.iter().filter(|x| **x).count())
}

/// `n` points on the surface, area-weighted, from a fixed-seed generator (the same every run).
pub fn sample_surface(m: &Mesh, n: usize, seed: u64) -> Vec<DVec3> {
    let tri = |f: &[u32; 3]| f.map(|k| m.vertices[k as usize].as_dvec3());
    let mut cum = Vec::with_capacity(m.faces.len());
    let mut total = 0.0;
    for f in &m.faces {
        let [a, b, c] = tri(f);
        total += 0.5 * (b - a).cross(c - a).length();
        cum.push(total);
    }
    // xorshift64*: small, fixed, reproducible
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545F4914F6CDD1D) >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let r = next() * total;
            let fi = cum.partition_point(|&c| c < r).min(m.faces.len() - 1);
            let [a, b, c] = tri(&m.faces[fi]);
            let (mut u, mut v) = (next(), next());
            if u + v > 1.0 {
                (u, v) = (1.0 - u, 1.0 - v);
            }
            a + u * (b - a) + v * (c - a)
        })
        .collect()
}

/// Squared distance from each of `from` to its nearest point of `to` (brute force, threaded).
fn nearest_sq(from: &[DVec3], to: &[DVec3]) -> Vec<f64> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8);
    let chunk = from.len().div_ceil(threads).max(1);
    let mut out = vec![0.0; from.len()];
    std::thread::scope(|s| {
        for (src, dst) in from.chunks(chunk).zip(out.chunks_mut(chunk)) {
            s.spawn(move || {
                for (p, o) in src.iter().zip(dst.iter_mut()) {
                    *o = to.iter().map(|q| p.distance_squared(*q)).fold(f64::INFINITY, f64::min);
                }
            });
        }
    });
    out
}

/// All metrics of `result` against `target`.
pub fn compare(result: &Mesh, target: &Mesh) -> Result<Metrics> {
    compare_named(result, target, ["the first mesh", "the second mesh"])
}

/// [`compare`], naming the meshes in messages. A mesh with no cell inside it (flat, or open with no
/// enclosed volume) is an error: its voxel IoU would mean nothing.
pub fn compare_named(result: &Mesh, target: &Mesh, names: [&str; 2]) -> Result<Metrics> {
    for (m, name) in [(result, names[0]), (target, names[1])] {
        m.validate().map_err(|e| Error::invalid(format!("{name}: {e}")))?;
    }
    let (sa, sb) = (sample_surface(result, SAMPLES, 1), sample_surface(target, SAMPLES, 2));
    let (da, db) = (nearest_sq(&sa, &sb), nearest_sq(&sb, &sa));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let chamfer = 0.5 * (mean(&da) + mean(&db));
    let (lo, hi) = bbox(target);
    let tau = FSCORE_FRACTION * (hi - lo).length();
    let within = |v: &[f64]| v.iter().filter(|&&d| d <= tau * tau).count() as f64 / v.len() as f64;
    let (precision, recall) = (within(&da), within(&db));
    let fscore = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    let (voxel_iou, ina, inb) = voxel_counts(result, target, VOXEL_RES, Inside::Auto);
    for (n, m, name) in [(ina, result, names[0]), (inb, target, names[1])] {
        // a mesh flat along an axis has no volume (cell centres on its plane would count as inside)
        let (lo, hi) = bbox(m);
        let flat = (hi - lo).min_element() <= 1e-9 * (hi - lo).max_element();
        if n == 0 || flat {
            return Err(Error::invalid(format!(
                "{name} has no inside (no voxel cell has a winding number of magnitude ≥ 0.5: it is flat or open), \
                 so its voxel IoU is undefined"
            )));
        }
    }
    Ok(Metrics { voxel_iou, chamfer, fscore, fscore_threshold: tau })
}
