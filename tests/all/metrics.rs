//! 3D metrics on shapes with known answers.
use glam::Vec3;
use softras::metrics::{compare, open_edges, voxel_iou, watertight_warning};
use softras::shapes::{cuboid, sphere};

#[test]
fn cube_against_shifted_cube() {
    let a = cuboid(Vec3::ZERO, Vec3::splat(0.5));
    let b = cuboid(Vec3::new(0.5, 0.0, 0.0), Vec3::splat(0.5));
    // intersection 0.5, union 1.5: IoU 1/3, up to the 32-cell grid's resolution
    let iou = voxel_iou(&a, &b, 32);
    assert!((iou - 1.0 / 3.0).abs() < 0.02, "voxel IoU {iou}");
    let m = compare(&a, &b).unwrap();
    assert!((m.voxel_iou - iou).abs() < 1e-12);
    assert!(m.chamfer > 0.01 && m.chamfer < 0.2, "chamfer {}", m.chamfer);
    assert!(m.fscore > 0.2 && m.fscore < 0.8, "fscore {}", m.fscore);
}

#[test]
fn sphere_against_itself_and_a_scaled_copy() {
    let s = sphere();
    let m = compare(&s, &s).unwrap();
    assert!((m.voxel_iou - 1.0).abs() < 1e-12);
    assert!(m.chamfer < 1e-3, "chamfer {}", m.chamfer);
    assert!(m.fscore > 0.95, "fscore {}", m.fscore);
    // radius 0.5 vs 0.4: IoU ≈ (0.4/0.5)³ = 0.512; samples are 0.1 apart, Chamfer ≈ 0.01
    let small = s.clone().scaled(0.8);
    let m = compare(&small, &s).unwrap();
    assert!((m.voxel_iou - 0.512).abs() < 0.05, "voxel IoU {}", m.voxel_iou);
    assert!((m.chamfer - 0.01).abs() < 0.002, "chamfer {}", m.chamfer);
    assert!(m.fscore < 0.1, "fscore {}", m.fscore);
}

#[test]
fn watertight_and_open_meshes() {
    let closed = cuboid(Vec3::ZERO, Vec3::splat(0.5));
    assert_eq!(open_edges(&closed), 0);
    assert!(watertight_warning(&closed, "cube").is_none());
    let mut open = closed.clone();
    open.faces.truncate(10); // remove one side
    assert!(open_edges(&open) > 0);
    let w = watertight_warning(&open, "box").unwrap();
    assert!(w.contains("not watertight") && w.contains("box"), "{w}");
}

#[test]
fn eval_command_prints_one_line_per_metric() {
    let d = crate::mesh::tempdir();
    let (a, b) = (d.join("a.obj"), d.join("b.obj"));
    cuboid(Vec3::ZERO, Vec3::splat(0.5)).save_obj(&a).unwrap();
    cuboid(Vec3::new(0.5, 0.0, 0.0), Vec3::splat(0.5)).save_obj(&b).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_softras"))
        .args(["eval", a.to_str().unwrap(), b.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].starts_with("voxel_iou: 0.3"), "{text}");
    assert!(lines[1].starts_with("chamfer: ") && lines[2].starts_with("fscore: "), "{text}");
    let bad =
        std::process::Command::new(env!("CARGO_BIN_EXE_softras")).args(["eval", a.to_str().unwrap(), "/nonexistent.obj"]).output().unwrap();
    assert!(!bad.status.success() && String::from_utf8_lossy(&bad.stderr).contains("error:"));
}

#[test]
fn ray_crossings_match_the_winding_number_on_closed_meshes() {
    use softras::metrics::{Inside, voxel_iou_with};
    // every built-in shape (closed parts, some overlapping, many faces axis-aligned) against the sphere
    // and against a shifted copy of itself: the fast inside test gives the winding number's IoU
    let mut checked = 0;
    for name in softras::shapes::ALL_NAMES {
        let m = softras::shapes::by_name(name).unwrap();
        assert_eq!(open_edges(&m), 0, "{name}");
        let mut shifted = m.clone();
        for v in &mut shifted.vertices {
            *v += glam::Vec3::new(0.05, -0.03, 0.02);
        }
        for other in [softras::shapes::sphere(), shifted] {
            let (fast, slow) = (voxel_iou_with(&m, &other, 32, Inside::Auto), voxel_iou_with(&m, &other, 32, Inside::Winding));
            assert!((fast - slow).abs() < 2e-3, "{name}: rays {fast} winding {slow}");
            checked += 1;
        }
    }
    assert_eq!(checked, 2 * softras::shapes::ALL_NAMES.len());
    // inward-facing (clockwise) closed meshes count as well
    let mut cube = softras::shapes::cuboid(glam::Vec3::ZERO, glam::Vec3::splat(0.3));
    cube.faces.iter_mut().for_each(|f| f.swap(1, 2));
    let sphere = softras::shapes::sphere();
    let (fast, slow) = (voxel_iou_with(&cube, &sphere, 32, Inside::Auto), voxel_iou_with(&cube, &sphere, 32, Inside::Winding));
    assert!(fast > 0.1 && (fast - slow).abs() < 2e-3, "inward cube: rays {fast} winding {slow}");
}
