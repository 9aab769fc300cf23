//! Test shapes built from primitives (never downloaded): known targets for multi-view fitting and for
//! 3D reconstruction metrics.
//!
//! Every primitive is a closed mesh whose faces are counter-clockwise seen from outside (outward
//! normals). A shape is a union of primitives concatenated into one [`Mesh`] with [`merge`]; parts may
//! overlap — the silhouette of a union is the union of silhouettes, and a point is inside the shape when
//! its generalized [`winding_number`] is ≥ 0.5 (it is 2 where two parts overlap). Every named shape fits
//! in the cube [-0.8, 0.8]³, roughly centred at the origin, with +y up.
use crate::mesh::Mesh;
use glam::{DVec3, Vec3};
use std::f32::consts::TAU;

/// The names accepted by [`by_name`].
pub const NAMES: [&str; 5] = ["chair", "animal", "mug", "sphere", "duck"];
/// Every shape `softras shape` knows: [`NAMES`] and the thin ones of the single-view table (a plate
/// seen edge-on, a capsule: a bar with round ends).
pub const ALL_NAMES: [&str; 8] = ["chair", "animal", "mug", "sphere", "duck", "plate", "capsule", "plane"];

/// The axis of a [`cylinder`] or of a [`torus`] (the axis of its hole).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axis {
    X,
    Y,
    Z,
}

impl Axis {
    /// Maps a point built around the local z axis onto this axis by a cyclic permutation of the
    /// coordinates: a rotation (determinant +1), so the orientation of the faces is kept.
    fn place(self, local: Vec3) -> Vec3 {
        match self {
            Axis::Z => local,
            Axis::X => Vec3::new(local.z, local.x, local.y),
            Axis::Y => Vec3::new(local.y, local.z, local.x),
        }
    }
}

/// An axis-aligned box of half-extents `half` (8 vertices, 12 triangles).
pub fn cuboid(center: Vec3, half: Vec3) -> Mesh {
    // vertex i has x = bit 0, y = bit 1, z = bit 2 (0: −half, 1: +half)
    let vertices = (0..8u32)
        .map(|i| {
            let s = |bit: u32| if i & (1 << bit) != 0 { 1.0 } else { -1.0 };
            center + Vec3::new(s(0), s(1), s(2)) * half
        })
        .collect();
    let faces = vec![
        [0, 4, 6],
        [0, 6, 2], // −x
        [1, 3, 7],
        [1, 7, 5], // +x
        [0, 1, 5],
        [0, 5, 4], // −y
        [2, 6, 7],
        [2, 7, 3], // +y
        [0, 2, 3],
        [0, 3, 1], // −z
        [4, 5, 7],
        [4, 7, 6], // +z
    ];
    Mesh { vertices, faces }
}

/// An axis-aligned ellipsoid: the unit icosphere of `level` (20·4^level faces) scaled by `radii`.
///
/// # Panics
/// When `level` exceeds [`crate::mesh::MAX_ICOSPHERE_LEVEL`].
pub fn ellipsoid(center: Vec3, radii: Vec3, level: u32) -> Mesh {
    let mut m = Mesh::icosphere(level).expect("icosphere level in range");
    for v in &mut m.vertices {
        *v = center + *v * radii;
    }
    m
}

/// A capped cylinder: a prism over a regular `segments`-gon of circumradius `radius`, from
/// `−half_height` to `+half_height` along `axis` (2·segments + 2 vertices, 4·segments faces).
///
/// # Panics
/// When `segments < 3`.
pub fn cylinder(center: Vec3, radius: f32, half_height: f32, segments: u32, axis: Axis) -> Mesh {
    assert!(segments >= 3, "a cylinder needs at least 3 segments");
    let n = segments;
    let mut vertices = Vec::with_capacity(2 * n as usize + 2);
    for z in [-half_height, half_height] {
        for i in 0..n {
            let a = TAU * i as f32 / n as f32;
            vertices.push(Vec3::new(radius * a.cos(), radius * a.sin(), z));
        }
    }
    vertices.push(Vec3::new(0.0, 0.0, -half_height));
    vertices.push(Vec3::new(0.0, 0.0, half_height));
    let (bc, tc) = (2 * n, 2 * n + 1);
    let mut faces = Vec::with_capacity(4 * n as usize);
    for i in 0..n {
        let j = (i + 1) % n;
        let (b0, b1, t0, t1) = (i, j, n + i, n + j);
        faces.push([b0, b1, t1]);
        faces.push([b0, t1, t0]);
        faces.push([tc, t0, t1]);
        faces.push([bc, b1, b0]);
    }
    for v in &mut vertices {
        *v = center + axis.place(*v);
    }
    Mesh { vertices, faces }
}

/// A closed torus (genus 1) around `axis`: tube of radius `minor` whose centre circle has radius
/// `major` (seg_major·seg_minor vertices, twice as many faces).
///
/// # Panics
/// When either segment count is below 3.
pub fn torus(center: Vec3, major: f32, minor: f32, seg_major: u32, seg_minor: u32, axis: Axis) -> Mesh {
    assert!(seg_major >= 3 && seg_minor >= 3, "a torus needs at least 3 segments each way");
    let (nu, nv) = (seg_major, seg_minor);
    let mut vertices = Vec::with_capacity((nu * nv) as usize);
    for i in 0..nu {
        let u = TAU * i as f32 / nu as f32;
        for j in 0..nv {
            let v = TAU * j as f32 / nv as f32;
            let r = major + minor * v.cos();
            vertices.push(center + axis.place(Vec3::new(r * u.cos(), r * u.sin(), minor * v.sin())));
        }
    }
    let k = |i: u32, j: u32| (i % nu) * nv + (j % nv);
    let mut faces = Vec::with_capacity(2 * (nu * nv) as usize);
    for i in 0..nu {
        for j in 0..nv {
            // ∂/∂u × ∂/∂v points outward
            let (a, b, c, d) = (k(i, j), k(i + 1, j), k(i + 1, j + 1), k(i, j + 1));
            faces.push([a, b, c]);
            faces.push([a, c, d]);
        }
    }
    Mesh { vertices, faces }
}

/// Concatenates meshes into one (a union: no vertex is shared, overlaps are kept).
pub fn merge(parts: &[Mesh]) -> Mesh {
    let mut out = Mesh {
        vertices: Vec::with_capacity(parts.iter().map(|m| m.vertices.len()).sum()),
        faces: Vec::with_capacity(parts.iter().map(|m| m.faces.len()).sum()),
    };
    for m in parts {
        let base = out.vertices.len() as u32;
        out.vertices.extend_from_slice(&m.vertices);
        out.faces.extend(m.faces.iter().map(|f| f.map(|k| k + base)));
    }
    out
}

/// A chair, +y up, backrest at −z: a seat slab (y ∈ [−0.05, 0.05]), four box legs down to y = −0.7 and
/// a backrest slab up to y = 0.73. Bounding box [−0.4, 0.4] × [−0.7, 0.73] × [−0.4, 0.4].
pub fn chair() -> Mesh {
    let mut parts =
        vec![cuboid(Vec3::new(0.0, 0.0, 0.0), Vec3::new(0.4, 0.05, 0.4)), cuboid(Vec3::new(0.0, 0.38, -0.35), Vec3::new(0.4, 0.35, 0.05))];
    for (x, z) in [(-0.33, -0.33), (0.33, -0.33), (-0.33, 0.33), (0.33, 0.33)] {
        parts.push(cuboid(Vec3::new(x, -0.35, z), Vec3::new(0.05, 0.35, 0.05)));
    }
    merge(&parts)
}

/// A four-legged animal facing +x, +y up: an ellipsoid body, a neck and an ellipsoid head, four
/// cylinder legs down to y = −0.7 and a tail along −x. Bounding box ≈ [−0.75, 0.67] × [−0.7, 0.6] ×
/// [−0.2, 0.2].
pub fn animal() -> Mesh {
    let mut parts = vec![
        ellipsoid(Vec3::new(0.0, 0.05, 0.0), Vec3::new(0.45, 0.2, 0.2), 3),
        cylinder(Vec3::new(0.4, 0.3, 0.0), 0.07, 0.15, 16, Axis::Y),
        ellipsoid(Vec3::new(0.5, 0.5, 0.0), Vec3::new(0.17, 0.1, 0.1), 3),
        cylinder(Vec3::new(-0.575, 0.15, 0.0), 0.03, 0.175, 12, Axis::X),
    ];
    for (x, z) in [(-0.28, -0.11), (0.28, -0.11), (-0.28, 0.11), (0.28, 0.11)] {
        parts.push(cylinder(Vec3::new(x, -0.35, z), 0.06, 0.35, 16, Axis::Y));
    }
    merge(&parts)
}

/// A mug, +y up: a closed cylinder body (radius 0.4, y ∈ [−0.45, 0.45], axis at x = −0.15) and a torus
/// handle on +x in the xy plane whose hole is open around (0.36, 0, 0). Bounding box ≈
/// [−0.55, 0.6] × [−0.45, 0.45] × [−0.4, 0.4].
pub fn mug() -> Mesh {
    merge(&[cylinder(Vec3::new(-0.15, 0.0, 0.0), 0.4, 0.45, 48, Axis::Y), torus(Vec3::new(0.32, 0.0, 0.0), 0.22, 0.06, 48, 16, Axis::Z)])
}

/// The trivial target: the level-3 icosphere of radius 0.5.
pub fn sphere() -> Mesh {
    ellipsoid(Vec3::ZERO, Vec3::splat(0.5), 3)
}

/// A rubber duck facing +x, +y up, made of ellipsoids (body, head, beak, tail): the embedded default
/// target is its silhouette from the default camera (assets/README.md). Bounding box ≈
/// [−0.63, 0.66] × [−0.45, 0.42] × [−0.32, 0.32].
pub fn duck() -> Mesh {
    merge(&[
        ellipsoid(Vec3::new(0.0, -0.15, 0.0), Vec3::new(0.5, 0.3, 0.32), 4),
        ellipsoid(Vec3::new(0.28, 0.22, 0.0), Vec3::splat(0.2), 4),
        ellipsoid(Vec3::new(0.52, 0.2, 0.0), Vec3::new(0.14, 0.05, 0.08), 3),
        ellipsoid(Vec3::new(-0.47, 0.0, 0.0), Vec3::new(0.16, 0.08, 0.12), 3),
    ])
}

/// A thin plate, 1 × 0.6 × 0.05 (x × y × z): face-on from azimuth 0, edge-on from azimuth 90.
pub fn plate() -> Mesh {
    cuboid(Vec3::ZERO, Vec3::new(0.5, 0.3, 0.025))
}

/// A capsule along x: a cylinder of radius 0.15 and length 0.8 with hemispherical ends (a long bar
/// with round ends seen from azimuth 0). Bounding box [−0.55, 0.55] × [−0.15, 0.15] × [−0.15, 0.15].
pub fn capsule() -> Mesh {
    merge(&[
        cylinder(Vec3::ZERO, 0.15, 0.4, 32, Axis::X),
        ellipsoid(Vec3::new(-0.4, 0.0, 0.0), Vec3::splat(0.15), 3),
        ellipsoid(Vec3::new(0.4, 0.0, 0.0), Vec3::splat(0.15), 3),
    ])
}

/// A small airplane with thin parts, nose toward +X: a fuselage (ellipsoid 1.0 long, 0.14 thick), wings
/// 0.9 across and 0.024 thick, a tailplane 0.32 across and 0.02 thick and a fin 0.2 tall and 0.02
/// thick. Seen edge-on, its wings and tail are a few pixels wide: the case where silhouette fits lose
/// thin parts. Bounding box [−0.5, 0.5] × [−0.07, 0.2] × [−0.45, 0.45].
pub fn plane() -> Mesh {
    merge(&[
        ellipsoid(Vec3::ZERO, Vec3::new(0.5, 0.07, 0.07), 3),
        cuboid(Vec3::new(0.02, 0.0, 0.0), Vec3::new(0.09, 0.012, 0.45)),
        cuboid(Vec3::new(-0.42, 0.0, 0.0), Vec3::new(0.05, 0.01, 0.16)),
        cuboid(Vec3::new(-0.42, 0.1, 0.0), Vec3::new(0.05, 0.1, 0.01)),
    ])
}

/// The shape called `name` (one of [`NAMES`]), or `None`.
pub fn by_name(name: &str) -> Option<Mesh> {
    match name {
        "chair" => Some(chair()),
        "animal" => Some(animal()),
        "mug" => Some(mug()),
        "sphere" => Some(sphere()),
        "duck" => Some(duck()),
        "plate" => Some(plate()),
        "capsule" => Some(capsule()),
        "plane" => Some(plane()),
        _ => None,
    }
}

/// The generalized winding number of `mesh` at `p`: Σ over faces of the signed solid angle of the
/// triangle seen from `p` (Van Oosterom–Strackee formula, in f64), / 4π. For a closed outward mesh it
/// is 1 inside and 0 outside; for a union of such parts, the number of parts containing `p`.
pub fn winding_number(mesh: &Mesh, p: DVec3) -> f64 {
    let total: f64 = mesh
        .faces
        .iter()
        .map(|f| {
            let [a, b, c] = f.map(|k| mesh.vertices[k as usize].as_dvec3() - p);
            let (la, lb, lc) = (a.length(), b.length(), c.length());
            let num = a.dot(b.cross(c));
            let den = la * lb * lc + a.dot(b) * lc + a.dot(c) * lb + b.dot(c) * la;
            2.0 * num.atan2(den)
        })
        .sum();
    total / (4.0 * std::f64::consts::PI)
}
