//! The targets of a fit from its flags (a picture, views, or a mesh rendered on SoftRas's demo cameras),
//! the memory check that comes before them, and the template.
use super::args::{FitArgs, parse_sheet, parse_view};
use super::backend::Backend;
use softras::camera::Projection;
use softras::fit::{self, FitParams, FitTarget};
use softras::target::{self, Picture};
use softras::views::{self, Placement, Source, View};
use softras::{Camera, DEFAULT_TARGET, Error, Mesh, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// How reports and messages name the embedded target.
pub const DEFAULT_TARGET_NAME: &str = "<embedded default target: assets/default_target.png>";

/// One target view as described for the report.
#[derive(Clone, Debug)]
pub struct ViewInfo {
    pub file: String,
    pub distance: f64,
    pub elevation: f64,
    pub azimuth: f64,
}

/// Most views a fit takes.
pub const MAX_VIEWS: usize = 10_000;
/// Host bytes per pixel of each view while fitting on the GPU: the target mask (f32), the rendered
/// target and its clamped copy (f32 each, --target-mesh) and the final silhouettes read back (f32).
const GPU_HOST_BYTES_PER_PIXEL: u64 = 16;
/// The same on the CPU engine: the target mask (f32) and the engine's copy in f64, and during a step the
/// forward pass's log T and S and ∂L/∂S (f64 each), see fit::cpu and raster::cpu; the final
/// silhouettes (f32).
const CPU_BYTES_PER_PIXEL: u64 = 40;

/// Refuses, before any allocation, a fit whose views × size² would not fit in memory (`auto` and `gpu`
/// count the GPU engine's host memory: `auto` falling back to the CPU is checked again then).
pub fn check_fit_memory(views: usize, size: u32, backend: Backend) -> Result<()> {
    if views > MAX_VIEWS {
        return Err(Error::invalid(format!("{views} views: at most {MAX_VIEWS} are fitted (lower --num-views or give fewer views)")));
    }
    let cpu = backend == Backend::Cpu;
    let per = if cpu { CPU_BYTES_PER_PIXEL } else { GPU_HOST_BYTES_PER_PIXEL };
    let bytes = (views as u64).saturating_mul(size as u64 * size as u64).saturating_mul(per);
    softras::files::check_memory(
        bytes,
        &format!("{views} view(s) at {size}² on the {} engine", if cpu { "CPU" } else { "GPU" }),
        "--size or --num-views",
    )
}

/// Loads the targets (before any GPU work) and fixes the image size.
/// Also returns the views the target is made of (the viewer edits them).
pub fn load_targets(a: &FitArgs, params: &mut FitParams) -> Result<(FitTarget, Vec<ViewInfo>, Vec<View>)> {
    let has_views = !a.views.is_empty() || a.views_csv.is_some();
    if a.image.is_some() && has_views {
        return Err(Error::invalid("give either IMAGE (one picture, fitted from the front) or --view/--views, not both"));
    }
    let projection = a.projection.get()?;
    // file, distance, elevation, azimuth, projection, loss weight (1 for --view)
    let mut specs: Vec<(PathBuf, f64, f64, f64, Projection, f32)> = Vec::new();
    for v in &a.views {
        let (file, el, az) = parse_view(v)?;
        specs.push((file, a.distance, el, az, projection, 1.0));
    }
    if let Some(csv) = &a.views_csv {
        for v in target::load_views_csv(csv)? {
            specs.push((v.file, v.distance, v.elevation, v.azimuth, v.projection.unwrap_or(projection), v.weight as f32));
        }
    }
    let (masks, cams, list): (Vec<f32>, Vec<Camera>, Vec<View>);
    let mut infos = Vec::new();
    if !a.sheets.is_empty() {
        if a.projection.ortho_width.is_some() {
            return Err(Error::invalid("--sheet views are orthographic at the sheet's own scale: drop --ortho-width"));
        }
        let size = a.size.unwrap_or(128);
        params.size = size;
        check_fit_memory(a.sheets.len(), size, a.backend)?;
        let mut views = Vec::new();
        for s in &a.sheets {
            let (name, file, elevation, azimuth) = parse_sheet(s)?;
            let mut v = View::from_file(&file, Placement::Sheet { elevation, azimuth })?;
            (v.name, v.invert) = (name, a.invert);
            infos.push(ViewInfo { file: file.display().to_string(), distance: a.distance, elevation, azimuth });
            views.push(v);
        }
        let built = views::build(&views, size, params)?;
        for w in &built.warnings {
            eprintln!("warning: {w}");
        }
        let [x, y, z] = built.extents.unwrap_or([f64::NAN; 3]).map(|e| if e.is_finite() { format!("{e:.3}") } else { "?".into() });
        eprintln!(
            "sheet: the object's width × height × depth is {x} × {y} × {z} (largest 1), each view {} world units wide",
            softras::sheets::SHEET_WIDTH
        );
        (masks, cams, list) = (built.target.masks, built.target.cameras, views);
    } else if let Some(tm) = &a.target_mesh {
        let mesh = Mesh::load_obj(tm)?;
        let size = a.size.unwrap_or(64);
        params.size = size;
        let all = target_cameras(a)?;
        let keep = fit::keep_views(all.len(), a.num_views.unwrap_or(all.len()))?;
        check_fit_memory(keep.len(), size, a.backend)?;
        let chosen: Vec<Camera> = keep.iter().map(|&i| all[i]).collect();
        // the fitter's engine prints the note of `auto`
        let (mut engine, _) = a.backend.rasterizer()?;
        let name = format!("{} (rendered)", tm.display());
        let rendered = FitTarget::rendered(engine.as_mut(), &mesh, chosen, size, &name)?;
        let npix = size as usize * size as usize;
        let empty = rendered.masks.chunks(npix.max(1)).filter(|m| !m.iter().any(|&v| v > 0.5)).count();
        if empty == rendered.cameras.len() {
            return Err(Error::invalid(format!(
                "--target-mesh {}: the mesh is outside every view (all {empty} rendered silhouettes are empty): \
                 center it near the origin, or change --distance, --elevations, --azimuths or --view-angle",
                tm.display()
            )));
        }
        if empty > 0 {
            eprintln!("warning: --target-mesh {}: {empty} of {} rendered silhouettes are empty", tm.display(), rendered.cameras.len());
        }
        let reach = mesh.vertices.iter().map(|v| v.abs().max_element()).fold(0.0f32, f32::max);
        if reach >= 1.0 {
            eprintln!(
                "warning: --target-mesh {}: the mesh reaches {reach:.3} from the origin along an axis, outside the unit \
                 cube where fits work (Adam's SoftRas parametrization keeps every vertex inside (−1, 1)³, and the demo \
                 cameras see about ±0.73 at the default distance): scale it to a longest side of about 1.2, as SoftRas's \
                 demo meshes",
                tm.display()
            );
        }
        for c in &rendered.cameras {
            infos.push(ViewInfo { file: name.clone(), distance: c.distance, elevation: c.elevation, azimuth: c.azimuth });
        }
        list = views::from_target(&rendered);
        (masks, cams) = (rendered.masks, rendered.cameras);
    } else if specs.is_empty() {
        let size = a.size.unwrap_or(128);
        params.size = size;
        check_fit_memory(1, size, a.backend)?;
        let camera = Camera::new(a.distance, 0.0, 0.0, a.view_angle)?.with_projection(projection)?;
        let mut view = match &a.image {
            Some(p) => View::from_file(p, Placement::Centred(camera))?,
            None => View::new(
                DEFAULT_TARGET_NAME,
                None,
                Source::Picture(Arc::new(Picture::decode(DEFAULT_TARGET, DEFAULT_TARGET_NAME)?)),
                Placement::Centred(camera),
            ),
        };
        view.invert = a.invert;
        let built = views::build(std::slice::from_ref(&view), size, params)?;
        infos.push(ViewInfo { file: view.shown(), distance: a.distance, elevation: 0.0, azimuth: 0.0 });
        (masks, cams, list) = (built.target.masks, built.target.cameras, vec![view]);
    } else {
        let size = match a.size {
            Some(s) => s,
            None => {
                let (w, h) = target::file_image_dimensions(&specs[0].0)?;
                if w == h && w >= 2 { w } else { 128 }
            }
        };
        params.size = size;
        check_fit_memory(specs.len(), size, a.backend)?;
        let mut views = Vec::new();
        for (file, d, el, az, p, w) in &specs {
            let camera = Camera::new(*d, *el, *az, a.view_angle)?.with_projection(*p)?;
            let mut v = View::from_file(file, Placement::Camera(camera))?;
            v.weight = *w;
            views.push(v);
            infos.push(ViewInfo { file: file.display().to_string(), distance: *d, elevation: *el, azimuth: *az });
        }
        let built = views::build(&views, size, params)?;
        (masks, cams, list) = (built.target.masks, built.target.cameras, views);
    }
    *params = params.clone().for_views(cams.len());
    let names = infos.iter().map(|i| i.file.clone()).collect();
    let weights = list.iter().map(|v| v.weight).collect();
    let target = FitTarget { size: params.size, cameras: cams, masks, names, weights };
    if a.sigma.is_none() && fit::depth::hull_sigma(params, &target) {
        params.sigma = fit::depth::HULL_SIGMA;
    }
    Ok((target, infos, list))
}

/// SoftRas's demo cameras from --elevations (outer) × --azimuths (inner) at --distance.
fn target_cameras(a: &FitArgs) -> Result<Vec<Camera>> {
    let az: Vec<f64> = a.azimuths.clone().unwrap_or_else(|| (0..24).map(|k| -15.0 * k as f64).collect());
    if a.elevations.is_empty() || az.is_empty() {
        return Err(Error::invalid("--elevations and --azimuths need at least one value each"));
    }
    if a.elevations.len().saturating_mul(az.len()) > 100 * MAX_VIEWS {
        return Err(Error::invalid(format!("--elevations × --azimuths make more than {} cameras", 100 * MAX_VIEWS)));
    }
    let projection = a.projection.get()?;
    let mut out = Vec::new();
    for &el in &a.elevations {
        for &z in &az {
            out.push(Camera::new(a.distance, el, z, a.view_angle)?.with_projection(projection)?);
        }
    }
    Ok(out)
}

/// The template: `--template`, or the default start for this target ([`fit::depth::start_template`]:
/// the icosphere, stretched to the silhouette when the depth prior is on).
pub fn template(a: &FitArgs, params: &FitParams, target: &FitTarget) -> Result<Mesh> {
    match &a.template {
        Some(p) => {
            let (m, nudged) = fit::prepare_template(Mesh::load_obj(p)?)?;
            if nudged > 0 {
                eprintln!("note: {nudged} template coordinates were exactly 0 and were moved to 1e-4 (they could never move otherwise)");
            }
            Ok(m)
        }
        None => fit::depth::start_template(params, target),
    }
}
