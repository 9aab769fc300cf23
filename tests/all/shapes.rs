//! Test shapes: closed, outward primitives; the winding number; the named shapes.
use glam::{DVec3, Vec3};
use softras::Mesh;
use softras::shapes::{self, Axis, NAMES, winding_number};
use std::collections::HashMap;
use std::f64::consts::PI;

/// Closed and consistently oriented: no degenerate face, every directed edge used exactly once and its
/// reverse exactly once (so every undirected edge is in exactly two faces, traversed opposite ways).
fn check_closed(m: &Mesh) -> Result<(), String> {
    let mut directed: HashMap<(u32, u32), usize> = HashMap::new();
    for (i, &[a, b, c]) in m.faces.iter().enumerate() {
        if a == b || b == c || c == a {
            return Err(format!("face {i} is degenerate: {:?}", [a, b, c]));
        }
        for e in [(a, b), (b, c), (c, a)] {
            *directed.entry(e).or_default() += 1;
        }
    }
    for (&(a, b), &n) in &directed {
        if n != 1 {
            return Err(format!("directed edge {a}→{b} is used {n} times"));
        }
        match directed.get(&(b, a)) {
            Some(1) => {}
            other => return Err(format!("edge {a}→{b} has reverse count {other:?}")),
        }
    }
    Ok(())
}

/// V − E + F (2 for a sphere, 0 for a torus, 2k for k disjoint sphere-like parts).
fn euler(m: &Mesh) -> i64 {
    m.vertices.len() as i64 - (m.faces.len() * 3 / 2) as i64 + m.faces.len() as i64
}

fn signed_volume(m: &Mesh) -> f64 {
    m.faces
        .iter()
        .map(|f| {
            let [a, b, c] = f.map(|k| m.vertices[k as usize].as_dvec3());
            a.dot(b.cross(c)) / 6.0
        })
        .sum()
}

fn rel_err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs()
}

fn assert_winding(m: &Mesh, p: [f64; 3], want: f64, what: &str) {
    let w = winding_number(m, DVec3::from_array(p));
    assert!((w - want).abs() < 1e-6, "{what}: winding number at {p:?} is {w}, want {want}");
}

const AXES: [Axis; 3] = [Axis::X, Axis::Y, Axis::Z];

fn axis_vec(axis: Axis) -> Vec3 {
    match axis {
        Axis::X => Vec3::X,
        Axis::Y => Vec3::Y,
        Axis::Z => Vec3::Z,
    }
}

#[test]
fn primitives_are_closed_and_consistently_oriented() {
    let c = Vec3::new(0.1, -0.2, 0.3);
    let cub = shapes::cuboid(c, Vec3::new(0.3, 0.2, 0.1));
    assert_eq!((cub.vertices.len(), cub.faces.len()), (8, 12));
    check_closed(&cub).unwrap();
    assert_eq!(euler(&cub), 2);
    for level in 0..=3 {
        let e = shapes::ellipsoid(c, Vec3::new(0.5, 0.3, 0.2), level);
        check_closed(&e).unwrap();
        assert_eq!(euler(&e), 2);
    }
    for axis in AXES {
        for segments in [3, 7, 32] {
            let cy = shapes::cylinder(c, 0.3, 0.4, segments, axis);
            assert_eq!(cy.faces.len(), 4 * segments as usize);
            check_closed(&cy).unwrap_or_else(|e| panic!("cylinder {axis:?} {segments}: {e}"));
            assert_eq!(euler(&cy), 2);
        }
        let t = shapes::torus(c, 0.4, 0.1, 24, 12, axis);
        assert_eq!((t.vertices.len(), t.faces.len()), (24 * 12, 2 * 24 * 12));
        check_closed(&t).unwrap_or_else(|e| panic!("torus {axis:?}: {e}"));
        assert_eq!(euler(&t), 0, "genus 1");
    }
    // the checker can fail: one flipped face, one missing face
    let mut flipped = cub.clone();
    flipped.faces[5].swap(0, 1);
    assert!(check_closed(&flipped).is_err());
    let mut open = cub.clone();
    open.faces.pop();
    assert!(check_closed(&open).is_err());
}

#[test]
fn primitives_are_outward_with_the_right_volume() {
    let c = Vec3::new(0.1, -0.2, 0.3);
    let v = signed_volume(&shapes::cuboid(c, Vec3::new(0.3, 0.2, 0.1)));
    assert!(rel_err(v, 0.6 * 0.4 * 0.2) < 1e-5, "cuboid volume {v}");

    let r = [0.5, 0.3, 0.2];
    let want = 4.0 / 3.0 * PI * r[0] * r[1] * r[2];
    let v = signed_volume(&shapes::ellipsoid(c, Vec3::new(0.5, 0.3, 0.2), 3));
    assert!(v > 0.0 && v < want && rel_err(v, want) < 0.05, "ellipsoid volume {v} vs {want}");
    // the icosphere itself is outward
    let v = signed_volume(&Mesh::icosphere(3).unwrap());
    assert!(v > 0.0 && rel_err(v, 4.0 / 3.0 * PI) < 0.05, "icosphere volume {v}");

    for axis in AXES {
        let want = PI * 0.3f64.powi(2) * 0.8;
        let v = signed_volume(&shapes::cylinder(c, 0.3, 0.4, 32, axis));
        assert!(v > 0.0 && rel_err(v, want) < 0.05, "cylinder {axis:?} volume {v} vs {want}");

        let want = 2.0 * PI * PI * 0.4 * 0.1f64.powi(2);
        let v = signed_volume(&shapes::torus(c, 0.4, 0.1, 48, 16, axis));
        assert!(v > 0.0 && rel_err(v, want) < 0.05, "torus {axis:?} volume {v} vs {want}");
    }

    // merge keeps the parts: volumes add, faces are re-indexed
    let a = shapes::cuboid(Vec3::ZERO, Vec3::splat(0.1));
    let b = shapes::cylinder(Vec3::X, 0.2, 0.3, 16, Axis::Y);
    let m = shapes::merge(&[a.clone(), b.clone()]);
    assert_eq!(m.vertices.len(), a.vertices.len() + b.vertices.len());
    assert_eq!(m.faces.len(), a.faces.len() + b.faces.len());
    assert_eq!(m.faces[12], b.faces[0].map(|k| k + 8));
    check_closed(&m).unwrap();
    assert!((signed_volume(&m) - signed_volume(&a) - signed_volume(&b)).abs() < 1e-9);
}

#[test]
fn winding_number_inside_outside_and_in_the_hole() {
    let cub = shapes::cuboid(Vec3::new(0.1, -0.2, 0.3), Vec3::new(0.3, 0.2, 0.1));
    assert_winding(&cub, [0.1, -0.2, 0.3], 1.0, "cuboid centre");
    assert_winding(&cub, [0.35, -0.01, 0.39], 1.0, "cuboid near a corner");
    assert_winding(&cub, [0.45, -0.2, 0.3], 0.0, "cuboid beside +x");
    assert_winding(&cub, [0.1, -0.2, 0.41], 0.0, "cuboid above +z");
    assert_winding(&cub, [5.0, 3.0, -2.0], 0.0, "cuboid far");

    let e = shapes::ellipsoid(Vec3::new(0.1, 0.0, 0.0), Vec3::new(0.5, 0.3, 0.2), 3);
    assert_winding(&e, [0.1, 0.0, 0.0], 1.0, "ellipsoid centre");
    assert_winding(&e, [0.55, 0.0, 0.0], 1.0, "ellipsoid along x");
    assert_winding(&e, [0.1, 0.0, 0.25], 0.0, "ellipsoid beyond its z radius");
    assert_winding(&e, [0.1, 0.35, 0.0], 0.0, "ellipsoid beyond its y radius");

    for axis in AXES {
        let a = axis_vec(axis).as_dvec3();
        let c = DVec3::new(0.1, -0.2, 0.3);
        let t = shapes::torus(c.as_vec3(), 0.4, 0.1, 48, 16, axis);
        // a direction in the torus's plane
        let radial = if axis == Axis::X { DVec3::Y } else { DVec3::X };
        assert_winding(&t, (c + radial * 0.4).to_array(), 1.0, "torus tube");
        assert_winding(&t, (c - radial * 0.45 + a * 0.05).to_array(), 1.0, "torus tube, off centre");
        assert_winding(&t, c.to_array(), 0.0, "torus hole centre");
        assert_winding(&t, (c + radial * 0.2).to_array(), 0.0, "torus hole");
        assert_winding(&t, (c + a * 0.15).to_array(), 0.0, "torus axis above the hole");
        assert_winding(&t, (c + radial * 0.55).to_array(), 0.0, "torus outside");

        // the cylinder lies along its axis
        let cy = shapes::cylinder(c.as_vec3(), 0.2, 0.4, 32, axis);
        assert_winding(&cy, (c + a * 0.38).to_array(), 1.0, "cylinder along its axis");
        assert_winding(&cy, (c + a * 0.42).to_array(), 0.0, "cylinder past its cap");
        assert_winding(&cy, (c + radial * 0.18).to_array(), 1.0, "cylinder inside the rim");
        assert_winding(&cy, (c + radial * 0.22).to_array(), 0.0, "cylinder outside the rim");
    }

    // overlapping parts count twice
    let two = shapes::merge(&[cub.clone(), shapes::cuboid(Vec3::new(0.3, -0.2, 0.3), Vec3::splat(0.15))]);
    assert_winding(&two, [0.3, -0.2, 0.3], 2.0, "overlap");
    assert_winding(&two, [0.0, -0.2, 0.3], 1.0, "first part only");
}

#[test]
fn named_shapes_fit_the_cube_and_are_closed() {
    for name in NAMES {
        let m = shapes::by_name(name).unwrap_or_else(|| panic!("{name} is missing"));
        m.validate().unwrap();
        assert!(m.faces.len() >= 12, "{name}");
        check_closed(&m).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (lo, hi) = m.vertices.iter().fold((Vec3::INFINITY, Vec3::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert!(lo.cmpge(Vec3::splat(-0.8)).all() && hi.cmple(Vec3::splat(0.8)).all(), "{name}: {lo} .. {hi}");
        let centre = (lo + hi) * 0.5;
        assert!(centre.abs().max_element() < 0.1, "{name} is off centre: {centre}");
        assert!((hi - lo).min_element() > 0.3, "{name} is flat: {lo} .. {hi}");
        let v = signed_volume(&m);
        assert!(v > 0.05, "{name} volume {v}");
    }
    assert!(shapes::by_name("teapot").is_none());
    assert_eq!(shapes::sphere().vertices.len(), 642);
    assert!(shapes::sphere().vertices.iter().all(|v| (v.length() - 0.5).abs() < 1e-5));
}

#[test]
fn named_shapes_have_their_features() {
    let chair = shapes::chair();
    assert_winding(&chair, [0.0, 0.0, 0.0], 1.0, "chair seat");
    assert_winding(&chair, [0.0, -0.35, 0.0], 0.0, "chair between the legs");
    assert_winding(&chair, [0.33, -0.35, 0.33], 1.0, "chair leg");
    assert_winding(&chair, [0.33, -0.02, 0.33], 2.0, "chair leg inside the seat");
    assert_winding(&chair, [0.0, 0.4, -0.35], 1.0, "chair backrest");
    assert_winding(&chair, [0.0, 0.4, 0.0], 0.0, "chair above the seat");

    let mug = shapes::mug();
    assert_winding(&mug, [-0.15, 0.0, 0.0], 1.0, "mug body");
    assert_winding(&mug, [0.36, 0.0, 0.0], 0.0, "mug handle hole");
    assert_winding(&mug, [0.36, 0.0, 0.1], 0.0, "mug beside the handle hole");
    assert_winding(&mug, [0.54, 0.0, 0.0], 1.0, "mug handle");
    assert_winding(&mug, [0.32, 0.22, 0.0], 1.0, "mug handle top");

    let animal = shapes::animal();
    assert_winding(&animal, [0.0, 0.05, 0.0], 1.0, "animal body");
    assert_winding(&animal, [0.5, 0.5, 0.0], 1.0, "animal head");
    assert_winding(&animal, [0.4, 0.3, 0.0], 1.0, "animal neck");
    assert_winding(&animal, [-0.28, -0.5, 0.11], 1.0, "animal leg");
    assert_winding(&animal, [-0.7, 0.15, 0.0], 1.0, "animal tail");
    assert_winding(&animal, [0.0, -0.4, 0.0], 0.0, "animal between the legs");
    assert_winding(&animal, [0.0, 0.5, 0.0], 0.0, "animal above the back");
    assert_winding(&animal, [0.25, 0.4, 0.0], 0.0, "animal in front of the neck");

    let plane = shapes::plane();
    check_closed(&plane).unwrap();
    assert_winding(&plane, [0.3, 0.0, 0.0], 1.0, "plane fuselage");
    assert_winding(&plane, [0.02, 0.0, 0.4], 1.0, "plane wing tip");
    assert_winding(&plane, [0.02, 0.02, 0.4], 0.0, "plane above the wing (0.012 thick)");
    assert_winding(&plane, [-0.42, 0.15, 0.0], 1.0, "plane fin");
    assert_winding(&plane, [-0.42, 0.0, 0.12], 1.0, "plane tailplane");
    assert_winding(&plane, [-0.2, 0.0, 0.25], 0.0, "plane between wing and tail");

    let sphere = shapes::sphere();
    assert_winding(&sphere, [0.0, 0.0, 0.0], 1.0, "sphere centre");
    assert_winding(&sphere, [0.0, 0.0, 0.55], 0.0, "sphere outside");
}
