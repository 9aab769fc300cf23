//! The start of a fit of several views (a reference sheet, SoftRas's 120 demo views): the visual hull
//! of the masks as a closed triangle mesh ([`visual_hull`]).
//!
//! A point is inside the hull when its projection (the camera's own, [`crate::camera::Lens`]) falls in
//! a pixel above 0.5 in every view. The points of a regular grid are tested; the set is made
//! well-composed (no two inside points whose cells meet only along an edge or at a corner, and the
//! same for outside points: such points are added to the inside, so the hull only grows), and its
//! boundary is meshed by Naive Surface Nets ([`fast_surface_nets`]): one vertex in each grid cell the
//! boundary crosses, at the mean of the points where the cell's edges cross it. Where an edge crosses
//! it is read from each view's distance to its outline (the hull's signed distance is at most the
//! largest of the views' signed distances, exact on flat sides), so a flat side lies where the pictures
//! put it rather than on the grid's staircase. A well-composed set has a 2-manifold boundary: the mesh
//! is closed and manifold, and it may have several parts and any genus (a chair's legs and the gaps
//! between them). The grid's spacing gives it about as many faces as the icosphere template; it is
//! not smoothed (the crossings are already sub-pixel; smoothing would round a box's edges).
//!
//! A perspective view's pixel grows with depth: its distances are converted to world units at the
//! point's own depth; points at or behind its eye are outside it. With perspective views a point within
//! half a grid spacing of every mask counts as inside ([`PERSPECTIVE_GROW`]), so parts thinner than a
//! cell stay joined.
//!
//! Fitting a sheet's hull erodes it at the default σ. Every side of a visual hull is seen edge-on by a view
//! that carved it: all its triangles project onto that view's outline. SoftRas's silhouette
//! S = 1 − Π(1 − D_f) adds up their tails there, so S spreads outside the target (N faces put S = ½ about
//! √(σ ln(N / 0.69)) beyond the line), and the IoU loss lowers it by moving those triangles inward; only
//! the rim that makes the outline is held by the pixels inside it, and the rest of the side, which no
//! view sees, sinks. At the hull of the 1 × 2 × 3 box sheet (σ 1e-4, no regularizer) the descent
//! direction of every vertex inside a side points inward (1102 of 1102 on the ±X sides), and Adam's
//! per-coordinate steps make full steps of these small gradients: after 500 steps the sides sank by up
//! to 0.07 while the silhouettes stayed at IoU 0.999 (voxel IoU 0.98 → 0.73). Large steps sink them
//! further (0.55); a smaller σ narrows the tails (σ 1e-6: 0.95).
use super::FitTarget;
use crate::camera::Lens;
use crate::mesh::Mesh;
use fast_surface_nets::ndshape::RuntimeShape;
use fast_surface_nets::{SurfaceNetsBuffer, surface_nets};
use glam::{DMat3, DVec2, DVec3, Vec3};
use std::borrow::Cow;

/// The hull is looked for inside [−BOUND, BOUND]³ (SoftRas's parametrization needs (−1, 1)³).
const BOUND: f64 = 0.95;

/// Grid points along each axis of the first pass, which finds the hull's bounding box.
const COARSE: usize = 65;

/// Grid cells along the bounding box's longest side in the pass that measures the surface.
const MEASURE: f64 = 48.0;

/// With a perspective view, a grid point also counts as inside when it lies within this many grid
/// spacings of every view's mask: parts thinner than a cell stay joined to the rest (the animal's tail
/// made two loose pieces without it) and the fit carves the excess. From SoftRas's 120 demo views at
/// 64², 500 steps, voxel IoU with 0 / 0.5: chair 0.932 / 0.979, animal 0.826 / 0.881, mug 0.889 / 0.934,
/// duck 0.906 / 0.907. Sheets keep 0: fitted, their grown hulls scored lower (box 0.948 → 0.883, chair
/// 0.789 → 0.751), their unseen sides sinking (module doc).
const PERSPECTIVE_GROW: f64 = 0.5;

/// Masks are read at most this many pixels across (box-filtered above it): the grid has at most
/// [`MAX_CELLS`] cells along a side, and a 16384² view's distance fields would take gigabytes.
const MAX_SIDE: usize = 512;

/// Cells along the longest side: at least (a coarser grid loses the shape), at most (cost).
const MIN_CELLS: f64 = 16.0;
const MAX_CELLS: f64 = 192.0;

/// One view: its camera's rotation, eye and projection, its mask, and the signed distance from each
/// pixel centre to the mask's outline.
struct View<'a> {
    rot: DMat3,
    eye: DVec3,
    lens: Lens,
    size: usize,
    mask: Cow<'a, [f32]>,
    /// Pixels, negative inside: −(distance to the nearest outside pixel centre − ½), positive outside:
    /// distance to the nearest inside pixel centre − ½ (beyond the image is outside).
    sdf: Vec<f64>,
}

impl<'a> View<'a> {
    /// View `k` of `target`, with its distance field when `distances` (only tests of the mask
    /// otherwise), or None when its mask is empty.
    fn of(target: &'a FitTarget, k: usize, distances: bool) -> Option<View<'a>> {
        let (full, cam) = (target.size as usize, &target.cameras[k]);
        let (mask, s) = reduced(&target.masks[k * full * full..(k + 1) * full * full], full);
        let inside: Vec<bool> = mask.iter().map(|&m| m > 0.5).collect();
        if !inside.contains(&true) {
            return None;
        }
        let sdf = if distances {
            let d_in = super::depth::outline_distance(&inside, s, s);
            let d_out = super::depth::site_distance(&inside, s, s);
            inside.iter().zip(d_in.iter().zip(&d_out)).map(|(&i, (&a, &b))| if i { -a } else { b - 0.5 }).collect()
        } else {
            Vec::new()
        };
        Some(View { rot: cam.rotation(), eye: cam.eye(), lens: cam.lens(), size: s, mask, sdf })
    }

    /// Continuous pixel coordinates of world point `p`: pixel (i, j) covers [i, i + 1) × [j, j + 1),
    /// row 0 at the top (docs/conventions.md, "Image"). `Camera::to_camera` with R and e computed once.
    /// A point at or behind a perspective camera's eye has none (NaN: outside every pixel).
    fn pixel_of(&self, p: DVec3) -> DVec2 {
        let vc = self.rot * (p - self.eye);
        if matches!(self.lens, Lens::Perspective { .. }) && vc.z <= 1e-9 {
            return DVec2::NAN;
        }
        let q = self.lens.project(vc);
        let s = self.size as f64;
        DVec2::new((q.x + 1.0) / 2.0 * s, (1.0 - q.y) / 2.0 * s)
    }

    /// World units per pixel at `p`'s depth (a perspective pixel grows with the distance).
    fn pixel(&self, p: DVec3) -> f64 {
        let z = (self.rot * (p - self.eye)).z;
        2.0 * self.lens.world_per_ndc(z.max(1e-9)) / self.size as f64
    }

    /// Whether `p` projects into a pixel of the mask above 0.5.
    fn inside(&self, p: DVec3) -> bool {
        let c = self.pixel_of(p).floor();
        let s = self.size as f64;
        (0.0..s).contains(&c.x) && (0.0..s).contains(&c.y) && self.mask[c.y as usize * self.size + c.x as usize] > 0.5
    }

    /// Signed distance in world units from `p`'s projection to the outline: bilinear between pixel
    /// centres; beyond the image, the distance to it is added.
    fn distance(&self, p: DVec3) -> f64 {
        let c = self.pixel_of(p) - 0.5;
        if c.is_nan() {
            return f64::INFINITY;
        }
        let last = (self.size - 1) as f64;
        let cc = c.clamp(DVec2::ZERO, DVec2::splat(last));
        let (i0, j0) = (cc.x.floor() as usize, cc.y.floor() as usize);
        let (i1, j1) = ((i0 + 1).min(self.size - 1), (j0 + 1).min(self.size - 1));
        let (fu, fv) = (cc.x - i0 as f64, cc.y - j0 as f64);
        let at = |i: usize, j: usize| self.sdf[j * self.size + i];
        let d = (1.0 - fu) * (1.0 - fv) * at(i0, j0) + fu * (1.0 - fv) * at(i1, j0) + (1.0 - fu) * fv * at(i0, j1) + fu * fv * at(i1, j1);
        (d + (c - cc).length()) * self.pixel(p)
    }
}

/// A `size`² mask, or above [`MAX_SIDE`] its box-filtered copy at most that side (each pixel the mean
/// of a square block of the original, clipped at the image's edge) and the new side.
fn reduced(mask: &[f32], size: usize) -> (Cow<'_, [f32]>, usize) {
    if size <= MAX_SIDE {
        return (Cow::Borrowed(mask), size);
    }
    let f = size.div_ceil(MAX_SIDE);
    let s = size.div_ceil(f);
    let mut out = vec![0.0f32; s * s];
    for j in 0..s {
        for i in 0..s {
            let (rows, cols) = (j * f..((j + 1) * f).min(size), i * f..((i + 1) * f).min(size));
            let n = (rows.len() * cols.len()) as f32;
            out[j * s + i] = rows.flat_map(|y| mask[y * size + cols.start..y * size + cols.end].iter()).sum::<f32>() / n;
        }
    }
    (Cow::Owned(out), s)
}

/// A regular grid of points `origin + (x, y, z) h`, x fastest (fast_surface_nets' `RuntimeShape`).
struct Grid {
    origin: DVec3,
    h: f64,
    n: [usize; 3],
}

impl Grid {
    /// The grid of spacing `h` over the box [lo, hi] with `pad` more points on each side.
    fn over(lo: DVec3, hi: DVec3, h: f64, pad: usize) -> Grid {
        let n = ((hi - lo) / h).ceil().as_uvec3().to_array().map(|k| k as usize + 1 + 2 * pad);
        Grid { origin: lo - pad as f64 * h, h, n }
    }

    fn len(&self) -> usize {
        self.n[0] * self.n[1] * self.n[2]
    }

    fn point(&self, k: usize) -> DVec3 {
        let (x, y, z) = (k % self.n[0], k / self.n[0] % self.n[1], k / (self.n[0] * self.n[1]));
        self.origin + DVec3::new(x as f64, y as f64, z as f64) * self.h
    }

    /// Whether each point is inside the hull (and inside the search cube), or within `grow` × the
    /// spacing of it in every view; with `field`, also the largest of the views' signed distances at
    /// each point (world units). View by view: one view's distance field in memory at a time (a fit
    /// may have thousands of views).
    fn occupancy(&self, target: &FitTarget, grow: f64, field: bool) -> (Vec<bool>, Vec<f64>) {
        let tol = grow * self.h;
        let mut occ: Vec<bool> = (0..self.len()).map(|k| self.point(k).abs().max_element() <= BOUND).collect();
        let mut dist = if field { vec![f64::NEG_INFINITY; self.len()] } else { Vec::new() };
        for v in 0..target.cameras.len() {
            // a view's mask was checked non-empty by visual_hull
            let Some(view) = View::of(target, v, field || tol > 0.0) else { return (vec![false; self.len()], dist) };
            for (k, o) in occ.iter_mut().enumerate() {
                if !*o && !field {
                    continue;
                }
                let p = self.point(k);
                let inside = view.inside(p);
                let d = if field || (tol > 0.0 && !inside) { view.distance(p) } else { f64::INFINITY };
                *o = *o && (inside || (tol > 0.0 && d <= tol));
                if field {
                    dist[k] = dist[k].max(d);
                }
            }
        }
        (occ, dist)
    }

    /// Pairs of neighbouring points (along the axes) of which one is inside: the faces of the
    /// voxel surface, a measure of the hull's area (about faces × h²).
    fn boundary_faces(&self, occ: &[bool]) -> usize {
        let stride = [1, self.n[0], self.n[0] * self.n[1]];
        let mut count = 0;
        for k in 0..self.len() {
            let (x, y, z) = (k % self.n[0], k / self.n[0] % self.n[1], k / stride[2]);
            for (a, &c) in [x, y, z].iter().enumerate() {
                if c + 1 < self.n[a] && occ[k] != occ[k + stride[a]] {
                    count += 1;
                }
            }
        }
        count
    }
}

/// Adds inside points until no 2 × 2 square of the grid holds a diagonal pair alone (two points
/// inside, the other two outside) and no 2 × 2 × 2 cube holds two opposite corners alone, inside or
/// outside (Latecki's critical configurations): the voxel set is then well-composed and its boundary
/// a 2-manifold. Of the outside points that would resolve a configuration, the one with the lowest
/// `field` (the nearest to being inside) is added. Only additions, so it ends. Returns how many.
fn make_well_composed(occ: &mut [bool], field: &[f64], n: [usize; 3]) -> usize {
    let corner = |x: usize, y: usize, z: usize, c: usize| (x + (c & 1)) + n[0] * ((y + (c >> 1 & 1)) + n[1] * (z + (c >> 2 & 1)));
    let mut added = 0;
    loop {
        let before = added;
        for z in 0..n[2] - 1 {
            for y in 0..n[1] - 1 {
                for x in 0..n[0] - 1 {
                    let k: [usize; 8] = std::array::from_fn(|c| corner(x, y, z, c));
                    let mut add = |occ: &mut [bool], cands: &mut dyn Iterator<Item = usize>| {
                        if let Some(best) = cands.filter(|&i| !occ[i]).min_by(|&a, &b| field[a].total_cmp(&field[b])) {
                            occ[best] = true;
                            added += 1;
                        }
                    };
                    // the six faces of the cube: corners with bit `a` equal to `side`, in the order
                    // (0, 0), (1, 0), (0, 1), (1, 1) of the other two bits
                    for a in 0..3 {
                        let (u, v) = ((a + 1) % 3, (a + 2) % 3);
                        for side in 0..2 {
                            let q: [usize; 4] = std::array::from_fn(|m| k[(side << a) | ((m & 1) << u) | ((m >> 1) << v)]);
                            let (o0, o1, o2, o3) = (occ[q[0]], occ[q[1]], occ[q[2]], occ[q[3]]);
                            if o0 == o3 && o1 == o2 && o0 != o1 {
                                add(occ, &mut q.into_iter());
                            }
                        }
                    }
                    let inside = k.iter().filter(|&&i| occ[i]).count();
                    if inside == 2 || inside == 6 {
                        // the odd pair out: opposite corners c and 7 − c
                        let odd: Vec<usize> = (0..8).filter(|&c| occ[k[c]] == (inside == 2)).collect();
                        if odd[0] + odd[1] == 7 {
                            add(occ, &mut k.into_iter());
                        }
                    }
                }
            }
        }
        if added == before {
            return added;
        }
    }
}

/// The visual hull of `target`'s views as a closed, manifold mesh of about `faces` faces, wound
/// counter-clockwise seen from outside (as the icosphere). None unless the views look along at least two
/// directions (otherwise the hull has no end along the one direction), or when the hull is empty.
pub fn visual_hull(target: &FitTarget, faces: usize) -> Option<Mesh> {
    let s = target.size as usize;
    if (0..target.cameras.len()).any(|k| !target.masks[k * s * s..(k + 1) * s * s].iter().any(|&m| m > 0.5)) {
        return None;
    }
    let dirs: Vec<DVec3> = target.cameras.iter().map(|c| c.rotation().row(2)).collect();
    if !dirs.iter().any(|d| d.cross(dirs[0]).length() > 1e-6) {
        return None;
    }
    let grow = if super::depth::all_ortho(target) { 0.0 } else { PERSPECTIVE_GROW };
    mesh_region(faces, |g: &Grid, field: bool| g.occupancy(target, grow, field))
}

/// The region a grid test marks inside, found in the search cube and meshed with about `faces` faces:
/// `test(grid, field)` gives each point's inside flag and, when `field`, a signed distance (world
/// units, negative inside) that places the surface between the points.
fn mesh_region(faces: usize, test: impl Fn(&Grid, bool) -> (Vec<bool>, Vec<f64>)) -> Option<Mesh> {
    // 1. the bounding box, from a coarse grid over the search cube (grown by its spacing)
    let h0 = 2.0 * BOUND / (COARSE - 1) as f64;
    let coarse = Grid { origin: DVec3::splat(-BOUND), h: h0, n: [COARSE; 3] };
    let (occ, _) = test(&coarse, false);
    let (lo, hi) = occ
        .iter()
        .enumerate()
        .filter(|(_, o)| **o)
        .map(|(k, _)| coarse.point(k))
        .fold((DVec3::INFINITY, DVec3::NEG_INFINITY), |(lo, hi), p| (lo.min(p), hi.max(p)));
    if !lo.is_finite() {
        return None;
    }
    let (lo, hi) = ((lo - h0).max(DVec3::splat(-BOUND)), (hi + h0).min(DVec3::splat(BOUND)));
    let longest = (hi - lo).max_element();
    // 2. the spacing: Surface Nets makes two triangles per boundary face of the voxels, and their
    //    number goes as 1 / h²
    let h1 = longest / MEASURE;
    let g1 = Grid::over(lo, hi, h1, 1);
    let measured = g1.boundary_faces(&test(&g1, false).0) as f64;
    let h = (h1 * (2.0 * measured / faces.max(1) as f64).sqrt()).clamp(longest / MAX_CELLS, longest / MIN_CELLS);
    // 3. the grid, two points of outside around it (Surface Nets makes no face on the grid's last plane)
    let grid = Grid::over(lo, hi, h, 2);
    let (mut occ, mut field) = test(&grid, true);
    make_well_composed(&mut occ, &field, grid.n);
    // the inside is the points' test; the distances only place the crossings between them
    let tiny = 1e-3 * h;
    for (f, &o) in field.iter_mut().zip(&occ) {
        *f = if o { f.min(-tiny) } else { f.max(tiny) };
    }
    let field: Vec<f32> = field.iter().map(|&f| (f / h) as f32).collect();
    let [nx, ny, nz] = grid.n.map(|k| k as u32);
    let mut buf = SurfaceNetsBuffer::default();
    surface_nets(&field, &RuntimeShape::<u32, 3>::new([nx, ny, nz]), [0; 3], [nx - 1, ny - 1, nz - 1], &mut buf);
    let vertices: Vec<Vec3> = buf
        .positions
        .iter()
        .map(|p| (grid.origin + DVec3::from(p.map(f64::from)) * h).clamp(DVec3::splat(-BOUND), DVec3::splat(BOUND)).as_vec3())
        .collect();
    let faces: Vec<[u32; 3]> = buf.indices.chunks_exact(3).map(|t| [t[0], t[1], t[2]]).collect();
    let m = Mesh { vertices, faces };
    (!m.faces.is_empty()).then_some(m)
}

/// The depth prior's shape for view 0 of `target` as a closed mesh of about `faces` faces: the points
/// whose weak-perspective position (their lateral camera coordinates on the centre plane, where
/// [`super::depth::depth_loss`] reads h) falls inside the mask and whose depth offset from the centre
/// plane is at most `thickness` × h there (`hmap`: [`super::depth::height_map`]). The outline's holes
/// and gaps are there from the start (a mug's handle, the space between a chair's legs), which a
/// sphere, squeezed or not, cannot make.
pub fn inflated(target: &FitTarget, hmap: &[f32], thickness: f64, faces: usize) -> Option<Mesh> {
    let view = View::of(target, 0, true)?;
    let (s, z0) = (target.size as usize, target.cameras[0].distance);
    let back = view.rot.transpose();
    mesh_region(faces, |g: &Grid, field: bool| {
        let (mut occ, mut dist) = (Vec::with_capacity(g.len()), Vec::with_capacity(if field { g.len() } else { 0 }));
        for k in 0..g.len() {
            let p = g.point(k);
            let pc = view.rot * (p - view.eye);
            let on_plane = back * DVec3::new(pc.x, pc.y, z0) + view.eye;
            let q = view.lens.project(DVec3::new(pc.x, pc.y, z0));
            let off = (pc.z - z0).abs();
            let f = if view.inside(on_plane) {
                off - thickness * super::depth::sample(hmap, s, s, q.x, q.y).0
            } else {
                off.max(view.distance(on_plane))
            };
            occ.push(p.abs().max_element() <= BOUND && f < 0.0);
            if field {
                dist.push(f);
            }
        }
        (occ, dist)
    })
}
