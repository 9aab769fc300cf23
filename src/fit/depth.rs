//! Depth prior for single-view fits (MATH.md, "Depth prior for one view"): a height map h inflated
//! from the target mask, and the loss that holds each vertex's depth offset from the template
//! centre's plane at ±h where it projects. Without it a one-view fit reaches the outline through
//! perspective, moving vertices along the view ray, and is a wedge seen from the side.
//!
//! The height map: h = t · √(d (2r − d)), d the distance from the pixel centre to the outline, r the
//! radius of the largest inscribed disc that covers the pixel (both in pixels); a disc becomes a
//! hemisphere and a bar a half cylinder of its own width. Then × the world size of one pixel at the
//! template centre's depth (2 d_cam tan θ / W; orthographic 2 / (s W)), see [`pixel_world_size`].
use crate::camera::Camera;
use glam::DVec3;

/// λ_depth for one-view fits when `--lambda-depth` is not given (chosen by measurement, docs/results.md).
pub const DEFAULT_LAMBDA_DEPTH: f64 = 10.0;

/// Exact squared Euclidean distance transform of a 1-D sampled function (Felzenszwalb & Huttenlocher
/// 2012): out[q] = min_p (q − p)² + f[p]. `f` uses `INF` for "no site".
fn edt_1d(f: &[f64], out: &mut [f64], v: &mut Vec<usize>, z: &mut Vec<f64>) {
    let n = f.len();
    let Some(first) = (0..n).find(|&q| f[q] < INF) else {
        out.iter_mut().for_each(|o| *o = INF);
        return;
    };
    v.clear();
    v.resize(n, 0);
    z.clear();
    z.resize(n + 1, 0.0);
    let mut k = 0usize;
    v[0] = first;
    z[0] = f64::NEG_INFINITY;
    z[1] = f64::INFINITY;
    for q in first + 1..n {
        if f[q] >= INF {
            continue;
        }
        let mut s;
        loop {
            let p = v[k];
            s = ((f[q] + (q * q) as f64) - (f[p] + (p * p) as f64)) / (2.0 * (q as f64 - p as f64));
            // z[0] = −∞, so k never goes below 0
            if s <= z[k] {
                k -= 1;
            } else {
                break;
            }
        }
        k += 1;
        v[k] = q;
        z[k] = s;
        z[k + 1] = f64::INFINITY;
    }
    let mut k = 0usize;
    for (q, o) in out.iter_mut().enumerate() {
        while z[k + 1] < q as f64 {
            k += 1;
        }
        let p = v[k];
        let d = q as f64 - p as f64;
        *o = d * d + f[p];
    }
}

const INF: f64 = 1e30;

/// The squared Euclidean distance transform of a w × h grid in place (0 at sites, [`INF`] elsewhere on
/// entry): [`edt_1d`] down every column, then along every row.
fn edt_2d(g: &mut [f64], w: usize, h: usize) {
    let (mut v, mut z) = (Vec::new(), Vec::new());
    let (mut col, mut out) = (vec![0.0; h], vec![0.0; h]);
    for i in 0..w {
        for j in 0..h {
            col[j] = g[j * w + i];
        }
        edt_1d(&col, &mut out, &mut v, &mut z);
        for j in 0..h {
            g[j * w + i] = out[j];
        }
    }
    let (mut row, mut out) = (vec![0.0; w], vec![0.0; w]);
    for j in 0..h {
        row.copy_from_slice(&g[j * w..(j + 1) * w]);
        edt_1d(&row, &mut out, &mut v, &mut z);
        g[j * w..(j + 1) * w].copy_from_slice(&out);
    }
}

/// Distance in pixels from each pixel centre to the outline of `inside` (w × h, row-major), 0 outside.
/// Everything beyond the image counts as outside. d = (distance to the nearest outside pixel centre) − ½.
pub fn outline_distance(inside: &[bool], w: usize, h: usize) -> Vec<f64> {
    // pad by one pixel of background so the image border is an outline
    let (pw, ph) = (w + 2, h + 2);
    let mut g = vec![0.0; pw * ph];
    for j in 0..h {
        for i in 0..w {
            if inside[j * w + i] {
                g[(j + 1) * pw + i + 1] = INF;
            }
        }
    }
    edt_2d(&mut g, pw, ph);
    let mut d = vec![0.0; w * h];
    for j in 0..h {
        for i in 0..w {
            if inside[j * w + i] {
                d[j * w + i] = (g[(j + 1) * pw + i + 1].sqrt() - 0.5).max(0.0);
            }
        }
    }
    d
}

/// Euclidean distance in pixels from each pixel centre of a w × h grid to the nearest centre of a pixel
/// in `sites` (row-major); infinite when there is none. Nothing beyond the image is a site.
pub fn site_distance(sites: &[bool], w: usize, h: usize) -> Vec<f64> {
    let mut g: Vec<f64> = sites.iter().map(|&s| if s { 0.0 } else { INF }).collect();
    edt_2d(&mut g, w, h);
    g.iter().map(|&d| if d >= INF { f64::INFINITY } else { d.sqrt() }).collect()
}

/// Height map in pixels: h = √(d (2r − d)) inside the mask (value ≥ 0.5), 0 outside.
pub fn height_map_pixels(mask: &[f32], w: usize, h: usize) -> Vec<f64> {
    let inside: Vec<bool> = mask.iter().map(|&m| m >= 0.5).collect();
    let d = outline_distance(&inside, w, h);
    // r: largest inscribed disc covering each pixel. Only centres whose disc no neighbour's disc
    // (nearly) contains paint, which leaves the medial axis and keeps the cost near
    // (axis length) × (disc area) instead of (pixels) × (disc area).
    let mut r = d.clone();
    let at = |i: isize, j: isize| -> f64 {
        if i < 0 || j < 0 || i >= w as isize || j >= h as isize { 0.0 } else { d[j as usize * w + i as usize] }
    };
    let mut centres: Vec<(usize, usize)> = Vec::new();
    for j in 0..h {
        for i in 0..w {
            let dc = d[j * w + i];
            if dc <= 0.0 {
                continue;
            }
            let mut dominated = false;
            'n: for dj in -1isize..=1 {
                for di in -1isize..=1 {
                    if di == 0 && dj == 0 {
                        continue;
                    }
                    let step = ((di * di + dj * dj) as f64).sqrt();
                    if at(i as isize + di, j as isize + dj) >= dc + 0.92 * step {
                        dominated = true;
                        break 'n;
                    }
                }
            }
            if !dominated {
                centres.push((i, j));
            }
        }
    }
    for &(ci, cj) in &centres {
        let rc = d[cj * w + ci];
        let k = rc.floor() as isize;
        for dj in -k..=k {
            let j = cj as isize + dj;
            if j < 0 || j >= h as isize {
                continue;
            }
            for di in -k..=k {
                let i = ci as isize + di;
                if i < 0 || i >= w as isize || ((di * di + dj * dj) as f64) > rc * rc {
                    continue;
                }
                let o = &mut r[j as usize * w + i as usize];
                if *o < rc {
                    *o = rc;
                }
            }
        }
    }
    d.iter().zip(&r).map(|(&d, &r)| (d * (2.0 * r - d)).max(0.0).sqrt()).collect()
}

/// World size of one pixel at the template centre's depth for `cam` on a `width`-pixel image:
/// 2 d tan θ / W, orthographic 2 / (s W).
pub fn pixel_world_size(cam: &Camera, width: u32) -> f64 {
    match cam.ortho_scale() {
        None => 2.0 * cam.distance * cam.tan_half_fov() / width as f64,
        Some(s) => 2.0 / (s * width as f64),
    }
}

/// The height map of view 0 in world units at thickness 1, as the fitters use it (the thickness
/// scales it at each step, so it can change live).
pub fn height_map(mask: &[f32], size: u32, cam: &Camera) -> Vec<f32> {
    let s = size as usize;
    let scale = pixel_world_size(cam, size);
    height_map_pixels(&mask[..s * s], s, s).iter().map(|&x| (x * scale) as f32).collect()
}

/// h at NDC point (x, y) by bilinear interpolation of pixel centres (0 beyond the image), and its
/// gradient (∂h/∂x, ∂h/∂y) in NDC units (pixel-grid scale W/2 and the row flip included).
pub fn sample(hmap: &[f32], w: usize, h: usize, x: f64, y: f64) -> (f64, f64, f64) {
    let u = (x + 1.0) * w as f64 / 2.0 - 0.5;
    let v = (1.0 - y) * h as f64 / 2.0 - 0.5;
    if !(u.is_finite() && v.is_finite()) || u < -1.0 || v < -1.0 || u >= w as f64 || v >= h as f64 {
        return (0.0, 0.0, 0.0);
    }
    let (i0, j0) = (u.floor(), v.floor());
    let (fu, fv) = (u - i0, v - j0);
    let (i0, j0) = (i0 as isize, j0 as isize);
    let get = |i: isize, j: isize| -> f64 {
        if i < 0 || j < 0 || i >= w as isize || j >= h as isize { 0.0 } else { hmap[j as usize * w + i as usize] as f64 }
    };
    let (h00, h10, h01, h11) = (get(i0, j0), get(i0 + 1, j0), get(i0, j0 + 1), get(i0 + 1, j0 + 1));
    let val = (1.0 - fu) * (1.0 - fv) * h00 + fu * (1.0 - fv) * h10 + (1.0 - fu) * fv * h01 + fu * fv * h11;
    let du = (1.0 - fv) * (h10 - h00) + fv * (h11 - h01);
    let dv = (1.0 - fu) * (h01 - h00) + fu * (h11 - h10);
    (val, du * w as f64 / 2.0, -dv * h as f64 / 2.0)
}

/// The settings of the depth term: weight λ, thickness t, and the near plane (vertices at or behind it
/// contribute nothing).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DepthWeights {
    pub lambda: f64,
    pub thickness: f64,
    pub near: f64,
}

/// L_depth = (λ / N) Σ_v (|z_v − z₀| − t·h(q(v)))² (t the thickness) and its gradient with respect to
/// each vertex (world space), z₀ = the camera distance (the template centre, the origin, is on the axis).
/// q is the *weak-perspective* projection at the centre's depth, q = (x_c, y_c) / (z₀ tan θ)
/// (orthographic: q = s·(x_c, y_c), the exact projection): the prior
/// is a shape symmetric about the centre plane, whose perspective outline matches the picture as a real
/// object's does. Reading h along each vertex's own ray instead (q = π(v)) makes the back half (d + h)/d
/// times wider than the front (a sphere's back 18 % wider at the default camera; docs/results.md).
/// Vertices at or behind the near plane `near` contribute nothing.
pub fn depth_loss(verts: &[DVec3], cam: &Camera, hmap: &[f32], size: u32, w: DepthWeights) -> (f64, Vec<DVec3>) {
    let DepthWeights { lambda, thickness, near } = w;
    let r = cam.rotation();
    let (rx, ry, rz) = (r.row(0), r.row(1), r.row(2));
    let eye = cam.eye();
    let lens = cam.lens();
    let z0 = cam.distance;
    let (dxs, dys) = lens.lateral_rows(rx, ry, z0);
    let n = verts.len().max(1) as f64;
    let s = size as usize;
    let mut loss = 0.0;
    let grad = verts
        .iter()
        .map(|&v| {
            let p = v - eye;
            let (xc, yc, zc) = (rx.dot(p), ry.dot(p), rz.dot(p));
            if zc <= near {
                return DVec3::ZERO;
            }
            // weak perspective: h is read where the vertex's lateral position falls on the centre plane
            let q = lens.project(DVec3::new(xc, yc, z0));
            let (xs, ys) = (q.x, q.y);
            let (hv, hx, hy) = sample(hmap, s, s, xs, ys);
            let (hv, hx, hy) = (thickness * hv, thickness * hx, thickness * hy);
            let off = zc - z0;
            let res = off.abs() - hv;
            loss += res * res;
            let sg = if off > 0.0 {
                1.0
            } else if off < 0.0 {
                -1.0
            } else {
                0.0
            };
            2.0 * lambda / n * res * (sg * rz - (hx * dxs + hy * dys))
        })
        .collect();
    (lambda / n * loss, grad)
}

/// Whether `params` hold the depth of a fit of `target` with a positive weight (so the fit starts from
/// the inflated ellipsoid, [`start_template`]).
pub fn prior_active(params: &super::FitParams, target: &super::FitTarget) -> bool {
    let p = params.clone().for_views(target.cameras.len());
    p.has_depth_prior(target.cameras.len()) && p.lambda_depth.unwrap_or(0.0) > 0.0
}

/// σ of a fit that starts from the visual hull (views all orthographic, no depth prior) unless one is
/// given. The hull's sides are seen edge-on by the views that carved them, so every one of their
/// triangles lies on an outline; at a soft σ their soft edges add up past the outline and the IoU loss
/// pulls the sides in (the hull erodes: a box's voxel IoU falls from 0.98 to 0.73 in 500 steps at σ
/// 1e-4). At σ 1e-6 it keeps 0.95 (box, chair 0.79, animal 0.82 from front/side/top at 128²;
/// docs/results.md).
pub const HULL_SIGMA: f64 = 1e-6;

/// Whether a fit starts from the hull of its views ([`start_template`]): no depth prior, and either
/// every view orthographic (a sheet, whose one-direction case falls back to [`radial_hull`]) or at
/// least two views (the hull needs two directions; [`super::hull::visual_hull`] checks them). A chair
/// from the 120 demo views at 64², 500 steps: voxel IoU 0.93 from its hull, 0.59 from the icosphere.
pub fn starts_from_hull(params: &super::FitParams, target: &super::FitTarget) -> bool {
    !prior_active(params, target) && (all_ortho(target) || target.cameras.len() >= 2)
}

/// Whether a fit takes [`HULL_SIGMA`] unless σ is given: it starts from the hull and every view is
/// orthographic (a sheet: each side of its hull is seen by no view but the one that carved it, edge-on).
pub fn hull_sigma(params: &super::FitParams, target: &super::FitTarget) -> bool {
    starts_from_hull(params, target) && all_ortho(target)
}

/// Faces of the icosphere template (20·4^level): the hull and the inflated start are meshed with about
/// as many.
fn template_faces(params: &super::FitParams) -> usize {
    20 * 4usize.pow(params.template_level)
}

/// Whether every view of `target` is orthographic (a reference sheet).
pub fn all_ortho(target: &super::FitTarget) -> bool {
    target.cameras.iter().all(|c| c.ortho_scale().is_some())
}

/// What [`start_template`] made `start` from, for reports: the visual hull, the icosphere pushed onto
/// it, the icosphere squeezed to the outline (depth prior), or the icosphere (squeezed to orthographic
/// views' extents where a fit mixes projections).
pub fn describe_start(params: &super::FitParams, target: &super::FitTarget, start: &crate::Mesh) -> String {
    let sphere = format!("icosphere level {} radius {}", params.template_level, params.template_radius);
    let sphere_faces = template_faces(params);
    if prior_active(params, target) && start.faces.len() != sphere_faces {
        format!("the outline inflated by the depth prior ({} faces)", start.faces.len())
    } else if prior_active(params, target) {
        format!("{sphere}, squeezed to the outline (depth prior)")
    } else if starts_from_hull(params, target) && start.faces.len() != sphere_faces {
        format!("visual hull of the {} views ({} faces)", target.cameras.len(), start.faces.len())
    } else if starts_from_hull(params, target) && all_ortho(target) {
        format!("{sphere}, pushed radially onto the views' hull")
    } else {
        sphere
    }
}

/// The default template of a fit: the icosphere, or — when the depth prior is on — the prior's own
/// shape, the outline inflated to ±t·h about the centre plane and meshed like the hull
/// ([`super::hull::inflated`]: holes and gaps of the outline included; single-view table at 500 steps:
/// lowest silhouette IoU of chair, animal, mug, duck and sphere 0.998 against 0.867 from the squeezed
/// sphere, mean voxel IoU 0.595 against 0.590), or where that is empty the same icosphere
/// squeezed along each image axis where view 0's silhouette is narrower than it (to the outline's
/// bounding box on the centre plane), centred on that box. A thin or elongated
/// silhouette is then reached in a few steps instead of shrinking a sphere through SoftRas's sigmoid
/// parametrization at ≤ lr per step (an edge-on plate stayed at silhouette IoU 0.14 in 500 steps).
/// Without the prior: a sheet (views all orthographic) and any fit of two or more views start from
/// their visual hull; one view without the prior, or views whose hull is empty, from the icosphere
/// squeezed to what orthographic views see of it ([`ortho_squeeze`]).
pub fn start_template(params: &super::FitParams, target: &super::FitTarget) -> crate::Result<crate::Mesh> {
    let sphere = super::icosphere_template(params.template_level, params.template_radius)?;
    if !prior_active(params, target) {
        return ortho_squeeze(sphere, params, target);
    }
    let (s, cam) = (target.size as usize, &target.cameras[0]);
    let hmap = height_map(&target.masks[..s * s], target.size, cam);
    if let Some(m) = super::hull::inflated(target, &hmap, params.thickness, template_faces(params)) {
        return Ok(super::prepare_template(m)?.0);
    }
    // NDC → world on the centre plane
    let Some([x0, x1, y0, y1]) = outline_box(&target.masks[..s * s], s, cam.lens().world_per_ndc(cam.distance)) else {
        return Ok(sphere);
    };
    // only the outline's axes are squeezed, never grown: a sphere inside a concave outline (a chair, an
    // animal's legs) grows into it, while an ellipsoid spanning its bounding box has to be carved,
    // which SoftRas's parametrization does badly (animal side view: silhouette IoU 0.55 in 500 steps).
    // The depth stays the sphere's: the prior brings it to ±h within a few dozen steps, and a start
    // already thin in depth kept legs from growing (chair side view: silhouette IoU 0.60 against 0.87).
    let rad = params.template_radius;
    let radii = DVec3::new(((x1 - x0) / 2.0).min(rad), ((y1 - y0) / 2.0).min(rad), rad);
    let centre = DVec3::new((x0 + x1) / 2.0, (y0 + y1) / 2.0, cam.distance);
    let (r, eye) = (cam.rotation(), cam.eye());
    let mut m = sphere;
    for v in &mut m.vertices {
        let unit = r * (v.as_dvec3() / params.template_radius);
        let world = r.transpose() * (centre + radii * unit) + eye;
        *v = world.clamp(DVec3::splat(-0.95), DVec3::splat(0.95)).as_vec3();
    }
    Ok(super::prepare_template(m)?.0)
}

/// Without the depth prior, views all orthographic (a sheet) or at least two views: the visual hull of
/// the masks as a mesh ([`super::hull::visual_hull`]: legs, holes and the gaps between them are there
/// from the start), or, when a sheet's views all look along one direction (the hull has no end along
/// it), the icosphere pushed radially onto the hull ([`radial_hull`]). Otherwise the icosphere squeezed along each world axis
/// that an orthographic view sees edge-on (a screen axis along a world axis), to the narrowest extent
/// the views' silhouettes give it and centred there; perspective views change nothing. A 1 × 2 × 3 box
/// from front/side/top, 500 steps at 128²: from the squeezed sphere voxel IoU 0.59 (a ridged cushion),
/// from the sphere pushed radially onto the hull 0.72, from the hull mesh 0.73 (the hull itself: 0.98;
/// the fit erodes it, see [`super::hull`]).
fn ortho_squeeze(sphere: crate::Mesh, params: &super::FitParams, target: &super::FitTarget) -> crate::Result<crate::Mesh> {
    if starts_from_hull(params, target) {
        let radial = || if all_ortho(target) { radial_hull(&sphere, params, target) } else { None };
        if let Some(m) = super::hull::visual_hull(target, template_faces(params)).or_else(radial) {
            return Ok(super::prepare_template(m)?.0);
        }
    }
    let s = target.size as usize;
    let rad = params.template_radius;
    // per world axis: the narrowest (lo, hi) any view sees
    let mut bounds: [Option<(f64, f64)>; 3] = [None; 3];
    for (k, cam) in target.cameras.iter().enumerate() {
        // perspective: the outline's size depends on depth
        let Some(scale) = cam.ortho_scale() else { continue };
        let Some([x0, x1, y0, y1]) = outline_box(&target.masks[k * s * s..(k + 1) * s * s], s, 1.0 / scale) else { continue };
        let r = cam.rotation();
        for (row, (a, b)) in [(r.row(0), (x0, x1)), (r.row(1), (y0, y1))] {
            let Some(axis) = crate::camera::world_axis(row) else { continue };
            // camera x (or y) = ±(world coordinate): the eye lies on the plane where that coordinate is 0
            let (lo, hi) = if row[axis] > 0.0 { (a, b) } else { (-b, -a) };
            bounds[axis] = Some(match bounds[axis] {
                Some((l, h)) if h - l <= hi - lo => (l, h),
                _ => (lo, hi),
            });
        }
    }
    if bounds.iter().all(Option::is_none) {
        return Ok(sphere);
    }
    let mut m = sphere;
    for v in &mut m.vertices {
        let mut p = v.as_dvec3();
        for (axis, b) in bounds.iter().enumerate() {
            if let Some((lo, hi)) = *b
                && hi - lo < 2.0 * rad
            {
                p[axis] = (lo + hi) / 2.0 + p[axis] / rad * (hi - lo) / 2.0;
            }
        }
        *v = p.clamp(DVec3::splat(-0.95), DVec3::splat(0.95)).as_vec3();
    }
    Ok(super::prepare_template(m)?.0)
}

/// The bounding box of a `s`×`s` mask's pixels ≥ 0.5 as x0, x1, y0, y1 in NDC × `world_per_ndc` (pixel
/// edges, y up), or None for an empty mask.
fn outline_box(mask: &[f32], s: usize, world_per_ndc: f64) -> Option<[f64; 4]> {
    let (mut i0, mut i1, mut j0, mut j1) = (usize::MAX, 0, usize::MAX, 0);
    for j in 0..s {
        for i in 0..s {
            if mask[j * s + i] >= 0.5 {
                (i0, i1, j0, j1) = (i0.min(i), i1.max(i), j0.min(j), j1.max(j));
            }
        }
    }
    if i0 > i1 {
        return None;
    }
    let ndc_x = |i: f64| 2.0 * i / s as f64 - 1.0;
    let ndc_y = |j: f64| 1.0 - 2.0 * j / s as f64;
    Some([
        ndc_x(i0 as f64) * world_per_ndc,
        ndc_x(i1 as f64 + 1.0) * world_per_ndc,
        ndc_y(j1 as f64 + 1.0) * world_per_ndc,
        ndc_y(j0 as f64) * world_per_ndc,
    ])
}

/// Every view orthographic, all looking along one direction: each template vertex moved along its ray
/// from the centre to where the ray first leaves the visual hull (the points every view's mask covers)
/// or reaches 0.95, in steps of 1/200 of the sphere's diameter. None when the centre is outside the hull.
fn radial_hull(sphere: &crate::Mesh, params: &super::FitParams, target: &super::FitTarget) -> Option<crate::Mesh> {
    let s = target.size as usize;
    let inside = |p: DVec3| {
        target.cameras.iter().enumerate().all(|(k, cam)| {
            let q = cam.lens().project(cam.to_camera(p));
            let (i, j) = (((q.x + 1.0) / 2.0 * s as f64).floor(), ((1.0 - q.y) / 2.0 * s as f64).floor());
            (0.0..s as f64).contains(&i) && (0.0..s as f64).contains(&j) && target.masks[k * s * s + j as usize * s + i as usize] >= 0.5
        })
    };
    if !inside(DVec3::ZERO) {
        return None;
    }
    let step = params.template_radius / 100.0;
    let mut m = sphere.clone();
    for v in &mut m.vertices {
        let u = v.as_dvec3().normalize();
        let mut t = step;
        while t < 0.95 && inside(u * (t + step)) {
            t += step;
        }
        *v = (u * t).as_vec3();
    }
    Some(m)
}
