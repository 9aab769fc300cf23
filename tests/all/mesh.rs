//! Meshes: the icosphere, OBJ read and write, adjacency.
use softras::Mesh;

#[test]
fn icosphere_sizes_and_radius() {
    for level in 0..=6u32 {
        let m = Mesh::icosphere(level).unwrap();
        assert_eq!(m.vertices.len(), 10 * 4usize.pow(level) + 2, "level {level}");
        assert_eq!(m.faces.len(), 20 * 4usize.pow(level));
        assert!(m.vertices.iter().all(|v| (v.length() - 1.0).abs() < 1e-5));
        // closed: every edge in exactly two faces (Euler: V − E + F = 2)
        let e = m.faces.len() * 3 / 2;
        assert_eq!(m.vertices.len() + m.faces.len() - e, 2);
    }
    assert_eq!(Mesh::icosphere(0).unwrap().vertices.len(), 12);
    assert_eq!(Mesh::icosphere(6).unwrap().vertices.len(), 40962);
    assert!(Mesh::icosphere(7).is_err());
}

#[test]
fn obj_round_trip_is_exact_and_atomic() {
    let dir = tempdir();
    let m = Mesh::icosphere(2).unwrap().scaled(0.37);
    let p = dir.join("m.obj");
    m.save_obj(&p).unwrap();
    let back = Mesh::load_obj(&p).unwrap();
    // tobj numbers vertices by first use: compare the triangles, corner by corner, bit for bit
    let tris = |m: &Mesh| m.faces.iter().map(|f| f.map(|k| m.vertices[k as usize].to_array().map(f32::to_bits))).collect::<Vec<_>>();
    assert_eq!(back.vertices.len(), m.vertices.len());
    assert_eq!(tris(&back), tris(&m));
    // no temporary file is left behind
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    // saving into a missing folder fails cleanly and keeps nothing
    assert!(m.save_obj(&dir.join("missing/m.obj")).is_err());
}

#[test]
fn obj_polygons_are_triangulated() {
    let quad = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf 1 2 3 4\n";
    let m = Mesh::parse_obj(quad).unwrap();
    assert_eq!(m.faces.len(), 2);
    let with_normals = b"v 0 0 0\nv 1 0 0\nv 1 1 0\nvn 0 0 1\nvt 0 0\nf 1/1/1 2/1/1 3/1/1\n";
    assert_eq!(Mesh::parse_obj(with_normals).unwrap().faces.len(), 1);
}

#[test]
fn bad_obj_files_give_messages() {
    for (text, want) in [
        (&b"v 0 0 0\nv 1 0 0\n"[..], "no faces"),
        (b"", "no faces"),
        (b"v 0 0 0\nv 1 0 nan\nv 0 1 0\nf 1 2 3\n", "non-finite"),
        (b"v 0 0 0\nf 1 2 3\n", ""),
        (b"\x00\x01\x02garbage\xff\xfe", ""),
        (b"v a b c\nf 1 2 3\n", ""),
    ] {
        let e = Mesh::parse_obj(text).expect_err(&String::from_utf8_lossy(text));
        assert!(e.contains(want), "{e}");
    }
    assert!(Mesh::load_obj(std::path::Path::new("/nonexistent/x.obj")).is_err());
}

#[test]
fn vertex_face_adjacency() {
    let m = Mesh::icosphere(1).unwrap();
    let vf = m.vertex_faces();
    assert_eq!(vf.offsets.len(), m.vertices.len() + 1);
    for v in 0..m.vertices.len() {
        let corners = &vf.entries[vf.offsets[v] as usize..vf.offsets[v + 1] as usize];
        assert!(corners.len() == 5 || corners.len() == 6);
        for &e in corners {
            assert_eq!(m.faces[(e / 3) as usize][(e % 3) as usize], v as u32);
        }
        assert!(corners.windows(2).all(|w| w[0] < w[1]), "face order");
    }
}

pub fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!("softras-test-{}-{}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
