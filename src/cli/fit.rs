//! `softras fit`: the fit with a progress bar, and its outputs (the mesh, the JSON report, the history,
//! the silhouettes and masks).
use super::args::{FitArgs, check_files};
use super::targets::{ViewInfo, load_targets, template};
use serde::Serialize;
use softras::fit::{self, Ending, FitParams};
use softras::metrics::Metrics;
use softras::{Error, Mesh, Result, target};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The JSON report of `--report` (written with its keys sorted).
#[derive(Serialize)]
struct Report<'a> {
    /// Steps done (fewer than asked when the fit was stopped).
    steps: u32,
    seconds: f64,
    steps_per_second: f64,
    /// The loss at the last check; null if none came.
    loss: Option<f64>,
    soft_iou_mean: f64,
    hard_iou_mean: f64,
    views: Vec<ViewReport<'a>>,
    params: ReportParams<'a>,
    /// 3D metrics against --target-mesh, when given and computable.
    #[serde(skip_serializing_if = "Option::is_none")]
    metrics: Option<Metrics>,
}

/// One view of the report: where it came from, its camera, and the final IoUs.
#[derive(Serialize)]
struct ViewReport<'a> {
    file: &'a str,
    distance: f64,
    elevation: f64,
    azimuth: f64,
    /// Only when orthographic: {"kind": "orthographic", "width": W}.
    #[serde(skip_serializing_if = "softras::camera::Projection::is_perspective")]
    projection: softras::camera::Projection,
    /// The view's weight in the loss (1 unless the views CSV gives one).
    weight: f32,
    soft_iou: f64,
    hard_iou: f64,
}

/// The settings of the fit and how it went.
#[derive(Serialize)]
struct ReportParams<'a> {
    fit: &'a FitParams,
    /// The engine's description ("gpu: <adapter>" or "cpu reference").
    backend: String,
    /// The --template path, or what the default start was made from ([`fit::depth::describe_start`]).
    template: String,
    invert: bool,
    /// The learning rate at the end (halved at each roll-back).
    final_lr: f64,
    rollbacks: u32,
    ending: &'a Ending,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_mesh: Option<String>,
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

pub fn run(a: FitArgs) -> Result<()> {
    check_files(&a, true, &[])?;
    let mut params = a.params();
    // validate everything we can before touching files or the GPU
    params.validate()?;
    let (target, infos, _) = load_targets(&a, &mut params)?;
    params.validate()?;
    let template = template(&a, &params, &target)?;
    let mut fitter = a.backend.fitter(&template, &target, &params)?;
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
                Mesh { vertices: v.clone(), faces: template.faces.clone() }.save(&a.out)?;
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
    result.save(&a.out)?;
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    if let Some(p) = &a.report {
        let views = infos
            .iter()
            .zip(ious.iter().zip(&hard))
            .zip(target.cameras.iter().zip(&target.weights))
            .map(|((i, (&soft_iou, &hard_iou)), (cam, &weight))| ViewReport {
                file: &i.file,
                distance: i.distance,
                elevation: i.elevation,
                azimuth: i.azimuth,
                projection: cam.projection,
                weight,
                soft_iou,
                hard_iou,
            })
            .collect();
        let mut report = Report {
            steps: outcome.steps,
            seconds,
            steps_per_second: outcome.steps as f64 / seconds.max(1e-9),
            loss: outcome.last.map(|s| s.loss),
            soft_iou_mean: mean(&ious),
            hard_iou_mean: mean(&hard),
            views,
            params: ReportParams {
                fit: &params,
                backend: fitter.describe(),
                template: a
                    .template
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| fit::depth::describe_start(&params, &target, &template)),
                invert: a.invert,
                final_lr: outcome.lr,
                rollbacks: outcome.rollbacks,
                ending: &outcome.ending,
                target_mesh: None,
            },
            metrics: None,
        };
        if let Some(tm) = &a.target_mesh {
            let target_mesh = Mesh::load_obj(tm)?;
            if let Some(w) = softras::metrics::watertight_warning(&target_mesh, &tm.display().to_string()) {
                eprintln!("warning: {w}");
            }
            // the fit is done and written: metrics that cannot be computed are a warning, not a failure
            match softras::metrics::compare_named(&result, &target_mesh, ["the result", &tm.display().to_string()]) {
                Ok(m) => {
                    eprintln!("3D: voxel IoU {:.4}, Chamfer {:.6}, F-score {:.4}", m.voxel_iou, m.chamfer, m.fscore);
                    report.metrics = Some(m);
                }
                Err(e) => eprintln!("warning: no 3D metrics in the report: {}", super::args::message(&e)),
            }
            report.params.target_mesh = Some(tm.display().to_string());
        }
        softras::error::write_atomic(p, super::sorted_json(&report).as_bytes())?;
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
