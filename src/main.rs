//! The `softras` command line: view (default), fit, render, eval, shape, info, bench; it parses and checks
//! arguments and calls the library.
use clap::{Args, Parser, Subcommand};
use softras::raster::{self, RasterSettings};
use softras::{Camera, Mesh};
use std::path::PathBuf;
use std::process::ExitCode;

mod bench;
mod fit_cmd;

#[derive(Parser)]
#[command(name = "softras", version, about = "Differentiable soft rasterizer: silhouettes to 3D meshes, on the GPU")]
struct Cli {
    /// Without a command, the viewer opens on the embedded default target (`softras view`).
    #[command(subcommand)]
    cmd: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Open the viewer: the mesh deforms live toward the target; takes every flag of `fit`.
    View(ViewArgs),
    /// Render the soft silhouette of a mesh from one camera (SoftRas's conventions).
    Render(RenderArgs),
    /// Deform a template mesh until its soft silhouettes match target images (SoftRas's demo).
    Fit(fit_cmd::FitArgs),
    /// Write one of the built-in test shapes (chair, animal, mug, sphere, duck, plate, capsule) as OBJ.
    Shape {
        /// The shape's name.
        name: String,
        /// Where to write it.
        out: PathBuf,
    },
    /// 3D metrics of mesh A against target mesh B: voxel IoU, Chamfer distance, F-score.
    Eval(EvalArgs),
    /// Print the GPU adapter softras would use, or why none was found.
    Info,
    /// Benchmark forward and backward, GPU against the CPU reference, measured in one run.
    Bench(bench::BenchArgs),
}

#[derive(Args)]
struct ViewArgs {
    #[command(flatten)]
    fit: fit_cmd::FitArgs,
    /// Save a screenshot of the window here after --after-steps steps, then exit (for tests and docs).
    #[arg(long)]
    screenshot: Option<PathBuf>,
    /// Steps to run before the screenshot.
    #[arg(long, default_value_t = 0, requires = "screenshot")]
    after_steps: u32,
    /// Start paused (Space plays).
    #[arg(long)]
    paused: bool,
    /// Steps per frame (turns the automatic choice off). Default: automatic on a real GPU (as many as keep
    /// the device busy between frames), 1 on a CPU adapter such as lavapipe.
    #[arg(long, conflicts_with = "auto_steps", value_parser = clap::value_parser!(u32).range(1..))]
    steps_per_frame: Option<u32>,
    /// Choose the steps per frame automatically, also on a CPU adapter.
    #[arg(long)]
    auto_steps: bool,
}

#[cfg(feature = "gui")]
fn view(a: ViewArgs) -> softras::Result<()> {
    if !softras::viewer::display_available() {
        return Err(softras::Error::invalid(
            "no display to open the viewer on (DISPLAY/WAYLAND_DISPLAY unset): run `softras fit` for the same fit \
             without a window, or use xvfb-run",
        ));
    }
    fit_cmd::check_files(&a.fit, false, &[("--screenshot", a.screenshot.as_deref())])?;
    let mut params = a.fit.params();
    params.validate()?;
    let (target, _) = fit_cmd::load_targets(&a.fit, &mut params)?;
    params.validate()?;
    // a user's --template is kept for every restart; otherwise each target gets its default start
    let template = match &a.fit.template {
        Some(_) => Some(fit_cmd::template(&a.fit, &params, &target)?),
        None => None,
    };
    let ctx = softras::raster::gpu::GpuContext::shared()?;
    let mut session = softras::session::Session::new(ctx, params, target, template)?;
    session.playing = !a.paused;
    if let Some(n) = a.steps_per_frame {
        (session.steps_per_frame, session.auto_steps) = (n, false);
    }
    session.auto_steps |= a.auto_steps;
    softras::viewer::run(session, softras::viewer::ViewerOptions { screenshot: a.screenshot, after_steps: a.after_steps })
}

#[cfg(not(feature = "gui"))]
fn view(_: ViewArgs) -> softras::Result<()> {
    Err(softras::Error::invalid(
        "this softras was built without the viewer (cargo feature `gui`): run `softras fit` for the same fit without a window",
    ))
}

#[derive(Args)]
struct EvalArgs {
    /// The mesh to evaluate (e.g. a fit result), OBJ.
    a: PathBuf,
    /// The target mesh, OBJ.
    b: PathBuf,
    /// Print JSON instead of one `name: value` line per metric.
    #[arg(long)]
    json: bool,
}

fn eval(a: EvalArgs) -> softras::Result<()> {
    let (ma, mb) = (Mesh::load_obj(&a.a)?, Mesh::load_obj(&a.b)?);
    for (m, p) in [(&ma, &a.a), (&mb, &a.b)] {
        if let Some(w) = softras::metrics::watertight_warning(m, &p.display().to_string()) {
            eprintln!("warning: {w}");
        }
    }
    let (na, nb) = (a.a.display().to_string(), a.b.display().to_string());
    let m = softras::metrics::compare_named(&ma, &mb, [&na, &nb])?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&m).expect("plain data serializes"));
    } else {
        println!("voxel_iou: {:.4}", m.voxel_iou);
        println!("chamfer: {:.6}", m.chamfer);
        println!("fscore: {:.4}", m.fscore);
    }
    Ok(())
}

#[derive(Args)]
struct RenderArgs {
    /// Mesh to render (OBJ).
    #[arg(long, required_unless_present_any = ["icosphere", "shape"], conflicts_with_all = ["icosphere", "shape"])]
    mesh: Option<PathBuf>,
    /// Render a unit icosphere of this level (0–6) instead of --mesh.
    #[arg(long, conflicts_with = "shape")]
    icosphere: Option<u32>,
    /// Render one of the built-in test shapes instead of --mesh (chair, animal, mug, sphere, duck).
    #[arg(long)]
    shape: Option<String>,
    /// Image width and height in pixels.
    #[arg(long, default_value_t = 256)]
    size: u32,
    /// Sharpness σ (squared NDC distance).
    #[arg(long, default_value_t = 1e-4, allow_hyphen_values = true)]
    sigma: f64,
    /// Camera as DIST,ELEV,AZIM (degrees), e.g. 2.732,30,0.
    #[arg(long, allow_hyphen_values = true, value_parser = softras::camera::parse_camera_triplet)]
    camera: (f64, f64, f64),
    /// Half field of view in degrees (SoftRas's viewing_angle).
    #[arg(long, default_value_t = 30.0, allow_hyphen_values = true)]
    view_angle: f64,
    /// Near plane: faces with a vertex at camera depth ≤ this are skipped.
    #[arg(long, default_value_t = raster::DEFAULT_NEAR, allow_hyphen_values = true)]
    near: f64,
    /// Cull threshold ε: an outside face is visited where D ≥ ε.
    #[arg(long, default_value_t = raster::DEFAULT_CULL_EPS, allow_hyphen_values = true)]
    cull_eps: f64,
    /// 16-bit grayscale PNG output (65535 = fully covered).
    #[arg(long, required_unless_present = "npy")]
    out: Option<PathBuf>,
    /// NumPy .npy output (<f4, shape (H, W), row 0 at the top).
    #[arg(long)]
    npy: Option<PathBuf>,
    /// Engine: auto (GPU if an adapter exists, else the CPU reference), gpu or cpu.
    #[arg(long, default_value = "auto", value_parser = ["auto", "gpu", "cpu"])]
    backend: String,
}

fn render(a: RenderArgs) -> softras::Result<()> {
    softras::files::Files::new()
        .input("--mesh", a.mesh.as_deref())
        .output("--out", a.out.as_deref())
        .output("--npy", a.npy.as_deref())
        .check()?;
    let mesh = match (&a.mesh, a.icosphere, &a.shape) {
        (Some(p), _, _) => Mesh::load_obj(p)?,
        (None, Some(l), _) => Mesh::icosphere(l)?,
        (None, None, Some(name)) => softras::shapes::by_name(name)
            .ok_or_else(|| softras::Error::invalid(format!("unknown shape {name:?} (one of {})", softras::shapes::ALL_NAMES.join(", "))))?,
        (None, None, None) => unreachable!("clap requires one"),
    };
    let (d, el, az) = a.camera;
    let cam = Camera::new(d, el, az, a.view_angle)?;
    let s = RasterSettings { width: a.size, height: a.size, sigma: a.sigma, cull_eps: a.cull_eps, near: a.near };
    raster::validate_inputs(&mesh, &[cam], &s)?;
    let (mut engine, note) = raster::make_engine(&a.backend)?;
    if let Some(n) = note {
        eprintln!("{n}");
    }
    let sil = engine.forward(&mesh, &[cam], &s)?;
    if let Some(p) = &a.out {
        softras::output::save_png16(p, &sil, s.width, s.height)?;
    }
    if let Some(p) = &a.npy {
        softras::output::save_npy(p, &sil, &[s.height as usize, s.width as usize])?;
    }
    let covered = sil.iter().filter(|&&v| v > 0.5).count();
    if covered == 0 {
        eprintln!(
            "warning: the mesh covers no pixel (S > 0.5 nowhere): it is outside the view or too small; check --camera and --view-angle"
        );
    }
    eprintln!(
        "rendered {}×{} ({} faces): {covered} pixels with S > 0.5, sum S = {:.3}",
        s.width,
        s.height,
        mesh.faces.len(),
        sil.iter().map(|&v| v as f64).sum::<f64>()
    );
    Ok(())
}

fn info() -> softras::Result<()> {
    let ctx = softras::raster::gpu::GpuContext::shared()?;
    let i = &ctx.info;
    println!("adapter: {}", i.name);
    println!("backend: {:?}", i.backend);
    println!("type:    {:?}", i.device_type);
    println!("driver:  {} {}", i.driver, i.driver_info);
    let l = ctx.device.limits();
    println!(
        "max storage binding: {} bytes, max workgroups per dimension: {}",
        l.max_storage_buffer_binding_size, l.max_compute_workgroups_per_dimension
    );
    Ok(())
}

/// The message of the last panic, kept by the panic hook for [`main`]'s one-line report.
static PANIC_MESSAGE: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// Replaces Rust's panic report: the message is kept (and printed by `main` as one `error:` line) so that
/// a panic caught on purpose (a decoder bug turned into an error) prints nothing.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".into());
        let msg = match info.location() {
            Some(l) => format!("{msg} at {}:{}", l.file(), l.line()),
            None => msg,
        };
        let thread = std::thread::current();
        if thread.name() != Some("main") {
            // threads of our own report through the main thread (scoped threads re-panic there); say it anyway
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "error: internal error in thread {}: {msg} (please report this as a bug)",
                thread.name().unwrap_or("unnamed")
            );
        }
        if let Ok(mut m) = PANIC_MESSAGE.lock() {
            *m = Some(msg);
        }
    }));
}

fn main() -> ExitCode {
    install_panic_hook();
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => {
            use std::io::Write;
            let msg = PANIC_MESSAGE.lock().ok().and_then(|m| m.clone()).unwrap_or_default();
            // a reader that went away (`softras eval a b | head -c0`): nothing more to say
            if msg.contains("failed printing to stdout") {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "error: internal error: {msg} (please report this as a bug)");
            ExitCode::from(101)
        }
    }
}

fn run() -> ExitCode {
    if std::env::var_os("SOFTRAS_TEST_INTERNAL_PANIC").is_some() {
        // for the test of the panic report only
        panic!("SOFTRAS_TEST_INTERNAL_PANIC is set");
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed; every usage error is bad input: exit 1
            let _ = e.print();
            return if e.exit_code() == 0 { ExitCode::SUCCESS } else { ExitCode::FAILURE };
        }
    };
    let cmd = cli.cmd.unwrap_or_else(|| match Cli::parse_from(["softras", "view"]).cmd {
        Some(c) => c,
        None => unreachable!("\"view\" parses to the view command"),
    });
    // the viewer logs through Bevy's LogPlugin (which also shows Bevy's and wgpu's `tracing` events,
    // render errors included); every other command through env_logger
    if !(cfg!(feature = "gui") && matches!(cmd, Command::View(_))) {
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    }
    let r = match cmd {
        Command::View(a) => view(a),
        Command::Render(a) => render(a),
        Command::Fit(a) => fit_cmd::run(a),
        Command::Eval(a) => eval(a),
        Command::Shape { name, out } => softras::shapes::by_name(&name)
            .ok_or_else(|| softras::Error::invalid(format!("unknown shape {name:?} (one of {})", softras::shapes::ALL_NAMES.join(", "))))
            .and_then(|m| softras::files::Files::new().output("OUT", Some(&out)).check().and_then(|_| m.save_obj(&out))),
        Command::Info => info(),
        Command::Bench(a) => bench::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::FAILURE
        }
    }
}
