//! The `softras` command line: view (default), fit, render, eval, shape, info, bench. This file parses
//! the arguments and dispatches to the command's module in `cli/`, each of which checks its arguments and
//! calls the library.
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod cli;

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
    View(cli::view::ViewArgs),
    /// Render the soft silhouette of a mesh from one camera (SoftRas's conventions).
    Render(cli::render::RenderArgs),
    /// Deform a template mesh until its soft silhouettes match target images (SoftRas's demo).
    Fit(cli::args::FitArgs),
    /// Write one of the built-in test shapes (chair, animal, mug, sphere, duck, plate, capsule, plane) as OBJ.
    Shape(cli::shape::ShapeArgs),
    /// 3D metrics of mesh A against target mesh B: voxel IoU, Chamfer distance, F-score.
    Eval(cli::eval::EvalArgs),
    /// Print the GPU adapter softras would use, or why none was found.
    Info,
    /// Benchmark the GPU against the CPU reference, measured in one run: the rasterizer, fitting steps or the viewer.
    Bench(cli::bench::BenchArgs),
}

fn main() -> ExitCode {
    cli::panic::install_hook();
    match std::panic::catch_unwind(run) {
        Ok(code) => code,
        Err(_) => cli::panic::report(),
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
        Command::View(a) => cli::view::run(a),
        Command::Render(a) => cli::render::run(a),
        Command::Fit(a) => cli::fit::run(a),
        Command::Eval(a) => cli::eval::run(a),
        Command::Shape(a) => cli::shape::run(a),
        Command::Info => cli::info::run(),
        Command::Bench(a) => cli::bench::run(a),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "error: {}", cli::args::message(&e));
            ExitCode::FAILURE
        }
    }
}
