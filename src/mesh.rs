//! Indexed triangle meshes: the icosphere template, OBJ read/write (with vertex normals), binary PLY write, vertex→face adjacency.
use crate::error::{Error, Result, write_atomic};
use glam::Vec3;
use std::collections::HashMap;
use std::path::Path;

/// An indexed triangle mesh. Faces index `vertices`; winding is kept but nothing depends on it
/// (the rasterizer's inside test is orientation-independent).
#[derive(Clone, Debug, PartialEq)]
pub struct Mesh {
    pub vertices: Vec<Vec3>,
    pub faces: Vec<[u32; 3]>,
}

/// Vertex→face adjacency in compressed sparse rows: the corners of vertex `v` are
/// `entries[offsets[v]..offsets[v + 1]]`, each `face * 3 + corner`, in increasing face order.
#[derive(Clone, Debug)]
pub struct VertexFaces {
    pub offsets: Vec<u32>,
    pub entries: Vec<u32>,
}

/// Largest accepted |coordinate| of a vertex (the f32 GPU engine loses larger ones).
pub const MAX_COORDINATE: f32 = 1e6;

/// Largest icosphere level: level 6 has 40 962 vertices and 81 920 faces.
pub const MAX_ICOSPHERE_LEVEL: u32 = 6;

impl Mesh {
    /// A unit-radius icosphere; level L has 10·4^L + 2 vertices and 20·4^L faces. Each face of level L−1
    /// becomes faces 4i … 4i+3 of level L, so neighbouring faces have neighbouring indices.
    pub fn icosphere(level: u32) -> Result<Mesh> {
        if level > MAX_ICOSPHERE_LEVEL {
            return Err(Error::invalid(format!("icosphere level {level} is out of range 0..={MAX_ICOSPHERE_LEVEL}")));
        }
        let t = (1.0 + 5f32.sqrt()) / 2.0;
        let mut vertices: Vec<Vec3> = [
            (-1.0, t, 0.0),
            (1.0, t, 0.0),
            (-1.0, -t, 0.0),
            (1.0, -t, 0.0),
            (0.0, -1.0, t),
            (0.0, 1.0, t),
            (0.0, -1.0, -t),
            (0.0, 1.0, -t),
            (t, 0.0, -1.0),
            (t, 0.0, 1.0),
            (-t, 0.0, -1.0),
            (-t, 0.0, 1.0),
        ]
        .iter()
        .map(|&(x, y, z)| Vec3::new(x, y, z).normalize())
        .collect();
        let mut faces: Vec<[u32; 3]> = vec![
            [0, 11, 5],
            [0, 5, 1],
            [0, 1, 7],
            [0, 7, 10],
            [0, 10, 11],
            [1, 5, 9],
            [5, 11, 4],
            [11, 10, 2],
            [10, 7, 6],
            [7, 1, 8],
            [3, 9, 4],
            [3, 4, 2],
            [3, 2, 6],
            [3, 6, 8],
            [3, 8, 9],
            [4, 9, 5],
            [2, 4, 11],
            [6, 2, 10],
            [8, 6, 7],
            [9, 8, 1],
        ];
        for _ in 0..level {
            let mut mid: HashMap<(u32, u32), u32> = HashMap::new();
            let mut midpoint = |a: u32, b: u32, vertices: &mut Vec<Vec3>| -> u32 {
                let key = (a.min(b), a.max(b));
                *mid.entry(key).or_insert_with(|| {
                    vertices.push(((vertices[a as usize] + vertices[b as usize]) * 0.5).normalize());
                    (vertices.len() - 1) as u32
                })
            };
            let mut next = Vec::with_capacity(faces.len() * 4);
            for &[a, b, c] in &faces {
                let ab = midpoint(a, b, &mut vertices);
                let bc = midpoint(b, c, &mut vertices);
                let ca = midpoint(c, a, &mut vertices);
                next.extend_from_slice(&[[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
            }
            faces = next;
        }
        Ok(Mesh { vertices, faces })
    }

    /// Reads an OBJ file (positions and faces; polygons are triangulated, materials ignored).
    pub fn load_obj(path: &Path) -> Result<Mesh> {
        let bytes = crate::files::read_capped(path)?;
        Self::parse_obj(&bytes).map_err(|msg| Error::Mesh { path: path.to_path_buf(), msg })
    }

    /// Parses OBJ text; the error is a message without the file name.
    pub fn parse_obj(bytes: &[u8]) -> std::result::Result<Mesh, String> {
        let opts = tobj::LoadOptions { triangulate: true, single_index: false, ..Default::default() };
        let mut reader = std::io::BufReader::new(bytes);
        // tobj is a parser of untrusted text: keep a malformed file from ever taking the process down.
        let loaded = std::panic::catch_unwind(move || tobj::load_obj_buf(&mut reader, &opts, |_| Err(tobj::LoadError::OpenFileFailed)))
            .map_err(|_| "the OBJ parser failed on this file (malformed OBJ)".to_string())?;
        let (models, _materials) = loaded.map_err(|e| format!("not a valid OBJ file ({e})"))?;
        let mut mesh = Mesh { vertices: Vec::new(), faces: Vec::new() };
        for m in &models {
            let base = mesh.vertices.len() as u32;
            let p = &m.mesh.positions;
            if p.len() % 3 != 0 {
                return Err("vertex positions are not triples".into());
            }
            mesh.vertices.extend(p.chunks_exact(3).map(|c| Vec3::new(c[0], c[1], c[2])));
            if m.mesh.indices.len() % 3 != 0 {
                return Err("face indices do not form triangles".into());
            }
            for tri in m.mesh.indices.chunks_exact(3) {
                mesh.faces.push([base + tri[0], base + tri[1], base + tri[2]]);
            }
        }
        mesh.validate()?;
        Ok(mesh)
    }

    /// Checks what every consumer relies on: at least one face, indices in range, finite coordinates.
    pub fn validate(&self) -> std::result::Result<(), String> {
        if self.faces.is_empty() {
            return Err("the mesh has no faces".into());
        }
        if self.vertices.len() > u32::MAX as usize / 4 {
            return Err(format!("too many vertices ({})", self.vertices.len()));
        }
        let n = self.vertices.len() as u32;
        if let Some((i, f)) = self.faces.iter().enumerate().find(|(_, f)| f.iter().any(|&k| k >= n)) {
            return Err(format!("face {i} refers to vertex {} but there are only {n}", f.iter().max().unwrap() + 1));
        }
        if let Some((i, v)) = self.vertices.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(format!("vertex {} has a non-finite coordinate {v}", i + 1));
        }
        if let Some((i, v)) = self.vertices.iter().enumerate().find(|(_, v)| v.abs().max_element() > MAX_COORDINATE) {
            return Err(format!("vertex {} has a coordinate beyond ±{MAX_COORDINATE:e} ({v}): scale the mesh down", i + 1));
        }
        Ok(())
    }

    /// Area-weighted vertex normals: the sum over a vertex's faces of (b − a) × (c − a) (twice the
    /// face's area times its unit normal, so the face winding sets the side), normalized, in f64. A
    /// vertex with no face of non-zero area gets (0, 0, 0).
    pub fn vertex_normals(&self) -> Vec<Vec3> {
        let mut n = vec![glam::DVec3::ZERO; self.vertices.len()];
        for f in &self.faces {
            let [a, b, c] = f.map(|k| self.vertices[k as usize].as_dvec3());
            let w = (b - a).cross(c - a);
            for &k in f {
                n[k as usize] += w;
            }
        }
        n.iter().map(|v| v.try_normalize().unwrap_or(glam::DVec3::ZERO).as_vec3()).collect()
    }

    /// Writes the mesh as OBJ (`v`, area-weighted `vn` ([`Mesh::vertex_normals`]) and `f a//a b//b c//c`
    /// lines), atomically.
    pub fn save_obj(&self, path: &Path) -> Result<()> {
        use std::fmt::Write;
        let mut s = String::with_capacity(self.vertices.len() * 80 + self.faces.len() * 48);
        s.push_str("# written by softras\n");
        for v in &self.vertices {
            // `{}` on f32 prints the shortest text that reads back to the same bits.
            let _ = writeln!(s, "v {} {} {}", v.x, v.y, v.z);
        }
        for n in self.vertex_normals() {
            let _ = writeln!(s, "vn {} {} {}", n.x, n.y, n.z);
        }
        for f in &self.faces {
            let (a, b, c) = (f[0] + 1, f[1] + 1, f[2] + 1);
            let _ = writeln!(s, "f {a}//{a} {b}//{b} {c}//{c}");
        }
        write_atomic(path, s.as_bytes())
    }

    /// PLY bytes, binary little-endian: vertices as float x y z nx ny nz (area-weighted normals),
    /// faces as a list of uchar count and int indices.
    pub fn ply_bytes(&self) -> Vec<u8> {
        let header = format!(
            "ply\nformat binary_little_endian 1.0\ncomment written by softras\nelement vertex {}\n\
             property float x\nproperty float y\nproperty float z\nproperty float nx\nproperty float ny\nproperty float nz\n\
             element face {}\nproperty list uchar int vertex_indices\nend_header\n",
            self.vertices.len(),
            self.faces.len()
        );
        let mut out = Vec::with_capacity(header.len() + self.vertices.len() * 24 + self.faces.len() * 13);
        out.extend_from_slice(header.as_bytes());
        for (v, n) in self.vertices.iter().zip(self.vertex_normals()) {
            for x in [v.x, v.y, v.z, n.x, n.y, n.z] {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        for f in &self.faces {
            out.push(3);
            for &k in f {
                // validate() keeps vertex counts below u32::MAX / 4, so every index fits an int
                out.extend_from_slice(&(k as i32).to_le_bytes());
            }
        }
        out
    }

    /// Writes the mesh as binary little-endian PLY ([`Mesh::ply_bytes`]), atomically.
    pub fn save_ply(&self, path: &Path) -> Result<()> {
        write_atomic(path, &self.ply_bytes())
    }

    /// Writes PLY when the name ends in `.ply` (any case), OBJ otherwise; atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ply")) { self.save_ply(path) } else { self.save_obj(path) }
    }

    /// Vertex→face adjacency (CSR), built once per topology.
    pub fn vertex_faces(&self) -> VertexFaces {
        let n = self.vertices.len();
        let mut counts = vec![0u32; n + 1];
        for f in &self.faces {
            for &v in f {
                counts[v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts.clone();
        let mut fill = counts;
        let mut entries = vec![0u32; self.faces.len() * 3];
        for (fi, f) in self.faces.iter().enumerate() {
            for (k, &v) in f.iter().enumerate() {
                entries[fill[v as usize] as usize] = (fi * 3 + k) as u32;
                fill[v as usize] += 1;
            }
        }
        VertexFaces { offsets, entries }
    }

    /// Scales every vertex by `s` about the origin.
    pub fn scaled(mut self, s: f32) -> Mesh {
        for v in &mut self.vertices {
            *v *= s;
        }
        self
    }
}
