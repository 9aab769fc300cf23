//! SoftRas's camera conventions (docs/conventions.md).
use glam::DVec3;
use softras::Camera;
use softras::raster::{RasterSettings, cpu};

#[test]
fn eye_position_follows_softras() {
    let c = Camera::new(2.0, 0.0, 0.0, 30.0).unwrap();
    assert!((c.eye() - DVec3::new(0.0, 0.0, -2.0)).length() < 1e-12);
    let c = Camera::new(2.0, 30.0, 90.0, 30.0).unwrap();
    let e = c.eye();
    assert!((e - DVec3::new(2.0 * 30f64.to_radians().cos(), 1.0, 0.0)).length() < 1e-12, "{e}");
    // looking at the origin: the origin is straight ahead on the camera's z axis
    let o = c.to_camera(DVec3::ZERO);
    assert!(o.x.abs() < 1e-12 && o.y.abs() < 1e-12 && (o.z - 2.0).abs() < 1e-12, "{o}");
}

#[test]
fn image_orientation_right_is_plus_x_and_row_zero_is_top() {
    let c = Camera::new(2.732, 0.0, 0.0, 30.0).unwrap();
    let s = RasterSettings::square(32, 1e-4);
    // a small triangle at world +x and +y
    let m =
        softras::Mesh { vertices: vec![[0.5, 0.5, 0.0].into(), [0.7, 0.5, 0.0].into(), [0.5, 0.7, 0.0].into()], faces: vec![[0, 1, 2]] };
    let sil = cpu::forward(&m, &[c], &s).sil;
    let (mut ci, mut cj, mut n) = (0.0, 0.0, 0.0);
    for (k, v) in sil.iter().enumerate() {
        if *v > 0.5 {
            ci += (k % 32) as f64;
            cj += (k / 32) as f64;
            n += 1.0;
        }
    }
    assert!(n > 0.0);
    assert!(ci / n > 16.0, "world +x must appear on the right (column {})", ci / n);
    assert!(cj / n < 16.0, "world +y must appear in the top rows (row {})", cj / n);
}

#[test]
fn poles_have_a_finite_frame() {
    for el in [90.0, -90.0] {
        let c = Camera::new(2.732, el, 30.0, 30.0).unwrap();
        let r = c.rotation();
        assert!(r.is_finite(), "elevation {el}: {r}");
        assert!((r * r.transpose()).abs_diff_eq(glam::DMat3::IDENTITY, 1e-12));
        let o = c.to_camera(DVec3::ZERO);
        assert!((o.z - 2.732).abs() < 1e-9, "elevation {el}: origin at {o}");
    }
}

#[test]
fn projection_is_perspective_with_half_angle() {
    // a point on the edge of the half field of view lands on the image border
    let c = Camera::new(3.0, 0.0, 0.0, 30.0).unwrap();
    let m = softras::Mesh { vertices: vec![[3.0 * 30f32.to_radians().tan(), 0.0, 0.0].into(); 3], faces: vec![[0, 1, 2]] };
    let p = cpu::project(&m, &c);
    assert!((p[0].x - 1.0).abs() < 1e-6, "{}", p[0]);
}

#[test]
fn bad_cameras_are_rejected() {
    assert!(Camera::new(0.0, 0.0, 0.0, 30.0).is_err());
    assert!(Camera::new(f64::NAN, 0.0, 0.0, 30.0).is_err());
    assert!(Camera::new(2.0, 0.0, 0.0, 90.0).is_err());
    assert!(Camera::new(2.0, f64::INFINITY, 0.0, 30.0).is_err());
}
