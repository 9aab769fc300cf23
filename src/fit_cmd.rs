//! `softras fit`: targets from the command line, the fit with a progress bar, and its outputs.
use clap::Args;
use softras::fit::{self, Ending, FitParams, FitTarget, Fitter};
use softras::target::{self, Polarity};
use softras::{Camera, Error, Mesh, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use softras::DEFAULT_TARGET;
pub const DEFAULT_TARGET_NAME: &str = "<embedded default target: assets/default_target.png>";

#[derive(Args, Clone, Debug)]
pub struct FitArgs {
    /// A picture to fit from the front (elevation 0, azimuth 0): any format, alpha or Otsu mask.
    /// Without IMAGE, --view or --views, the embedded default target is fitted.
    pub image: Option<PathBuf>,
    /// A view with its camera, IMG:ELEV:AZIM (degrees; distance from --distance). Repeatable.
    #[arg(long = "view", value_name = "IMG:ELEV:AZIM", allow_hyphen_values = true)]
    pub views: Vec<String>,
    /// A CSV of views with header file,distance,elevation,azimuth (paths relative to the CSV).
    #[arg(long = "views", value_name = "CSV")]
    pub views_csv: Option<PathBuf>,
    /// Invert the picture's mask (otherwise the image border is taken as background).
    #[arg(long)]
    pub invert: bool,
    /// Optimisation steps.
    #[arg(long, default_value_t = FitParams::default().steps)]
    pub steps: u32,
    /// Image size in pixels [default: 128 for a picture, the views' own size for views].
    #[arg(long)]
    pub size: Option<u32>,
    /// Sharpness σ of the soft silhouette.
    #[arg(long, default_value_t = FitParams::default().sigma, allow_hyphen_values = true)]
    pub sigma: f64,
    /// σ at the last step (log-linear schedule from --sigma); off by default.
    #[arg(long, allow_hyphen_values = true)]
    pub sigma_end: Option<f64>,
    /// Adam learning rate (betas 0.5, 0.99 as SoftRas).
    #[arg(long, default_value_t = FitParams::default().lr, allow_hyphen_values = true)]
    pub lr: f64,
    /// Weight of the Laplacian regularizer.
    #[arg(long, default_value_t = FitParams::default().lambda_lap, allow_hyphen_values = true)]
    pub lambda_lap: f64,
    /// Weight of the flatten regularizer.
    #[arg(long, default_value_t = FitParams::default().lambda_flat, allow_hyphen_values = true)]
    pub lambda_flat: f64,
    /// Weight of the depth prior (the picture's silhouette inflated into a height field, held at ±h in
    /// front of and behind the template centre's plane) [default: 10 for one view, 0 for several;
    /// with several views a weight > 0 applies it to the first].
    #[arg(long, allow_hyphen_values = true)]
    pub lambda_depth: Option<f64>,
    /// Thickness of the depth prior: 1 makes a disc a sphere, 0.5 half as deep.
    #[arg(long, default_value_t = FitParams::default().thickness, allow_hyphen_values = true)]
    pub thickness: f64,
    /// Half field of view in degrees (SoftRas's viewing_angle).
    #[arg(long, default_value_t = FitParams::default().view_angle, allow_hyphen_values = true)]
    pub view_angle: f64,
    /// Camera distance for IMAGE and --view.
    #[arg(long, default_value_t = FitParams::default().distance, allow_hyphen_values = true)]
    pub distance: f64,
    /// Icosphere level of the template (radius 0.5, rotated so no coordinate is 0).
    #[arg(long, default_value_t = FitParams::default().template_level, conflicts_with = "template")]
    pub template_level: u32,
    /// A template OBJ instead of the icosphere (inside (−1, 1)³).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Result mesh (OBJ, written atomically).
    #[arg(long, default_value = "result.obj")]
    pub out: PathBuf,
    /// JSON report.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Per-step CSV: step, loss, soft_iou_mean.
    #[arg(long)]
    pub history: Option<PathBuf>,
    /// Write the final soft silhouettes as PNGs into this folder.
    #[arg(long, value_name = "DIR")]
    pub save_silhouettes: Option<PathBuf>,
    /// Write the processed target masks as PNGs into this folder.
    #[arg(long, value_name = "DIR")]
    pub save_masks: Option<PathBuf>,
    /// Reconstruction from a known mesh: render its silhouettes (σ 1e-6) on SoftRas's demo cameras
    /// (--elevations × --azimuths at --distance) and fit them; the report adds 3D metrics against it.
    #[arg(long, value_name = "OBJ", conflicts_with_all = ["image", "views", "views_csv"])]
    pub target_mesh: Option<PathBuf>,
    /// With --target-mesh: keep N of the views, indices round(i · total / N) [default: all].
    #[arg(long, requires = "target_mesh")]
    pub num_views: Option<usize>,
    /// With --target-mesh: camera elevations (outer loop), degrees.
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, default_value = "-60,-30,0,30,60", requires = "target_mesh")]
    pub elevations: Vec<f64>,
    /// With --target-mesh: camera azimuths (inner loop), degrees [default: 0, −15, …, −345].
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true, requires = "target_mesh")]
    pub azimuths: Option<Vec<f64>>,
    /// Engine: auto (GPU if an adapter exists, else the slow CPU reference), gpu or cpu.
    #[arg(long, default_value = "auto", value_parser = ["auto", "gpu", "cpu"])]
    pub backend: String,
    /// Read the loss back every this many steps.
    #[arg(long, default_value_t = FitParams::default().check_every)]
    pub check_every: u32,
}

impl FitArgs {
    pub fn params(&self) -> FitParams {
        FitParams {
            steps: self.steps,
            size: self.size.unwrap_or(128),
            sigma: self.sigma,
            sigma_end: self.sigma_end,
            lr: self.lr,
            lambda_lap: self.lambda_lap,
            lambda_flat: self.lambda_flat,
            lambda_depth: self.lambda_depth,
            thickness: self.thickness,
            view_angle: self.view_angle,
            distance: self.distance,
            template_level: self.template_level,
            check_every: self.check_every,
            ..FitParams::default()
        }
    }
}

/// One target view as described for the report.
#[derive(Clone, Debug, serde::Serialize)]
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

/// Refuses, before any allocation, a fit whose views × size² would not fit in memory.
fn check_fit_memory(views: usize, size: u32, backend: &str) -> Result<()> {
    if views > MAX_VIEWS {
        return Err(Error::invalid(format!("{views} views: at most {MAX_VIEWS} are fitted (lower --num-views or give fewer views)")));
    }
    let per = if backend == "cpu" { CPU_BYTES_PER_PIXEL } else { GPU_HOST_BYTES_PER_PIXEL };
    let bytes = (views as u64).saturating_mul(size as u64 * size as u64).saturating_mul(per);
    softras::files::check_memory(
        bytes,
        &format!("{views} view(s) at {size}² on the {} engine", if backend == "cpu" { "CPU" } else { "GPU" }),
        "--size or --num-views",
    )
}

/// Parses IMG:ELEV:AZIM (the path may itself contain colons).
fn parse_view(s: &str) -> Result<(PathBuf, f64, f64)> {
    let mut it = s.rsplitn(3, ':');
    let (az, el, file) = (it.next(), it.next(), it.next());
    let (Some(az), Some(el), Some(file)) = (az, el, file) else {
        return Err(Error::invalid(format!("--view {s:?}: expected IMG:ELEV:AZIM")));
    };
    let num = |t: &str, what: &str| {
        t.trim()
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| Error::invalid(format!("--view {s:?}: {what} {t:?} is not a number")))
    };
    Ok((PathBuf::from(file), num(el, "elevation")?, num(az, "azimuth")?))
}

/// Loads the targets (before any GPU work) and fixes the image size.
pub fn load_targets(a: &FitArgs, params: &mut FitParams) -> Result<(FitTarget, Vec<ViewInfo>)> {
    let has_views = !a.views.is_empty() || a.views_csv.is_some();
    if a.image.is_some() && has_views {
        return Err(Error::invalid("give either IMAGE (one picture, fitted from the front) or --view/--views, not both"));
    }
    let polarity = if a.invert { Polarity::Inverted } else { Polarity::Auto };
    let mut specs: Vec<(PathBuf, f64, f64, f64)> = Vec::new();
    for v in &a.views {
        let (file, el, az) = parse_view(v)?;
        specs.push((file, a.distance, el, az));
    }
    if let Some(csv) = &a.views_csv {
        for v in target::load_views_csv(csv)? {
            specs.push((v.file, v.distance, v.elevation, v.azimuth));
        }
    }
    let mut masks = Vec::new();
    let mut cams = Vec::new();
    let mut infos = Vec::new();
    if let Some(tm) = &a.target_mesh {
        let mesh = Mesh::load_obj(tm)?;
        let size = a.size.unwrap_or(64);
        params.size = size;
        let all = target_cameras(a)?;
        let keep = fit::keep_views(all.len(), a.num_views.unwrap_or(all.len()))?;
        check_fit_memory(keep.len(), size, &a.backend)?;
        let chosen: Vec<Camera> = keep.iter().map(|&i| all[i]).collect();
        let (mut engine, _) = softras::raster::make_engine(&a.backend)?;
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
        for c in &rendered.cameras {
            infos.push(ViewInfo { file: name.clone(), distance: c.distance, elevation: c.elevation, azimuth: c.azimuth });
        }
        (masks, cams) = (rendered.masks, rendered.cameras);
    } else if specs.is_empty() {
        let size = a.size.unwrap_or(128);
        params.size = size;
        check_fit_memory(1, size, &a.backend)?;
        let (mask, name) = match &a.image {
            Some(p) => (target::load_picture(p, size, polarity)?, p.display().to_string()),
            None => (target::picture_from_bytes(DEFAULT_TARGET, size, polarity, DEFAULT_TARGET_NAME)?, DEFAULT_TARGET_NAME.to_string()),
        };
        masks.extend_from_slice(&mask.values);
        cams.push(Camera::new(a.distance, 0.0, 0.0, a.view_angle)?);
        infos.push(ViewInfo { file: name, distance: a.distance, elevation: 0.0, azimuth: 0.0 });
    } else {
        let size = match a.size {
            Some(s) => s,
            None => {
                let (w, h) = target::file_image_dimensions(&specs[0].0)?;
                if w == h && w >= 2 { w } else { 128 }
            }
        };
        params.size = size;
        check_fit_memory(specs.len(), size, &a.backend)?;
        for (file, d, el, az) in &specs {
            let m = target::load_view(file, size)?;
            masks.extend_from_slice(&m.values);
            cams.push(Camera::new(*d, *el, *az, a.view_angle)?);
            infos.push(ViewInfo { file: file.display().to_string(), distance: *d, elevation: *el, azimuth: *az });
        }
    }
    *params = params.clone().for_views(cams.len());
    let names = infos.iter().map(|i| i.file.clone()).collect();
    Ok((FitTarget { size: params.size, cameras: cams, masks, names }, infos))
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
    let mut out = Vec::new();
    for &el in &a.elevations {
        for &z in &az {
            out.push(Camera::new(a.distance, el, z, a.view_angle)?);
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

/// Builds the engine for --backend.
pub fn engine(backend: &str, template: &Mesh, t: &FitTarget, p: &FitParams) -> Result<Box<dyn Fitter>> {
    let gpu = |ctx| -> Result<Box<dyn Fitter>> { Ok(Box::new(fit::gpu::GpuFitter::new(ctx, template, t, p)?)) };
    let cpu = || -> Result<Box<dyn Fitter>> {
        check_fit_memory(t.cameras.len(), t.size, "cpu")?;
        Ok(Box::new(fit::cpu::CpuFitter::new(template, t, p)?))
    };
    match backend {
        "gpu" => gpu(softras::raster::gpu::GpuContext::shared()?),
        "cpu" => cpu(),
        _ => match softras::raster::gpu::GpuContext::shared() {
            Ok(ctx) => gpu(ctx),
            Err(e) => {
                eprintln!("backend auto: no GPU adapter ({e}); using the CPU reference (slow)");
                cpu()
            }
        },
    }
}

fn save_pngs(dir: &Path, values: &[f32], size: u32, infos: &[ViewInfo]) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let npix = (size * size) as usize;
    for (k, _) in infos.iter().enumerate() {
        let m = target::Mask { width: size, height: size, values: values[k * npix..(k + 1) * npix].to_vec() };
        target::save_mask_png(&dir.join(format!("view_{k:03}.png")), &m)?;
    }
    Ok(())
}

/// Refuses, before any work, an output that is one of the inputs or another output, and an output
/// whose folder is missing or not writable. `fit_outputs`: the command writes --out, --report, --history
/// and the --save-* folders (`fit`; the viewer does not); `extra` adds the command's own outputs (the
/// viewer's --screenshot).
pub fn check_files(a: &FitArgs, fit_outputs: bool, extra: &[(&str, Option<&Path>)]) -> Result<()> {
    let mut f = softras::files::Files::new();
    f.input("IMAGE", a.image.as_deref()).input("--views", a.views_csv.as_deref());
    f.input("--target-mesh", a.target_mesh.as_deref()).input("--template", a.template.as_deref());
    for v in &a.views {
        if let Ok((file, _, _)) = parse_view(v) {
            f.input("--view", Some(&file));
        }
    }
    if let Some(csv) = &a.views_csv {
        // its errors are reported when the targets are loaded
        for v in target::load_views_csv(csv).unwrap_or_default() {
            f.input("a view of --views", Some(&v.file));
        }
    }
    if fit_outputs {
        f.output("--out", Some(&a.out)).output("--report", a.report.as_deref()).output("--history", a.history.as_deref());
        f.output_dir("--save-silhouettes", a.save_silhouettes.as_deref()).output_dir("--save-masks", a.save_masks.as_deref());
    }
    for (flag, p) in extra {
        f.output(flag, *p);
    }
    f.check()
}

pub fn run(a: FitArgs) -> Result<()> {
    check_files(&a, true, &[])?;
    let mut params = a.params();
    // validate everything we can before touching files or the GPU
    params.validate()?;
    let (target, infos) = load_targets(&a, &mut params)?;
    params.validate()?;
    let template = template(&a, &params, &target)?;
    let mut fitter = engine(&a.backend, &template, &target, &params)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        // Ctrl-C, SIGTERM and SIGHUP (ctrlc's `termination` feature) stop the fit, which writes the best
        // mesh; a second handler cannot be installed (tests call run twice): ignore that error
        let _ = ctrlc::set_handler(move || stop.store(true, Ordering::SeqCst));
    }
    eprintln!(
        "fitting {} view(s) at {}² with {} ({} vertices, {} faces), {} steps",
        infos.len(),
        params.size,
        fitter.describe(),
        template.vertices.len(),
        template.faces.len(),
        params.steps
    );
    let bar = indicatif::ProgressBar::new(params.steps as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise}]")
            .expect("static template")
            .progress_chars("=> "),
    );
    let t0 = std::time::Instant::now();
    let outcome = fit::run(fitter.as_mut(), &params, &stop, |s, _| {
        bar.set_position(s.step as u64);
        let sps = s.step as f64 / t0.elapsed().as_secs_f64().max(1e-9);
        bar.set_message(format!("loss {:.4} IoU {:.4} {:.1} steps/s", s.loss, s.soft_iou_mean, sps));
    })?;
    let seconds = t0.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if let Ending::Failed(msg) = &outcome.ending {
        // the engine is gone: save the best mesh from its host copy, nothing else can be evaluated
        return Err(match &outcome.best_vertices {
            Some(v) => {
                Mesh { vertices: v.clone(), faces: template.faces.clone() }.save_obj(&a.out)?;
                Error::invalid(format!(
                    "{msg}; the fit stopped after {} steps and the best mesh so far was written to {}",
                    outcome.steps,
                    a.out.display()
                ))
            }
            None => Error::invalid(format!("{msg}; the fit stopped before any mesh was kept, nothing was written")),
        });
    }
    // the mesh to write: the final one, or the best kept one when the fit did not end normally
    let best = outcome.ending != Ending::Done;
    let vertices = fitter.vertices(best)?;
    let result = Mesh { vertices, faces: template.faces.clone() };
    let sigma_final = params.sigma_at(params.steps.saturating_sub(1));
    let (sil, ious) = fitter.evaluate(best, sigma_final)?;
    let npix = (params.size * params.size) as usize;
    let hard: Vec<f64> =
        (0..infos.len()).map(|k| target::hard_iou(&sil[k * npix..(k + 1) * npix], &target.masks[k * npix..(k + 1) * npix])).collect();
    if result.vertices.iter().any(|v| !v.is_finite()) {
        return Err(Error::invalid("the fit produced non-finite vertices; nothing was written (lower --lr)"));
    }
    result.save_obj(&a.out)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    if let Some(p) = &a.report {
        let views: Vec<_> = infos
            .iter()
            .zip(ious.iter().zip(&hard))
            .map(|(i, (s, h))| serde_json::json!({"file": i.file, "distance": i.distance, "elevation": i.elevation, "azimuth": i.azimuth, "soft_iou": s, "hard_iou": h}))
            .collect();
        let mut report = serde_json::json!({
            "steps": outcome.steps,
            "seconds": seconds,
            "steps_per_second": outcome.steps as f64 / seconds.max(1e-9),
            "loss": outcome.last.map(|s| s.loss),
            "soft_iou_mean": mean(&ious),
            "hard_iou_mean": mean(&hard),
            "views": views,
            "params": serde_json::json!({
                "fit": params, "backend": fitter.describe(), "template": a.template.as_ref().map(|p| p.display().to_string())
                    .unwrap_or_else(|| format!("icosphere level {} radius {}", params.template_level, params.template_radius)),
                "invert": a.invert, "final_lr": outcome.lr, "rollbacks": outcome.rollbacks, "ending": outcome.ending,
            }),
        });
        if let Some(tm) = &a.target_mesh {
            let target_mesh = Mesh::load_obj(tm)?;
            if let Some(w) = softras::metrics::watertight_warning(&target_mesh, &tm.display().to_string()) {
                eprintln!("warning: {w}");
            }
            // the fit is done and written: metrics that cannot be computed are a warning, not a failure
            match softras::metrics::compare_named(&result, &target_mesh, ["the result", &tm.display().to_string()]) {
                Ok(m) => {
                    eprintln!("3D: voxel IoU {:.4}, Chamfer {:.6}, F-score {:.4}", m.voxel_iou, m.chamfer, m.fscore);
                    report["metrics"] = serde_json::to_value(m).expect("plain data");
                }
                Err(e) => eprintln!("warning: no 3D metrics in the report: {e}"),
            }
            report["params"]["target_mesh"] = serde_json::json!(tm.display().to_string());
        }
        softras::error::write_atomic(p, serde_json::to_string_pretty(&report).expect("plain data").as_bytes())?;
    }
    if let Some(p) = &a.history {
        let mut s = String::from("step,loss,soft_iou_mean\n");
        for h in &outcome.history {
            s.push_str(&format!("{},{},{}\n", h.step, h.loss, h.soft_iou_mean));
        }
        softras::error::write_atomic(p, s.as_bytes())?;
    }
    if let Some(d) = &a.save_silhouettes {
        save_pngs(d, &sil, params.size, &infos)?;
    }
    if let Some(d) = &a.save_masks {
        save_pngs(d, &target.masks, params.size, &infos)?;
    }
    eprintln!(
        "{} steps in {seconds:.1} s ({:.1} steps/s): soft IoU {:.4}, hard IoU {:.4} → {}",
        outcome.steps,
        outcome.steps as f64 / seconds.max(1e-9),
        mean(&ious),
        mean(&hard),
        a.out.display()
    );
    match outcome.ending {
        Ending::Done => Ok(()),
        Ending::Interrupted => Err(Error::invalid(format!(
            "interrupted after {} steps; the best mesh so far was written to {}",
            outcome.steps,
            a.out.display()
        ))),
        Ending::Diverged(msg) | Ending::Failed(msg) => {
            Err(Error::invalid(format!("{msg}; the best mesh so far was written to {}", a.out.display())))
        }
    }
}
