//! `softras bench`: forward and forward+backward times, GPU against the CPU reference, in one run.
use clap::Args;
use softras::raster::cpu;
use softras::raster::gpu::{GpuContext, GpuRaster};
use softras::raster::{RasterSettings, iou_loss_and_grad};
use softras::{Camera, Mesh};
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// What to time: the rasterizer (forward/backward table) or whole fitting steps.
    #[arg(default_value = "raster", value_parser = ["raster", "fit", "viewer"])]
    what: String,
    /// Fit benchmark: timed steps per case.
    #[arg(long, default_value_t = 30)]
    fit_steps: u32,
    /// Viewer benchmark: steps per case, and the simulated frame rate of the window.
    #[arg(long, default_value_t = 300)]
    viewer_steps: u32,
    #[arg(long, default_value_t = 60.0)]
    fps: f64,
    /// Icosphere levels to time.
    #[arg(long, value_delimiter = ',', default_value = "3,4,5,6")]
    levels: Vec<u32>,
    /// Image sizes to time.
    #[arg(long, value_delimiter = ',', default_value = "64,128,256,512,1024")]
    sizes: Vec<u32>,
    /// Timed repetitions per case (the median is reported).
    #[arg(long, default_value_t = 7)]
    reps: usize,
    /// Skip the CPU reference where faces × pixels exceeds this (0: never run it).
    #[arg(long, default_value_t = 1e11)]
    cpu_budget: f64,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct Row {
    level: u32,
    faces: usize,
    size: u32,
    gpu_forward_ms: f64,
    gpu_forward_backward_ms: f64,
    cpu_forward_ms: Option<f64>,
    cpu_forward_backward_ms: Option<f64>,
    /// CPU time / GPU time for forward + backward.
    speedup: Option<f64>,
}

fn median_ms(reps: usize, mut f: impl FnMut() -> softras::Result<()>) -> softras::Result<f64> {
    f()?; // warm-up
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let s = Instant::now();
            f().map(|_| s.elapsed().as_secs_f64() * 1e3)
        })
        .collect::<softras::Result<_>>()?;
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

/// Checks every number before any allocation or GPU work.
fn validate(a: &BenchArgs) -> softras::Result<()> {
    use softras::Error;
    if !(a.fps.is_finite() && (1.0..=1000.0).contains(&a.fps)) {
        return Err(Error::invalid(format!("--fps must be a number in [1, 1000], got {}", a.fps)));
    }
    let max = softras::raster::MAX_IMAGE_SIZE;
    if a.sizes.is_empty() || a.levels.is_empty() {
        return Err(Error::invalid("--sizes and --levels need at least one value each"));
    }
    if let Some(s) = a.sizes.iter().find(|&&s| !(2..=max).contains(&s)) {
        return Err(Error::invalid(format!("--sizes: {s} is out of range 2..={max}")));
    }
    if let Some(l) = a.levels.iter().find(|&&l| l > softras::mesh::MAX_ICOSPHERE_LEVEL) {
        return Err(Error::invalid(format!("--levels: {l} is out of range 0..={}", softras::mesh::MAX_ICOSPHERE_LEVEL)));
    }
    if !(1..=1000).contains(&a.reps) {
        return Err(Error::invalid(format!("--reps must be in 1..=1000, got {}", a.reps)));
    }
    if a.fit_steps == 0 || a.viewer_steps == 0 {
        return Err(Error::invalid("--fit-steps and --viewer-steps must be at least 1"));
    }
    if !(a.cpu_budget.is_finite() && a.cpu_budget >= 0.0) {
        return Err(Error::invalid(format!("--cpu-budget must be finite and ≥ 0, got {}", a.cpu_budget)));
    }
    // the raster table keeps per pixel a target and ∂L/∂S (f64), the CPU forward pass (2 × f64) and
    // ∂L/∂S in f32, whichever engine is timed
    let largest = a.sizes.iter().map(|&s| s as u64 * s as u64).max().unwrap_or(0);
    softras::files::check_memory(largest * 36, &format!("an image of {}²", (largest as f64).sqrt()), "--sizes")?;
    Ok(())
}

pub fn run(a: BenchArgs) -> softras::Result<()> {
    validate(&a)?;
    if a.what == "viewer" {
        return run_viewer(&a);
    }
    if a.what == "fit" {
        return run_fit(&a);
    }
    let ctx = GpuContext::shared()?;
    let mut gpu = GpuRaster::new(ctx.clone())?;
    let cam = Camera::new(2.732, 30.0, 0.0, 30.0)?;
    let mut rows = Vec::new();
    if !a.json {
        println!("adapter: {}", ctx.describe());
        println!("camera 2.732,30,0, view angle 30, sigma 1e-4; median of {} runs; times in ms", a.reps);
        println!(
            "{:>5} {:>6} {:>5} {:>10} {:>10} {:>10} {:>10} {:>9}",
            "level", "faces", "size", "gpu fwd", "gpu f+b", "cpu fwd", "cpu f+b", "cpu/gpu"
        );
    }
    for &level in &a.levels {
        let mesh = Mesh::icosphere(level)?;
        for &size in &a.sizes {
            let s = RasterSettings::square(size, 1e-4);
            let cams = [cam];
            // ∂L/∂S of an IoU loss against a disc, so the backward pass does real work everywhere.
            let mask: Vec<f64> = (0..s.pixels())
                .map(|k| {
                    let (x, y) = softras::raster::pixel_center((k % size as usize) as i64, (k / size as usize) as i64, size, size);
                    if x * x + y * y < 0.25 { 1.0 } else { 0.0 }
                })
                .collect();
            let fwd = cpu::forward(&mesh, &cams, &s);
            let (_, v_sil) = iou_loss_and_grad(&fwd.sil, &mask);
            let v_sil32: Vec<f32> = v_sil.iter().map(|&x| x as f32).collect();
            gpu.run(&mesh, &cams, &s, Some(&v_sil32))?;
            let gf = median_ms(a.reps, || gpu.submit(false))?;
            let gfb = median_ms(a.reps, || gpu.submit(true))?;
            let cpu_ok = (mesh.faces.len() as f64) * (s.pixels() as f64) <= a.cpu_budget;
            let (cf, cfb) = if cpu_ok {
                let r = a.reps.min(3);
                let cf = median_ms(r, || {
                    std::hint::black_box(cpu::forward(&mesh, &cams, &s));
                    Ok(())
                })?;
                let cfb = median_ms(r, || {
                    let f = cpu::forward(&mesh, &cams, &s);
                    std::hint::black_box(cpu::backward(&mesh, &cams, &s, &f, &v_sil));
                    Ok(())
                })?;
                (Some(cf), Some(cfb))
            } else {
                (None, None)
            };
            let row = Row {
                level,
                faces: mesh.faces.len(),
                size,
                gpu_forward_ms: gf,
                gpu_forward_backward_ms: gfb,
                cpu_forward_ms: cf,
                cpu_forward_backward_ms: cfb,
                speedup: cfb.map(|c| c / gfb),
            };
            if !a.json {
                let o = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
                println!(
                    "{:>5} {:>6} {:>5} {:>10.2} {:>10.2} {:>10} {:>10} {:>9}",
                    row.level,
                    row.faces,
                    row.size,
                    row.gpu_forward_ms,
                    row.gpu_forward_backward_ms,
                    o(row.cpu_forward_ms),
                    o(row.cpu_forward_backward_ms),
                    row.speedup.map_or("-".into(), |x| format!("{x:.1}×"))
                );
            }
            rows.push(row);
        }
    }
    if a.json {
        let out = serde_json::json!({
            "adapter": ctx.describe(),
            "camera": {"distance": 2.732, "elevation": 30.0, "azimuth": 0.0, "view_angle": 30.0},
            "sigma": 1e-4,
            "reps": a.reps,
            "rows": rows,
        });
        println!("{}", serde_json::to_string_pretty(&out).expect("plain data serializes"));
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct FitRow {
    case: String,
    views: usize,
    size: u32,
    vertices: usize,
    faces: usize,
    gpu_ms_per_step: f64,
    gpu_steps_per_second: f64,
    cpu_ms_per_step: f64,
    /// CPU reference time per step / GPU time per step.
    speedup: f64,
}

/// Time per step of `fitter`: a warm-up, then `n` steps and one readback (which waits for them).
fn ms_per_step(f: &mut dyn softras::fit::Fitter, p: &softras::fit::FitParams, n: u32) -> softras::Result<f64> {
    let live = p.live();
    for _ in 0..2 {
        f.step(&live)?;
    }
    f.drain_stats()?;
    let t = Instant::now();
    for _ in 0..n {
        f.step(&live)?;
    }
    f.drain_stats()?;
    Ok(t.elapsed().as_secs_f64() * 1e3 / n as f64)
}

fn run_fit(a: &BenchArgs) -> softras::Result<()> {
    use softras::fit::{FitParams, FitTarget, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};
    let ctx = GpuContext::shared()?;
    let mut gpu = GpuRaster::new(ctx.clone())?;
    let shape = softras::shapes::animal();
    let mut rows = Vec::new();
    for (case, cams, size, level) in [
        ("SoftRas demo: 120 views at 64²", Camera::softras_demo_views(15.0), 64u32, 4u32),
        ("120 views at 64², 1280 faces", Camera::softras_demo_views(15.0), 64, 3),
        ("1 view at 256²", vec![Camera::new(2.732, 0.0, 0.0, 15.0)?], 256, 4),
    ] {
        let p = FitParams { size, template_level: level, ..FitParams::default() };
        let target = FitTarget::rendered(&mut gpu, &shape, cams.clone(), size, "animal")?;
        let template = icosphere_template(p.template_level, p.template_radius)?;
        let mut g = GpuFitter::new(ctx.clone(), &template, &target, &p)?;
        let gms = ms_per_step(&mut g, &p, a.fit_steps)?;
        let mut c = CpuFitter::new(&template, &target, &p)?;
        let cms = ms_per_step(&mut c, &p, 2)?;
        rows.push(FitRow {
            case: case.into(),
            views: cams.len(),
            size,
            vertices: template.vertices.len(),
            faces: template.faces.len(),
            gpu_ms_per_step: gms,
            gpu_steps_per_second: 1e3 / gms,
            cpu_ms_per_step: cms,
            speedup: cms / gms,
        });
    }
    if a.json {
        let out = serde_json::json!({"adapter": ctx.describe(), "target": "softras::shapes::animal", "rows": rows});
        println!("{}", serde_json::to_string_pretty(&out).expect("plain data serializes"));
        return Ok(());
    }
    println!("adapter: {}", ctx.describe());
    println!("target: the animal shape; default settings (σ 1e-4, template radius 0.5); median-free: mean of {} steps", a.fit_steps);
    println!("{:<32} {:>6} {:>12} {:>10} {:>14} {:>9}", "case", "faces", "gpu ms/step", "steps/s", "cpu ms/step", "cpu/gpu");
    for r in &rows {
        println!(
            "{:<32} {:>6} {:>12.2} {:>10.1} {:>14.1} {:>8.1}×",
            r.case, r.faces, r.gpu_ms_per_step, r.gpu_steps_per_second, r.cpu_ms_per_step, r.speedup
        );
    }
    Ok(())
}

#[derive(serde::Serialize)]
struct ViewerRow {
    case: String,
    steps: u32,
    /// `softras fit`'s loop (`fit::run`, a readback every 10 steps).
    fit_steps_per_second: f64,
    /// The viewer's engine (`Session::frame` once per simulated frame, automatic steps per frame).
    viewer_steps_per_second: f64,
    ratio: f64,
    /// Longest and median time one `Session::frame` call took (what a frame pays for the fit).
    frame_call_max_ms: f64,
    frame_call_median_ms: f64,
    final_batch: u32,
}

/// The viewer's fit loop without a window: `Session::frame` once per frame at `--fps`, the rest of the
/// frame spent sleeping (as a window waiting for vsync would), against `fit::run` on the same fit.
fn run_viewer(a: &BenchArgs) -> softras::Result<()> {
    use softras::fit::{FitParams, gpu::GpuFitter, icosphere_template};
    use softras::session::{Session, single_target};
    let ctx = GpuContext::shared()?;
    let frame = std::time::Duration::from_secs_f64(1.0 / a.fps);
    let mut rows = Vec::new();
    let mut gpu = GpuRaster::new(ctx.clone())?;
    let shape = softras::shapes::animal();
    let cases: Vec<(&str, u32, u32, Option<Vec<Camera>>)> = vec![
        ("default target, 128², level 4 (the viewer's default)", 128, 4, None),
        ("default target, 256², level 5", 256, 5, None),
        ("animal, 120 views at 64², level 4", 64, 4, Some(Camera::softras_demo_views(15.0))),
    ];
    for (case, size, level, cams) in cases {
        let params = FitParams { size, template_level: level, steps: a.viewer_steps, ..FitParams::default() };
        let target = match cams {
            None => {
                let mask = softras::target::picture_from_bytes(softras::DEFAULT_TARGET, size, softras::target::Polarity::Auto, "default")?;
                single_target(&mask, &params)?
            }
            Some(cams) => softras::fit::FitTarget::rendered(&mut gpu, &shape, cams, size, "animal")?,
        };
        let template = icosphere_template(params.template_level, params.template_radius)?;
        // the same work both ways: a warm-up fit first (pipelines, allocations)
        let stop = std::sync::atomic::AtomicBool::new(false);
        let warm = FitParams { steps: params.steps.min(20), ..params.clone() };
        let mut f = GpuFitter::new(ctx.clone(), &template, &target, &warm)?;
        softras::fit::run(&mut f, &warm, &stop, |_, _| {})?;
        let mut f = GpuFitter::new(ctx.clone(), &template, &target, &params)?;
        let t = Instant::now();
        softras::fit::run(&mut f, &params, &stop, |_, _| {})?;
        let fit_rate = params.steps as f64 / t.elapsed().as_secs_f64();
        let mut s = Session::new(ctx.clone(), params.clone(), target, Some(template))?;
        s.auto_steps = true;
        let mut calls = Vec::new();
        let t = Instant::now();
        let mut next = t;
        while s.done() < params.steps {
            let c = Instant::now();
            s.frame(false)?;
            calls.push(c.elapsed().as_secs_f64() * 1e3);
            next += frame;
            if let Some(wait) = next.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            } else {
                next = Instant::now();
            }
        }
        let viewer_rate = s.done() as f64 / t.elapsed().as_secs_f64();
        s.finish()?;
        calls.sort_by(f64::total_cmp);
        rows.push(ViewerRow {
            case: case.into(),
            steps: s.done(),
            fit_steps_per_second: fit_rate,
            viewer_steps_per_second: viewer_rate,
            ratio: viewer_rate / fit_rate,
            frame_call_max_ms: *calls.last().unwrap_or(&0.0),
            frame_call_median_ms: calls.get(calls.len() / 2).copied().unwrap_or(0.0),
            final_batch: s.pacer.batch,
        });
    }
    if a.json {
        let out = serde_json::json!({"adapter": ctx.describe(), "fps": a.fps, "rows": rows});
        println!("{}", serde_json::to_string_pretty(&out).expect("plain data serializes"));
        return Ok(());
    }
    println!("adapter: {}", ctx.describe());
    println!("viewer engine at {} simulated frames/s (automatic steps per frame) against `fit`'s loop, same fit, one run", a.fps);
    println!(
        "{:<52} {:>6} {:>10} {:>10} {:>7} {:>12} {:>12} {:>6}",
        "case", "steps", "fit st/s", "view st/s", "ratio", "frame max ms", "frame med ms", "batch"
    );
    for r in &rows {
        println!(
            "{:<52} {:>6} {:>10.1} {:>10.1} {:>6.0}% {:>12.2} {:>12.2} {:>6}",
            r.case,
            r.steps,
            r.fit_steps_per_second,
            r.viewer_steps_per_second,
            100.0 * r.ratio,
            r.frame_call_max_ms,
            r.frame_call_median_ms,
            r.final_batch
        );
    }
    Ok(())
}
