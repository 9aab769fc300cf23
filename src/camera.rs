//! SoftRas's camera, to the letter (docs/conventions.md): eye from (distance, elevation, azimuth) in
//! degrees, look-at the origin with up +Y, perspective with the half field of view `view_angle`.
//! Eye and rotation are computed in f64 on the CPU; the GPU receives them rounded to f32.
use crate::error::{Error, Result};
use glam::{DMat3, DVec3};

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Camera {
    pub distance: f64,
    /// Degrees above the XZ plane.
    pub elevation: f64,
    /// Degrees; 0 puts the eye on −Z looking toward +Z.
    pub azimuth: f64,
    /// SoftRas's `viewing_angle`: the *half* field of view, in degrees.
    pub view_angle: f64,
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
        let c = Camera { distance, elevation, azimuth, view_angle };
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
        Ok(())
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

    /// Camera-space position of a world point.
    pub fn to_camera(&self, v: DVec3) -> DVec3 {
        self.rotation() * (v - self.eye())
    }

    /// SoftRas's demo views: distance 2.732, elevations −60…60 by 30 (outer), azimuths 0…−345 by −15.
    pub fn softras_demo_views(view_angle: f64) -> Vec<Camera> {
        let mut out = Vec::with_capacity(120);
        for el in [-60.0, -30.0, 0.0, 30.0, 60.0] {
            for k in 0..24 {
                out.push(Camera { distance: 2.732, elevation: el, azimuth: -15.0 * k as f64, view_angle });
            }
        }
        out
    }
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
