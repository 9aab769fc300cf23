//! What several commands share: the flags of a fit (`fit` and `view`), the check of their files, and the
//! flag that sets each library setting, for error messages.
use super::backend::Backend;
use clap::{Args, ValueEnum};
use softras::camera::Projection;
use softras::fit::{FitParams, Optimizer};
use softras::{Error, Result, target};
use std::path::{Path, PathBuf};

#[derive(Args, Clone, Debug)]
pub struct FitArgs {
    /// A picture to fit from the front (elevation 0, azimuth 0): any format, alpha or Otsu mask.
    /// Without IMAGE, --view or --views, the embedded default target is fitted.
    pub image: Option<PathBuf>,
    /// A view with its camera, IMG:ELEV:AZIM (degrees; distance from --distance). Repeatable.
    #[arg(long = "view", value_name = "IMG:ELEV:AZIM", allow_hyphen_values = true)]
    pub views: Vec<String>,
    /// A CSV of views with header file,distance,elevation,azimuth (paths relative to the CSV), and
    /// optionally projection,width (a row's own projection: perspective, or orthographic with its width)
    /// and weight (the view's weight in the loss 1 − Σ w·IoU / Σ w: ≥ 0, empty or absent = 1).
    #[arg(long = "views", value_name = "CSV")]
    pub views_csv: Option<PathBuf>,
    /// A picture of a reference sheet, NAME=IMG with NAME front, back, left, right (or side), top or bottom,
    /// or IMG:ELEV:AZIM for another angle. Repeatable: all sheet pictures are laid out at one shared scale
    /// (from the extents they share) and fitted with orthographic cameras.
    #[arg(long = "sheet", value_name = "NAME=IMG", allow_hyphen_values = true, conflicts_with_all = ["image", "views", "views_csv", "target_mesh"])]
    pub sheets: Vec<String>,
    /// Invert the picture's mask (otherwise the image border is taken as background).
    #[arg(long)]
    pub invert: bool,
    /// Optimisation steps.
    #[arg(long, default_value_t = FitParams::default().steps)]
    pub steps: u32,
    /// Image size in pixels [default: 128 for a picture, the views' own size for views].
    #[arg(long)]
    pub size: Option<u32>,
    /// Sharpness σ of the soft silhouette [default: 1e-4; 1e-6 for a fit whose views are all
    /// orthographic, e.g. a sheet, which starts from the visual hull].
    #[arg(long, allow_hyphen_values = true)]
    pub sigma: Option<f64>,
    /// σ at the last step (log-linear schedule from --sigma); off by default.
    #[arg(long, allow_hyphen_values = true)]
    pub sigma_end: Option<f64>,
    /// Learning rate [default: 0.01 for adam (betas 0.5, 0.99 as SoftRas), 0.03 for large-steps (uniform
    /// Adam, betas 0.9, 0.999 as Nicolet et al.)].
    #[arg(long, allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Optimizer: adam on SoftRas's parametrization, or large-steps (Nicolet et al. 2021: uniform Adam on
    /// u = (I + λL) x, positions directly).
    #[arg(long, value_enum, default_value = "adam")]
    pub optimizer: Optimizer,
    /// λ of large steps' M = I + λL (L the combinatorial Laplacian).
    #[arg(long, default_value_t = FitParams::default().smoothness, allow_hyphen_values = true)]
    pub smoothness: f64,
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
    #[command(flatten)]
    pub projection: ProjectionArgs,
    /// Icosphere level of the template (radius 0.5, rotated so no coordinate is 0).
    #[arg(long, default_value_t = FitParams::default().template_level, conflicts_with = "template")]
    pub template_level: u32,
    /// A template OBJ instead of the icosphere (inside (−1, 1)³).
    #[arg(long)]
    pub template: Option<PathBuf>,
    /// Result mesh, written atomically: OBJ with vertex normals, or binary little-endian PLY when the name
    /// ends in .ply.
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
    #[arg(long, value_enum, default_value = "auto")]
    pub backend: Backend,
    /// Read the loss back every this many steps.
    #[arg(long, default_value_t = FitParams::default().check_every)]
    pub check_every: u32,
}

impl FitArgs {
    /// The fit's settings from the flags; the size is fixed later, when the targets are loaded.
    pub fn params(&self) -> FitParams {
        FitParams {
            steps: self.steps,
            size: self.size.unwrap_or(128),
            sigma: self.sigma.unwrap_or(FitParams::default().sigma),
            sigma_end: self.sigma_end,
            lr: self.lr.unwrap_or(softras::fit::large_steps::default_lr(self.optimizer)),
            optimizer: self.optimizer,
            smoothness: self.smoothness,
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

/// Perspective or orthographic, as the command line names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProjectionKind {
    Perspective,
    Orthographic,
}

/// The cameras' projection (`fit`, `view` and `render`).
#[derive(Args, Clone, Debug)]
pub struct ProjectionArgs {
    /// Camera projection: perspective (--view-angle) or orthographic (--ortho-width); a views CSV row
    /// may set its own (columns projection, width).
    #[arg(long, value_enum, default_value = "perspective")]
    pub projection: ProjectionKind,
    /// With --projection orthographic: the world units that the image's width spans (SoftRas's
    /// viewing_scale s = 2 / W) [default: 2].
    #[arg(long, value_name = "W", allow_hyphen_values = true)]
    pub ortho_width: Option<f64>,
}

/// The orthographic width when --ortho-width is not given (SoftRas's default viewing_scale 1).
pub const DEFAULT_ORTHO_WIDTH: f64 = 2.0;

impl ProjectionArgs {
    /// The projection the flags ask for, checked (errors name the flag).
    pub fn get(&self) -> Result<Projection> {
        match self.projection {
            ProjectionKind::Perspective => match self.ortho_width {
                None => Ok(Projection::Perspective),
                Some(_) => Err(Error::invalid("--ortho-width is for --projection orthographic")),
            },
            ProjectionKind::Orthographic => {
                let p = Projection::Orthographic { width: self.ortho_width.unwrap_or(DEFAULT_ORTHO_WIDTH) };
                match p.width_problem() {
                    Some(problem) => Err(Error::setting("ortho_width", problem)),
                    None => Ok(p),
                }
            }
        }
    }
}

/// Parses a `--sheet`: NAME=IMG (a named view, [`softras::sheets::preset`]) or IMG:ELEV:AZIM. Returns
/// (name for messages, picture, elevation, azimuth).
pub fn parse_sheet(s: &str) -> Result<(String, PathBuf, f64, f64)> {
    if let Some((name, file)) = s.split_once('=')
        && let Some((el, az)) = softras::sheets::preset(name)
    {
        if file.is_empty() {
            return Err(Error::invalid(format!("--sheet {s:?}: no picture after {name}=")));
        }
        return Ok((name.to_lowercase(), PathBuf::from(file), el, az));
    }
    let (file, el, az) = parse_view(s).map_err(|_| {
        Error::invalid(format!(
            "--sheet {s:?}: expected NAME=IMG (NAME one of front, back, left, right, side, top, bottom) or IMG:ELEV:AZIM"
        ))
    })?;
    Ok((format!("{}:{el}:{az}", file.display()), file, el, az))
}

/// Parses IMG:ELEV:AZIM (the path may itself contain colons).
pub fn parse_view(s: &str) -> Result<(PathBuf, f64, f64)> {
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
    for v in &a.sheets {
        if let Ok((_, file, _, _)) = parse_sheet(v) {
            f.input("--sheet", Some(&file));
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

/// The flag that sets a library setting, the name an [`Error::Setting`] carries (the fields of
/// [`FitParams`], `num_views` of [`softras::fit::keep_views`], `invert` for [`target::Polarity::Inverted`]).
/// A setting no flag sets keeps its own name.
pub fn flag(setting: &'static str) -> String {
    let flag = match setting {
        "steps" => "--steps",
        "size" => "--size",
        "sigma" => "--sigma",
        "sigma_end" => "--sigma-end",
        "lr" => "--lr",
        "smoothness" => "--smoothness",
        "lambda_lap" => "--lambda-lap",
        "lambda_flat" => "--lambda-flat",
        "lambda_depth" => "--lambda-depth",
        "thickness" => "--thickness",
        "distance" => "--distance",
        "ortho_width" => "--ortho-width",
        "template_level" => "--template-level",
        "num_views" => "--num-views",
        "invert" => "--invert",
        other => other,
    };
    flag.to_string()
}

/// An error as the command line prints it (after `error: `): a setting is named by its flag.
pub fn message(e: &Error) -> String {
    e.to_string_naming(flag)
}
