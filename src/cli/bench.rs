//! `softras bench`: GPU against the CPU reference, measured in one run: the rasterizer's forward and
//! forward+backward times (`raster`), whole fitting steps (`fit`), or the viewer's fit loop against
//! `fit`'s (`viewer`); a table, or JSON with `--json`.
use clap::Args;
use serde::Serialize;
use softras::fit::reference::iou_loss_and_grad;
use softras::gpu::GpuContext;
use softras::raster::RasterSettings;
use softras::raster::cpu;
use softras::raster::gpu::GpuRaster;
use softras::{Camera, Mesh};
use std::time::Instant;

#[derive(Args)]
pub struct BenchArgs {
    /// What to time: the rasterizer (forward/backward table), whole fitting steps, or the viewer's fit loop
    /// against `fit`'s.
    #[arg(value_enum, default_value = "raster")]
    what: What,
    /// Fit benchmark: timed steps per case.
    #[arg(long, default_value_t = 30)]
    fit_steps: u32,
    /// Viewer benchmark: steps per case.
    #[arg(long, default_value_t = 300)]
    viewer_steps: u32,
    /// Viewer benchmark: the simulated frame rate of the window.
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
    /// Raster benchmark: also print how the face passes share out their work per case: invocations and
    /// the longest pixel loop of one invocation, with one invocation per face (before work items) and
    /// per work item (now). Always in the JSON.
    #[arg(long)]
    work: bool,
    /// Raster benchmark: pixels per work item of the face passes (default: 1024 on a GPU from 256² on;
    /// below 256² and on a CPU adapter such as lavapipe every face is one item, 1073741824).
    #[arg(long)]
    chunk: Option<u32>,
    /// `bench fit` only: time each GPU pass of the SoftRas demo's step (120 views at 64², level 4), with
    /// timestamps where the adapter has them, else one submission per pass; and the fitter's setup time
    /// with and without compiled pipelines.
    #[arg(long)]
    passes: bool,
    /// `bench fit --passes`: the optimizer of the timed step (`bench fit` times both).
    #[arg(long, value_enum, default_value = "adam")]
    optimizer: softras::fit::Optimizer,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum What {
    Raster,
    Fit,
    Viewer,
}

/// `bench --json` (raster; printed with its keys sorted, as all three).
#[derive(Serialize)]
struct RasterReport {
    adapter: String,
    camera: CameraReport,
    sigma: f64,
    reps: usize,
    rows: Vec<Row>,
}

/// The camera of the raster benchmark.
#[derive(Serialize)]
struct CameraReport {
    distance: f64,
    elevation: f64,
    azimuth: f64,
    view_angle: f64,
}

#[derive(Serialize)]
struct Row {
    level: u32,
    faces: usize,
    size: u32,
    /// Wall time of a submission and its wait (no readback).
    gpu_forward_ms: f64,
    gpu_forward_backward_ms: f64,
    /// The passes' own times summed (GPU timestamps if `timestamps`, else one submission per pass),
    /// without the accumulator clear.
    gpu_forward_passes_ms: f64,
    gpu_forward_backward_passes_ms: f64,
    /// Reading S back to the host, on its own.
    readback_ms: f64,
    /// Whether the pass times come from GPU timestamps.
    timestamps: bool,
    /// Σ over faces of the pixels of its grown range: the (face, pixel) pairs the face passes visit.
    covered_pixels: u64,
    /// `gpu_forward_backward_passes_ms` per covered pixel, in ns.
    ns_per_covered_pixel: f64,
    /// How the face passes share out the work (see `--work`).
    work: softras::raster::gpu::Work,
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
    if a.passes && a.what != What::Fit {
        return Err(Error::invalid("--passes applies to `bench fit` only"));
    }
    if (a.work || a.chunk.is_some()) && a.what != What::Raster {
        return Err(Error::invalid("--work and --chunk apply to `bench` (raster) only"));
    }
    if let Some(c) = a.chunk.filter(|c| !(1..=softras::raster::gpu::WHOLE_FACES).contains(c)) {
        return Err(Error::invalid(format!("--chunk must be in 1..={}, got {c}", softras::raster::gpu::WHOLE_FACES)));
    }
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
    match a.what {
        What::Viewer => return run_viewer(&a),
        What::Fit => return run_fit(&a),
        What::Raster => {}
    }
    let ctx = GpuContext::shared()?;
    let mut gpu = GpuRaster::new(ctx.clone())?;
    if let Some(c) = a.chunk {
        gpu.set_chunk(c);
    }
    let cam = Camera::new(2.732, 30.0, 0.0, 30.0)?;
    let mut rows = Vec::new();
    if !a.json {
        println!("adapter: {}", ctx.describe());
        println!("camera 2.732,30,0, view angle 30, sigma 1e-4; median of {} runs; times in ms", a.reps);
        println!(
            "gpu fwd, gpu f+b: one submission and its wait (no readback); fwd pass, f+b pass: the passes' own times summed ({}), \
             without the accumulator clear; readback: S to the host; ns/cov px: f+b pass per covered pixel (Σ of the faces' grown ranges)",
            if ctx.has_timestamps() { "GPU timestamps" } else { "no timestamps on this adapter: one submission per pass" }
        );
        println!(
            "{:>5} {:>6} {:>5} {:>10} {:>10} {:>10} {:>10} {:>9} {:>9} {:>10} {:>10} {:>9}",
            "level",
            "faces",
            "size",
            "gpu fwd",
            "gpu f+b",
            "fwd pass",
            "f+b pass",
            "readback",
            "ns/cov px",
            "cpu fwd",
            "cpu f+b",
            "cpu/gpu"
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
            let pass_ms = |backward: bool| -> softras::Result<f64> {
                let mut t = Vec::with_capacity(a.reps.max(1));
                for _ in 0..a.reps.max(1) {
                    let passes = gpu.profile(backward)?;
                    t.push(passes.iter().filter(|(name, _)| *name != "clear acc").map(|(_, d)| d.as_secs_f64() * 1e3).sum::<f64>());
                }
                t.sort_by(f64::total_cmp);
                Ok(t[t.len() / 2])
            };
            let pf = pass_ms(false)?;
            let pfb = pass_ms(true)?;
            let buffers = gpu.buffers().expect("ran");
            let readback = median_ms(a.reps, || ctx.read(&buffers.sil).map(|_| ()))?;
            let work = buffers.work(&ctx)?;
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
                gpu_forward_passes_ms: pf,
                gpu_forward_backward_passes_ms: pfb,
                readback_ms: readback,
                timestamps: ctx.has_timestamps(),
                covered_pixels: work.covered,
                ns_per_covered_pixel: pfb * 1e6 / work.covered.max(1) as f64,
                work,
                cpu_forward_ms: cf,
                cpu_forward_backward_ms: cfb,
                speedup: cfb.map(|c| c / gfb),
            };
            if !a.json {
                let o = |v: Option<f64>| v.map_or("-".to_string(), |x| format!("{x:.2}"));
                println!(
                    "{:>5} {:>6} {:>5} {:>10.2} {:>10.2} {:>10.2} {:>10.2} {:>9.2} {:>9.3} {:>10} {:>10} {:>9}",
                    row.level,
                    row.faces,
                    row.size,
                    row.gpu_forward_ms,
                    row.gpu_forward_backward_ms,
                    row.gpu_forward_passes_ms,
                    row.gpu_forward_backward_passes_ms,
                    row.readback_ms,
                    row.ns_per_covered_pixel,
                    o(row.cpu_forward_ms),
                    o(row.cpu_forward_backward_ms),
                    row.speedup.map_or("-".into(), |x| format!("{x:.1}×"))
                );
            }
            rows.push(row);
        }
    }
    if a.work && !a.json {
        println!();
        println!("work of the face passes (forward, backward): one invocation per (face, view) walking its whole grown range,");
        println!("as before work items, against one per work item (a piece of at most `chunk` pixels of a face's range)");
        println!(
            "{:>5} {:>6} {:>5} {:>12} | {:>9} {:>12} | {:>9} {:>6} {:>12}",
            "level", "faces", "size", "covered px", "per face", "longest loop", "items", "chunk", "longest loop"
        );
        for r in &rows {
            let w = &r.work;
            println!(
                "{:>5} {:>6} {:>5} {:>12} | {:>9} {:>12} | {:>9} {:>6} {:>12}",
                r.level, r.faces, r.size, w.covered, w.slots, w.longest_face, w.items, w.chunk, w.longest_item
            );
        }
    }
    if a.json {
        let out = RasterReport {
            adapter: ctx.describe(),
            camera: CameraReport { distance: 2.732, elevation: 30.0, azimuth: 0.0, view_angle: 30.0 },
            sigma: 1e-4,
            reps: a.reps,
            rows,
        };
        println!("{}", super::sorted_json(&out));
    }
    Ok(())
}

/// `bench fit --json`.
#[derive(Serialize)]
struct FitReport {
    adapter: String,
    target: &'static str,
    rows: Vec<FitRow>,
}

#[derive(Serialize)]
struct FitRow {
    case: String,
    optimizer: softras::fit::Optimizer,
    /// Large steps: CG iterations of the last step's two solves (x = M⁻¹u, g_u = M⁻¹g_x).
    cg_iterations: Option<[u32; 2]>,
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
    use softras::fit::large_steps::default_lr;
    use softras::fit::{FitParams, FitTarget, Optimizer, cpu::CpuFitter, gpu::GpuFitter, icosphere_template};
    if a.passes {
        return run_passes(a);
    }
    let ctx = GpuContext::shared()?;
    let shape = softras::shapes::animal();
    let mut rows = Vec::new();
    for (case, cams, size, level) in [
        ("SoftRas demo: 120 views at 64²", Camera::softras_demo_views(15.0), 64u32, 4u32),
        ("120 views at 64², 1280 faces", Camera::softras_demo_views(15.0), 64, 3),
        ("1 view at 256²", vec![Camera::new(2.732, 0.0, 0.0, 15.0)?], 256, 4),
    ] {
        // the target's renderer is dropped before the fitter runs: on lavapipe, a rasterizer kept alive
        // with its buffers made every step of the 120-view case 3× slower (397 against 133 ms)
        let target = FitTarget::rendered(&mut GpuRaster::new(ctx.clone())?, &shape, cams.clone(), size, "animal")?;
        for optimizer in [Optimizer::Adam, Optimizer::LargeSteps] {
            let p = FitParams { size, template_level: level, optimizer, lr: default_lr(optimizer), ..FitParams::default() };
            let template = icosphere_template(p.template_level, p.template_radius)?;
            let mut g = GpuFitter::new(ctx.clone(), &template, &target, &p)?;
            let gms = ms_per_step(&mut g, &p, a.fit_steps)?;
            let cg_iterations = g.large_steps_state()?.map(|s| s.solves.map(|(i, _)| i));
            let mut c = CpuFitter::new(&template, &target, &p)?;
            let cms = ms_per_step(&mut c, &p, 2)?;
            rows.push(FitRow {
                case: case.into(),
                optimizer,
                cg_iterations,
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
    }
    if a.json {
        let out = FitReport { adapter: ctx.describe(), target: "softras::shapes::animal", rows };
        println!("{}", super::sorted_json(&out));
        return Ok(());
    }
    println!("adapter: {}", ctx.describe());
    println!("target: the animal shape; default settings (σ 1e-4, template radius 0.5); median-free: mean of {} steps", a.fit_steps);
    println!(
        "{:<32} {:<11} {:>6} {:>12} {:>10} {:>14} {:>9} {:>8}",
        "case", "optimizer", "faces", "gpu ms/step", "steps/s", "cpu ms/step", "cpu/gpu", "cg iters"
    );
    for r in &rows {
        let name = match r.optimizer {
            Optimizer::Adam => "adam",
            Optimizer::LargeSteps => "large-steps",
        };
        let iters = r.cg_iterations.map(|[x, g]| format!("{x}+{g}")).unwrap_or_default();
        println!(
            "{:<32} {:<11} {:>6} {:>12.2} {:>10.1} {:>14.1} {:>8.1}× {:>8}",
            r.case, name, r.faces, r.gpu_ms_per_step, r.gpu_steps_per_second, r.cpu_ms_per_step, r.speedup, iters
        );
    }
    Ok(())
}

/// `bench fit --passes --json`.
#[derive(Serialize)]
struct PassesReport {
    adapter: String,
    timing: &'static str,
    steps: u32,
    /// Per pass (same-named passes summed within a step): median ms per step.
    passes: Vec<PassRow>,
    sum_of_passes_ms: f64,
    one_submission_ms_per_step: f64,
    setup_first_ms: f64,
    setup_again_ms: f64,
}

#[derive(Serialize)]
struct PassRow {
    pass: &'static str,
    runs_per_step: usize,
    ms: f64,
}

/// `bench fit --passes`: the demo step pass by pass, and the fitter's setup on a new device (every
/// pipeline compiled) against a second one on the same device (the pipeline cache: a viewer reset).
fn run_passes(a: &BenchArgs) -> softras::Result<()> {
    use softras::fit::{FitParams, FitTarget, gpu::GpuFitter, icosphere_template};
    // a device of its own, so that the first setup compiles every pipeline
    let ctx = std::sync::Arc::new(GpuContext::new()?);
    let cams = Camera::softras_demo_views(15.0);
    let lr = softras::fit::large_steps::default_lr(a.optimizer);
    let p = FitParams { size: 64, template_level: 4, optimizer: a.optimizer, lr, ..FitParams::default() };
    let template = icosphere_template(p.template_level, p.template_radius)?;
    let target =
        FitTarget::rendered(&mut GpuRaster::new(softras::gpu::GpuContext::shared()?)?, &softras::shapes::animal(), cams, 64, "animal")?;
    let t = Instant::now();
    let first = GpuFitter::new(ctx.clone(), &template, &target, &p)?;
    ctx.wait()?;
    let setup_first_ms = t.elapsed().as_secs_f64() * 1e3;
    drop(first);
    let t = Instant::now();
    let mut g = GpuFitter::new(ctx.clone(), &template, &target, &p)?;
    ctx.wait()?;
    let setup_again_ms = t.elapsed().as_secs_f64() * 1e3;
    let one_submission_ms_per_step = ms_per_step(&mut g, &p, a.fit_steps)?;
    let live = p.live();
    let mut per_pass: Vec<(&'static str, usize, Vec<f64>)> = Vec::new();
    for _ in 0..a.fit_steps {
        let mut step: Vec<(&'static str, usize, f64)> = Vec::new();
        for (name, d) in g.profile_step(&live)? {
            match step.iter_mut().find(|(n, _, _)| *n == name) {
                Some(e) => (e.1, e.2) = (e.1 + 1, e.2 + d.as_secs_f64() * 1e3),
                None => step.push((name, 1, d.as_secs_f64() * 1e3)),
            }
        }
        for (name, runs, ms) in step {
            match per_pass.iter_mut().find(|(n, _, _)| *n == name) {
                Some(e) => e.2.push(ms),
                None => per_pass.push((name, runs, vec![ms])),
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let passes: Vec<PassRow> = per_pass.iter_mut().map(|(pass, runs, v)| PassRow { pass, runs_per_step: *runs, ms: median(v) }).collect();
    let sum: f64 = passes.iter().map(|r| r.ms).sum();
    let timing = if ctx.has_timestamps() { "GPU timestamps around each pass" } else { "wall time of one submission per pass" };
    let out = PassesReport {
        adapter: ctx.describe(),
        timing,
        steps: a.fit_steps,
        passes,
        sum_of_passes_ms: sum,
        one_submission_ms_per_step,
        setup_first_ms,
        setup_again_ms,
    };
    if a.json {
        println!("{}", super::sorted_json(&out));
        return Ok(());
    }
    println!("adapter: {}", out.adapter);
    println!(
        "SoftRas demo step: 120 views at 64², level-4 template (2562 vertices, 5120 faces); {timing}; median of {} steps",
        a.fit_steps
    );
    println!("{:<14} {:>5} {:>10} {:>7}", "pass", "runs", "ms/step", "share");
    for r in &out.passes {
        println!("{:<14} {:>5} {:>10.3} {:>6.1}%", r.pass, r.runs_per_step, r.ms, 100.0 * r.ms / sum);
    }
    println!("{:<14} {:>5} {:>10.3}", "sum", "", sum);
    println!("whole step, one submission: {one_submission_ms_per_step:.3} ms");
    println!(
        "fitter setup on a new device (compiles every pipeline): {setup_first_ms:.1} ms; again on the same device (cached): {setup_again_ms:.1} ms"
    );
    Ok(())
}

/// `bench viewer --json`.
#[derive(Serialize)]
struct ViewerReport {
    adapter: String,
    fps: f64,
    rows: Vec<ViewerRow>,
}

#[derive(Serialize)]
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
        let out = ViewerReport { adapter: ctx.describe(), fps: a.fps, rows };
        println!("{}", super::sorted_json(&out));
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
