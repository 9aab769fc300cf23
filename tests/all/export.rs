//! Mesh export: OBJ with area-weighted vertex normals (read back by tobj), binary PLY chosen by the
//! extension, both written atomically.
use crate::common::*;
use glam::Vec3;
use softras::Mesh;

/// Two triangles sharing vertex 0: one in the z = 0 plane with area 2, one in the x = 0 plane with
/// area 0.5. Vertex 0's normal is (2·(0,0,1) + 0.5·(1,0,0)) normalized; vertex 4 has no face.
fn two_faces() -> Mesh {
    Mesh {
        vertices: vec![
            Vec3::ZERO,
            Vec3::new(2.0, 0.0, 0.0),
            Vec3::new(0.0, 2.0, 0.0),
            Vec3::new(0.0, 0.0, 1.0),
            Vec3::new(5.0, 5.0, 5.0),
            Vec3::new(0.0, 1.0, 0.0),
        ],
        faces: vec![[0, 1, 2], [0, 5, 3]],
    }
}

#[test]
fn vertex_normals_are_area_weighted() {
    let n = two_faces().vertex_normals();
    let want0 = Vec3::new(0.5, 0.0, 2.0).normalize();
    assert!((n[0] - want0).length() < 1e-6, "{}", n[0]);
    assert!((n[1] - Vec3::Z).length() < 1e-6 && (n[3] - Vec3::X).length() < 1e-6, "{n:?}");
    assert_eq!(n[4], Vec3::ZERO);
    // a sphere's normals point outward along the radius
    let s = Mesh::icosphere(3).unwrap();
    for (v, n) in s.vertices.iter().zip(s.vertex_normals()) {
        assert!(v.normalize().dot(n) > 0.999, "{v} {n}");
    }
}

#[test]
fn obj_carries_normals_and_reads_back() {
    let dir = crate::mesh::tempdir();
    let m = Mesh::icosphere(2).unwrap().scaled(0.37);
    let p = dir.join("m.obj");
    m.save(&p).unwrap();
    let text = std::fs::read_to_string(&p).unwrap();
    let vn: Vec<&str> = text.lines().filter(|l| l.starts_with("vn ")).collect();
    assert_eq!(vn.len(), m.vertices.len());
    let f: Vec<&str> = text.lines().filter(|l| l.starts_with("f ")).collect();
    assert_eq!(f.len(), m.faces.len());
    let (a, b, c) = (m.faces[0][0] + 1, m.faces[0][1] + 1, m.faces[0][2] + 1);
    assert_eq!(f[0], format!("f {a}//{a} {b}//{b} {c}//{c}"));
    // each normal line is the vertex's unit normal
    let normals = m.vertex_normals();
    for (line, n) in vn.iter().zip(&normals) {
        let x: Vec<f32> = line[3..].split(' ').map(|t| t.parse().unwrap()).collect();
        assert_eq!(Vec3::new(x[0], x[1], x[2]), *n);
    }
    // tobj (our reader) still loads it, positions bit for bit
    let back = Mesh::load_obj(&p).unwrap();
    let tris = |m: &Mesh| m.faces.iter().map(|f| f.map(|k| m.vertices[k as usize].to_array().map(f32::to_bits))).collect::<Vec<_>>();
    assert_eq!(tris(&back), tris(&m));
    // and tobj sees the normals, one per position
    let opts = tobj::LoadOptions { triangulate: true, single_index: true, ..Default::default() };
    let (models, _) = tobj::load_obj(&p, &opts).unwrap();
    assert_eq!(models[0].mesh.normals.len(), m.vertices.len() * 3);
}

/// A minimal reader of the binary PLY we write: (vertices with normals, faces).
fn read_ply(bytes: &[u8]) -> (Vec<[f32; 6]>, Vec<[i32; 3]>) {
    let end = b"end_header\n";
    let at = bytes.windows(end.len()).position(|w| w == end).expect("a header") + end.len();
    let header = std::str::from_utf8(&bytes[..at]).unwrap();
    assert!(header.starts_with("ply\nformat binary_little_endian 1.0\n"), "{header}");
    let count =
        |what: &str| -> usize { header.lines().find_map(|l| l.strip_prefix(&format!("element {what} "))).unwrap().parse().unwrap() };
    let (nv, nf) = (count("vertex"), count("face"));
    assert!(header.contains("property float nx\nproperty float ny\nproperty float nz\n"), "{header}");
    assert!(header.contains("property list uchar int vertex_indices\n"), "{header}");
    let mut r = &bytes[at..];
    let mut f32s = |n: usize| -> Vec<f32> {
        let v = r[..4 * n].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
        r = &r[4 * n..];
        v
    };
    let verts: Vec<[f32; 6]> = (0..nv).map(|_| f32s(6).try_into().unwrap()).collect();
    let mut faces = Vec::new();
    for _ in 0..nf {
        assert_eq!(r[0], 3);
        let idx: Vec<i32> = r[1..13].chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect();
        faces.push([idx[0], idx[1], idx[2]]);
        r = &r[13..];
    }
    assert!(r.is_empty(), "{} trailing bytes", r.len());
    (verts, faces)
}

#[test]
fn ply_is_chosen_by_extension_and_reads_back() {
    let dir = crate::mesh::tempdir();
    let m = two_faces();
    for name in ["m.ply", "M.PLY"] {
        let p = dir.join(name);
        m.save(&p).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes, m.ply_bytes());
        let (verts, faces) = read_ply(&bytes);
        let normals = m.vertex_normals();
        assert_eq!(verts.len(), m.vertices.len());
        for ((got, v), n) in verts.iter().zip(&m.vertices).zip(&normals) {
            assert_eq!(got[..3], v.to_array());
            assert_eq!(got[3..], n.to_array());
        }
        assert_eq!(faces, m.faces.iter().map(|f| f.map(|k| k as i32)).collect::<Vec<_>>());
    }
    // anything else is OBJ
    let p = dir.join("m.mesh");
    m.save(&p).unwrap();
    assert!(std::fs::read_to_string(&p).unwrap().starts_with("# written by softras\nv "));
    // atomic: only the outputs, no temporary file; a missing folder fails cleanly
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(m.save(&dir.join("missing/m.ply")).is_err());
}

#[test]
fn cli_writes_ply_for_fit_and_shape() {
    let d = crate::mesh::tempdir();
    let (ply, obj) = (d.join("duck.ply"), d.join("duck.obj"));
    let (ok, _, err) = softras(&["shape", "duck", ply.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, _, err) = softras(&["shape", "duck", obj.to_str().unwrap()]);
    assert!(ok, "{err}");
    let duck = Mesh::load_obj(&obj).unwrap();
    let (verts, faces) = read_ply(&std::fs::read(&ply).unwrap());
    assert_eq!((verts.len(), faces.len()), (duck.vertices.len(), duck.faces.len()));
    let out = d.join("fit.ply");
    let (ok, _, err) = softras(&["fit", "--steps", "5", "--size", "32", "--out", out.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (verts, faces) = read_ply(&std::fs::read(&out).unwrap());
    // the same fit written as OBJ (deterministic) has the same vertices and faces
    let out_obj = d.join("fit.obj");
    let (ok, _, err) = softras(&["fit", "--steps", "5", "--size", "32", "--out", out_obj.to_str().unwrap()]);
    assert!(ok, "{err}");
    let fit = Mesh::load_obj(&out_obj).unwrap();
    assert!(verts.len() > 1000, "{} vertices", verts.len());
    assert_eq!((verts.len(), faces.len()), (fit.vertices.len(), fit.faces.len()));
    assert!(verts.iter().all(|v| v.iter().all(|x| x.is_finite())));
}
