//! softras: a differentiable soft rasterizer (Liu et al., "Soft Rasterizer", 2019) in WGSL compute
//! shaders, and the engine that deforms a template mesh until its silhouettes match target images.
//! This crate root has no Bevy in it; the viewer lives behind the `gui` feature.
pub mod camera;
pub mod error;
pub mod files;
pub mod fit;
pub mod gpu;
pub mod mesh;
pub mod metrics;
pub mod output;
pub mod raster;
pub mod session;
pub mod shapes;
pub mod sheets;
pub mod target;
pub mod views;

#[cfg(feature = "gui")]
pub mod viewer;

pub use camera::Camera;
pub use error::{Error, Result};
pub use mesh::Mesh;
pub use raster::{RasterSettings, SoftRasterizer};

/// The default target, embedded: a silhouette the project rendered itself (see assets/README.md).
pub const DEFAULT_TARGET: &[u8] = include_bytes!("../assets/default_target.png");
