//! All integration tests in one binary (one link of the crate). GPU tests run on whatever adapter
//! wgpu finds — lavapipe in CI — and fail, never skip, when there is none.
#[path = "all/camera.rs"]
mod camera;
#[path = "all/cli.rs"]
mod cli;
#[path = "all/common.rs"]
mod common;
#[path = "all/depth.rs"]
mod depth;
#[path = "all/export.rs"]
mod export;
#[path = "all/fit.rs"]
mod fit;
#[path = "all/fit_cli.rs"]
mod fit_cli;
#[path = "all/gpu_vs_cpu.rs"]
mod gpu_vs_cpu;
#[path = "all/gradients.rs"]
mod gradients;
#[path = "all/items.rs"]
mod items;
#[path = "all/large_steps.rs"]
mod large_steps;
#[path = "all/mesh.rs"]
mod mesh;
#[path = "all/metrics.rs"]
mod metrics;
#[path = "all/ortho.rs"]
mod ortho;
#[path = "all/props.rs"]
mod props;
#[path = "all/session.rs"]
mod session;
#[path = "all/shaders.rs"]
mod shaders;
#[path = "all/shapes.rs"]
mod shapes;
#[path = "all/sheets.rs"]
mod sheets;
#[path = "all/target.rs"]
mod target;
#[path = "all/viewer.rs"]
mod viewer;
#[path = "all/views.rs"]
mod views;
#[path = "all/weights.rs"]
mod weights;
