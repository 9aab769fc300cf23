//! Property tests of the readers and the validation of numbers: arbitrary input gives Ok or Err, never a
//! panic, and Ok only for what is valid.
use crate::mesh::tempdir;
use proptest::prelude::*;
use softras::fit::FitParams;
use softras::raster::RasterSettings;
use softras::target::{Polarity, picture_from_bytes, view_from_bytes};
use softras::{Camera, Mesh};

fn config() -> ProptestConfig {
    ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() }
}

/// OBJ-like lines: vertices and faces with awkward numbers and indices, and junk.
fn obj_line() -> impl Strategy<Value = String> {
    let num = prop_oneof![any::<f32>().prop_map(|x| x.to_string()), Just("nan".to_string()), Just("1e39".to_string()), "[-+0-9.e]{0,8}",];
    let idx = prop_oneof![any::<i64>().prop_map(|x| x.to_string()), (-5i64..10).prop_map(|x| x.to_string()), "[0-9/-]{0,6}"];
    prop_oneof![
        (num.clone(), num.clone(), num).prop_map(|(a, b, c)| format!("v {a} {b} {c}")),
        prop::collection::vec(idx, 0..6).prop_map(|v| format!("f {}", v.join(" "))),
        "[ -~]{0,20}",
    ]
}

/// A real 32×32 PNG of a disc (alpha or gray).
fn disc_png(alpha: bool) -> Vec<u8> {
    let inside = |x: u32, y: u32| (x as i32 - 16).pow(2) + (y as i32 - 14).pow(2) < 60;
    let mut out = std::io::Cursor::new(Vec::new());
    if alpha {
        image::RgbaImage::from_fn(32, 32, |x, y| image::Rgba([200, 10, 10, if inside(x, y) { 255 } else { 0 }]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
    } else {
        image::GrayImage::from_fn(32, 32, |x, y| image::Luma([if inside(x, y) { 255 } else { 0 }]))
            .write_to(&mut out, image::ImageFormat::Png)
            .unwrap();
    }
    out.into_inner()
}

/// Any f64, with the special values and the boundaries of the ranges well represented.
fn num() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>(),
        prop::sample::select(vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            1e-300,
            1e-30,
            1e-6,
            1e-4,
            1e-3,
            0.01,
            0.1,
            0.1000001,
            1.0,
            10.0,
            10.000001,
            89.999,
            90.0,
            1e4,
            10000.001,
            1e6,
            1e6 + 1.0,
            1e300,
        ]),
        -100.0..100.0f64,
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn obj_reader_never_panics_on_arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(m) = Mesh::parse_obj(&bytes) {
            prop_assert!(m.validate().is_ok());
        }
    }

    #[test]
    fn obj_reader_never_panics_on_obj_like_text(lines in prop::collection::vec(obj_line(), 0..12)) {
        if let Ok(m) = Mesh::parse_obj(lines.join("\n").as_bytes()) {
            prop_assert!(m.validate().is_ok());
            prop_assert!(m.vertices.iter().all(|v| v.is_finite() && v.abs().max_element() <= softras::mesh::MAX_COORDINATE));
        }
    }

    #[test]
    fn views_csv_reader_never_panics(
        header in prop::sample::select(vec!["file,distance,elevation,azimuth", "FILE, Azimuth ,distance,elevation,x", "file,distance", ""]),
        rows in prop::collection::vec(("[a-z.]{0,8}", num(), num(), num(), "[ -~]{0,6}"), 0..5),
    ) {
        let d = tempdir();
        std::fs::write(d.join("v.png"), disc_png(false)).unwrap();
        let mut text = format!("{header}\n");
        for (f, a, b, c, junk) in &rows {
            text.push_str(&format!("{f},{a},{b},{c}{junk}\n"));
        }
        let csv = d.join("views.csv");
        std::fs::write(&csv, &text).unwrap();
        if let Ok(views) = softras::target::load_views_csv(&csv) {
            for v in views {
                prop_assert!(v.distance.is_finite() && v.distance > 0.0 && v.elevation.is_finite() && v.azimuth.is_finite());
                prop_assert!(v.file.is_file());
                prop_assert!(v.weight.is_finite() && v.weight >= 0.0);
            }
        }
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn damaged_pngs_give_a_mask_or_an_error(
        alpha in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 0u8..8), 0..4),
        size in 2u32..40,
    ) {
        let mut bytes = disc_png(alpha);
        for (i, bit) in &flips {
            let k = i.index(bytes.len());
            bytes[k] ^= 1 << bit;
        }
        if !flips.is_empty() || cut.index(4) != 0 {
            bytes.truncate(cut.index(bytes.len() + 1));
        }
        for m in [picture_from_bytes(&bytes, size, Polarity::Auto, "p.png"), view_from_bytes(&bytes, size, "p.png")].into_iter().flatten() {
            prop_assert_eq!((m.width, m.height), (size, size));
            prop_assert!(m.values.iter().all(|v| (0.0..=1.0).contains(v)));
        }
    }

    #[test]
    fn raster_settings_accept_only_finite_in_range_numbers(sigma in num(), near in num(), cull_eps in num(), size in 0u32..20000) {
        let s = RasterSettings { width: size, height: size, sigma, cull_eps, near };
        let ok = s.validate().is_ok();
        let valid = (1..=softras::raster::MAX_IMAGE_SIZE).contains(&size) && sigma.is_finite() && sigma > 0.0
            && sigma <= softras::raster::MAX_SIGMA && cull_eps > 0.0 && cull_eps < 0.5 && near > 0.0 && near <= 1e3;
        // σ also has an f32 floor (it must stay a normal f32 × 1e6)
        prop_assert!(!ok || valid, "{s:?} accepted");
        if valid && sigma >= 1e-30 {
            prop_assert!(ok, "{s:?} refused");
        }
    }

    #[test]
    fn cameras_accept_only_finite_in_range_numbers(distance in num(), elevation in num(), azimuth in num(), view_angle in num()) {
        let ok = Camera::new(distance, elevation, azimuth, view_angle).is_ok();
        let valid = (1e-3..=1e4).contains(&distance) && elevation.abs() <= 1e6 && azimuth.abs() <= 1e6 && (0.01..90.0).contains(&view_angle);
        prop_assert_eq!(ok, valid, "camera {} {} {} {}", distance, elevation, azimuth, view_angle);
        if ok {
            let c = Camera::new(distance, elevation, azimuth, view_angle).unwrap();
            prop_assert!(c.rotation().is_finite() && c.eye().is_finite());
        }
    }

    #[test]
    fn fit_params_accept_only_finite_in_range_numbers(
        sigma in num(), lr in num(), lambda_lap in num(), lambda_flat in num(), distance in num(), view_angle in num(),
    ) {
        let p = FitParams { sigma, lr, lambda_lap, lambda_flat, distance, view_angle, ..FitParams::default() };
        let ok = p.validate().is_ok();
        let valid = sigma.is_finite() && sigma > 0.0 && sigma <= 0.1 && lr > 0.0 && lr <= 10.0
            && (0.0..=1e6).contains(&lambda_lap) && (0.0..=1e6).contains(&lambda_flat)
            && (1e-3..=1e4).contains(&distance) && (0.01..90.0).contains(&view_angle);
        prop_assert!(!ok || valid, "{p:?} accepted");
        if valid && sigma >= 1e-30 {
            prop_assert!(ok, "{p:?} refused");
        }
    }
}
