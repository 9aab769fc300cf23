//! SoftRas's camera, to the letter (docs/conventions.md): eye from (distance, elevation, azimuth) in
//! degrees, look-at the origin with up +Y, then perspective with the half field of view `view_angle`
//! or orthographic with a width in world units ([`Projection`]).
//! Eye and rotation are computed in f64 on the CPU; the GPU receives them rounded to f32.
use crate::error::{Error, Result};
use glam::{DMat3, DVec2, DVec3};

/// How camera space maps to the screen. SoftRas's `LookAt(perspective=True/False, viewing_scale=s)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Projection {
    /// x_s = x_c / (z_c tan θ), y_s = y_c / (z_c tan θ), θ the camera's `view_angle`.
    #[default]
    Perspective,
    /// x_s = s·x_c, y_s = s·y_c with s = 2 / `width`: `width` world units span the image's width.
    /// The camera's `view_angle` is not used.
    Orthographic { width: f64 },
}

/// Accepted orthographic widths (world units across the image).
pub const MIN_ORTHO_WIDTH: f64 = 1e-3;
pub const MAX_ORTHO_WIDTH: f64 = 1e4;

impl Projection {
    pub fn is_perspective(&self) -> bool {
        matches!(self, Projection::Perspective)
    }

    /// What is wrong with the orthographic width ("must be in …, got …"), if anything: callers name it.
    pub fn width_problem(&self) -> Option<String> {
        match *self {
            Projection::Orthographic { width } if !(width.is_finite() && (MIN_ORTHO_WIDTH..=MAX_ORTHO_WIDTH).contains(&width)) => {
                Some(format!("must be in [{MIN_ORTHO_WIDTH}, {MAX_ORTHO_WIDTH}] world units, got {}", crate::error::num(width)))
            }
            _ => None,
        }
    }

    pub fn validate(&self) -> Result<()> {
        match self.width_problem() {
            Some(p) => Err(Error::invalid(format!("orthographic width {p}"))),
            None => Ok(()),
        }
    }
}

/// A camera's map from camera space to the screen, with its constants computed once (f64).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Lens {
    Perspective { tan: f64 },
    Orthographic { scale: f64 },
}

impl Lens {
    /// Screen position (x_s, y_s) of camera-space point `vc`.
    pub fn project(&self, vc: DVec3) -> DVec2 {
        match *self {
            Lens::Perspective { tan } => DVec2::new(vc.x / (vc.z * tan), vc.y / (vc.z * tan)),
            Lens::Orthographic { scale } => DVec2::new(scale * vc.x, scale * vc.y),
        }
    }

    /// ∂L/∂v_c from ∂L/∂(x_s, y_s) = `g` at the projected point `pr` = (x_s, y_s, z_c).
    pub fn grad(&self, pr: DVec3, g: DVec2) -> DVec3 {
        match *self {
            Lens::Perspective { tan } => DVec3::new(g.x / (pr.z * tan), g.y / (pr.z * tan), -(g.x * pr.x + g.y * pr.y) / pr.z),
            Lens::Orthographic { scale } => DVec3::new(scale * g.x, scale * g.y, 0.0),
        }
    }

    /// The rows ∂q/∂v of the projection at fixed depth `z0` (weak perspective; orthographic: s R_x, s R_y)
    /// for camera rows `rx`, `ry`.
    pub fn lateral_rows(&self, rx: DVec3, ry: DVec3, z0: f64) -> (DVec3, DVec3) {
        match *self {
            Lens::Perspective { tan } => (rx / (z0 * tan), ry / (z0 * tan)),
            Lens::Orthographic { scale } => (scale * rx, scale * ry),
        }
    }

    /// World units per NDC unit on the plane at depth `z0` facing the camera.
    pub fn world_per_ndc(&self, z0: f64) -> f64 {
        match *self {
            Lens::Perspective { tan } => z0 * tan,
            Lens::Orthographic { scale } => 1.0 / scale,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Camera {
    pub distance: f64,
    /// Degrees above the XZ plane.
    pub elevation: f64,
    /// Degrees; 0 puts the eye on −Z looking toward +Z.
    pub azimuth: f64,
    /// SoftRas's `viewing_angle`: the *half* field of view, in degrees.
    pub view_angle: f64,
    /// Perspective (SoftRas's default) or orthographic; reports name it only when orthographic.
    #[serde(skip_serializing_if = "Projection::is_perspective")]
    pub projection: Projection,
}

/// Accepted camera distances: nearer, or farther, the f32 projection loses the picture.
pub const MIN_DISTANCE: f64 = 1e-3;
pub const MAX_DISTANCE: f64 = 1e4;
/// Largest |elevation| and |azimuth| in degrees (beyond, f64 degrees lose their fraction).
pub const MAX_ANGLE: f64 = 1e6;
/// Smallest half field of view in degrees.
pub const MIN_VIEW_ANGLE: f64 = 0.01;

/// Below this norm of up × z the eye is taken to be on the Y axis (elevation ±90°) and up becomes +Z.
const POLE_EPS: f64 = 1e-9;

impl Camera {
    pub fn new(distance: f64, elevation: f64, azimuth: f64, view_angle: f64) -> Result<Camera> {
        let c = Camera { distance, elevation, azimuth, view_angle, projection: Projection::Perspective };
        c.validate()?;
        Ok(c)
    }

    /// The same camera with another projection, checked.
    pub fn with_projection(self, projection: Projection) -> Result<Camera> {
        let c = Camera { projection, ..self };
        c.validate()?;
        Ok(c)
    }

    pub fn validate(&self) -> Result<()> {
        if !(self.distance.is_finite() && (MIN_DISTANCE..=MAX_DISTANCE).contains(&self.distance)) {
            return Err(Error::invalid(format!(
                "camera distance must be in [{MIN_DISTANCE}, {MAX_DISTANCE}], got {}",
                crate::error::num(self.distance)
            )));
        }
        if !(self.elevation.abs() <= MAX_ANGLE && self.azimuth.abs() <= MAX_ANGLE) {
            return Err(Error::invalid(format!(
                "camera elevation and azimuth must be finite degrees in [−{MAX_ANGLE}, {MAX_ANGLE}], got {} and {}",
                crate::error::num(self.elevation),
                crate::error::num(self.azimuth)
            )));
        }
        if !(self.view_angle >= MIN_VIEW_ANGLE && self.view_angle < 90.0) {
            return Err(Error::invalid(format!(
                "view angle (half field of view) must be in [{MIN_VIEW_ANGLE}, 90) degrees, got {}",
                crate::error::num(self.view_angle)
            )));
        }
        self.projection.validate()
    }

    /// e = (d·cos el·sin az, d·sin el, −d·cos el·cos az).
    pub fn eye(&self) -> DVec3 {
        let (el, az) = (self.elevation.to_radians(), self.azimuth.to_radians());
        self.distance * DVec3::new(el.cos() * az.sin(), el.sin(), -el.cos() * az.cos())
    }

    /// The rotation R whose rows are the camera axes x, y, z (v_c = R (v − e)).
    pub fn rotation(&self) -> DMat3 {
        let eye = self.eye();
        let z = (-eye).normalize();
        let mut x = DVec3::Y.cross(z);
        if x.length() < POLE_EPS {
            x = DVec3::Z.cross(z);
        }
        let x = x.normalize();
        let y = z.cross(x);
        // glam matrices are column-major: the transpose of the column matrix has x, y, z as rows.
        DMat3::from_cols(x, y, z).transpose()
    }

    /// tan θ of the half field of view.
    pub fn tan_half_fov(&self) -> f64 {
        self.view_angle.to_radians().tan()
    }

    /// Orthographic scale s = 2 / width (SoftRas's `viewing_scale`); None for perspective.
    pub fn ortho_scale(&self) -> Option<f64> {
        match self.projection {
            Projection::Perspective => None,
            Projection::Orthographic { width } => Some(2.0 / width),
        }
    }

    /// The projection's constants.
    pub fn lens(&self) -> Lens {
        match self.ortho_scale() {
            None => Lens::Perspective { tan: self.tan_half_fov() },
            Some(scale) => Lens::Orthographic { scale },
        }
    }

    /// Camera-space position of a world point.
    pub fn to_camera(&self, v: DVec3) -> DVec3 {
        self.rotation() * (v - self.eye())
    }

    /// SoftRas's demo views: distance 2.732, elevations −60…60 by 30 (outer), azimuths 0…−345 by −15.
    pub fn softras_demo_views(view_angle: f64) -> Vec<Camera> {
        let mut out = Vec::with_capacity(120);
        for el in [-60.0, -30.0, 0.0, 30.0, 60.0] {
            for k in 0..24 {
                out.push(Camera {
                    distance: 2.732,
                    elevation: el,
                    azimuth: -15.0 * k as f64,
                    view_angle,
                    projection: Projection::Perspective,
                });
            }
        }
        out
    }
}

/// The world axis (0, 1, 2 for X, Y, Z) that a unit vector (a camera axis, a row of
/// [`Camera::rotation`]) lies along, if it does (within 1e-6).
pub fn world_axis(v: DVec3) -> Option<usize> {
    (0..3).find(|&i| (v[i].abs() - 1.0).abs() < 1e-6)
}

/// Parses "DIST,ELEV,AZIM".
pub fn parse_camera_triplet(s: &str) -> std::result::Result<(f64, f64, f64), String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    if parts.len() != 3 {
        return Err(format!("expected DIST,ELEV,AZIM (three numbers), got {s:?}"));
    }
    let mut v = [0.0; 3];
    for (i, p) in parts.iter().enumerate() {
        v[i] = p.parse::<f64>().map_err(|_| format!("{p:?} is not a number in {s:?}"))?;
        if !v[i].is_finite() {
            return Err(format!("{p:?} is not a finite number"));
        }
    }
    Ok((v[0], v[1], v[2]))
}
