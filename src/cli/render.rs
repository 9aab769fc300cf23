//! `softras render`: the soft silhouette of one mesh from one camera, as a 16-bit PNG and/or .npy.
use super::backend::Backend;
use clap::Args;
use softras::raster::{self, RasterSettings};
use softras::{Camera, Mesh};
use std::path::PathBuf;

#[derive(Args)]
pub struct RenderArgs {
    /// Mesh to render (OBJ).
    #[arg(long, required_unless_present_any = ["icosphere", "shape"], conflicts_with_all = ["icosphere", "shape"])]
    mesh: Option<PathBuf>,
    /// Render a unit icosphere of this level (0–6) instead of --mesh.
    #[arg(long, conflicts_with = "shape")]
    icosphere: Option<u32>,
    /// Render one of the built-in test shapes instead of --mesh (chair, animal, mug, sphere, duck, plate, capsule, plane).
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
    #[command(flatten)]
    projection: super::args::ProjectionArgs,
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
    #[arg(long, value_enum, default_value = "auto")]
    backend: Backend,
}

pub fn run(a: RenderArgs) -> softras::Result<()> {
    softras::files::Files::new()
        .input("--mesh", a.mesh.as_deref())
        .output("--out", a.out.as_deref())
        .output("--npy", a.npy.as_deref())
        .check()?;
    let mesh = match (&a.mesh, a.icosphere, &a.shape) {
        (Some(p), _, _) => Mesh::load_obj(p)?,
        (None, Some(l), _) => Mesh::icosphere(l)?,
        (None, None, Some(name)) => super::shape::by_name(name)?,
        (None, None, None) => unreachable!("clap requires one"),
    };
    let (d, el, az) = a.camera;
    let cam = Camera::new(d, el, az, a.view_angle)?.with_projection(a.projection.get()?)?;
    let s = RasterSettings { width: a.size, height: a.size, sigma: a.sigma, cull_eps: a.cull_eps, near: a.near };
    raster::validate_inputs(&mesh, &[cam], &s)?;
    let (mut engine, note) = a.backend.rasterizer()?;
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
            "warning: the mesh covers no pixel (S > 0.5 nowhere): it is outside the view or too small; check --camera and --view-angle (or --ortho-width)"
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
