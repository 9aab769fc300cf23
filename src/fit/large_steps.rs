//! The large-steps optimizer (Nicolet, Jacobson & Jakob 2021; MATH.md "Large steps"): the parameters
//! are u = M x with M = I + λ L (L the combinatorial Laplacian: degree on the diagonal, −1 per edge),
//! x = M⁻¹ u is solved every step, the gradient is g_u = M⁻¹ g_x, and u moves by "uniform Adam"
//! (one √v̂ per tensor: the step is lr · m̂ / (ε + max √v̂)). Positions are optimised directly, not
//! through SoftRas's sigmoid parametrization.
//!
//! The solves are conjugate gradients, warm-started from the previous solution. This module is the f64
//! CPU reference (the oracle of shaders/cg.wgsl and shaders/ls_adam.wgsl).
use super::topology::Topology;
use glam::DVec3;

/// Which optimizer a fit uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// torch.optim.Adam on SoftRas's parametrization (Δ, c), as the SoftRas demo.
    #[default]
    Adam,
    /// Uniform Adam on u = (I + λL) x (positions directly).
    LargeSteps,
}

/// λ of M = I + λL: the paper's tutorial value.
pub const DEFAULT_SMOOTHNESS: f64 = 19.0;
/// Largest accepted λ (cond(M) grows as 1 + 2λ · max degree; CG needs O(√cond) iterations).
pub const MAX_SMOOTHNESS: f64 = 1e4;
/// The learning rate of each optimizer when none is given (large steps: the paper's).
pub fn default_lr(o: Optimizer) -> f64 {
    match o {
        Optimizer::Adam => super::FitParams::default().lr,
        Optimizer::LargeSteps => DEFAULT_LR,
    }
}

/// The paper's learning rate for uniform Adam.
pub const DEFAULT_LR: f64 = 3e-2;
/// Uniform Adam's betas and ε (the paper's AdamUniform defaults).
pub const BETA1: f64 = 0.9;
pub const BETA2: f64 = 0.999;
pub const EPS: f64 = 1e-8;
/// CPU (f64) solves stop at this relative residual ‖r‖ ≤ tol ‖b‖ per coordinate.
pub const CPU_TOL: f64 = 1e-10;
/// GPU (f32) solves stop at this relative residual of CG's recurrence (the true residual of an f32
/// solve bottoms out near cond(M) · 6e-8).
pub const GPU_TOL: f64 = 1e-5;
/// Most CG iterations per solve (the device exits early once below the tolerance).
pub const MAX_ITERS: u32 = 256;

/// y = M x = x + λ (deg_i x_i − Σ_{j∈N(i)} x_j).
pub fn apply(topo: &Topology, lambda: f64, x: &[DVec3]) -> Vec<DVec3> {
    (0..x.len())
        .map(|i| {
            let nb = topo.neighbors_of(i);
            let s: DVec3 = nb.iter().map(|&j| x[j as usize]).sum();
            x[i] + lambda * (nb.len() as f64 * x[i] - s)
        })
        .collect()
}

fn dot3(a: &[DVec3], b: &[DVec3]) -> DVec3 {
    a.iter().zip(b).map(|(x, y)| *x * *y).sum()
}

/// Solves M y = b by conjugate gradients, the three coordinates as three systems, starting from `y`
/// (warm start; non-finite entries start at 0), until ‖r‖ ≤ tol ‖b‖ for every coordinate or
/// `max_iters`. Returns the iterations run and the largest relative residual of the recurrence.
pub fn cg_solve(topo: &Topology, lambda: f64, b: &[DVec3], y: &mut [DVec3], tol: f64, max_iters: u32) -> (u32, f64) {
    for v in y.iter_mut() {
        if !v.is_finite() {
            *v = DVec3::ZERO;
        }
    }
    let my = apply(topo, lambda, y);
    let mut r: Vec<DVec3> = b.iter().zip(&my).map(|(b, m)| *b - *m).collect();
    let mut p = r.clone();
    let bb = dot3(b, b);
    let target = tol * tol * bb + DVec3::splat(1e-300);
    let mut rr = dot3(&r, &r);
    let mut iters = 0;
    let ratio = |a: DVec3, b: DVec3| DVec3::select(b.cmpeq(DVec3::ZERO), DVec3::ZERO, a / b);
    while iters < max_iters && !rr.cmple(target).all() {
        let q = apply(topo, lambda, &p);
        let alpha = ratio(rr, dot3(&p, &q));
        for i in 0..y.len() {
            y[i] += alpha * p[i];
            r[i] -= alpha * q[i];
        }
        let rr_new = dot3(&r, &r);
        let beta = ratio(rr_new, rr);
        for i in 0..y.len() {
            p[i] = r[i] + beta * p[i];
        }
        rr = rr_new;
        iters += 1;
    }
    let rel = ratio(rr, bb).to_array().map(f64::sqrt);
    (iters, rel.into_iter().fold(0.0, f64::max))
}

/// ‖M y − b‖ / ‖b‖, the largest over the three coordinates (a coordinate with b = 0 counts ‖M y‖).
pub fn relative_residual(topo: &Topology, lambda: f64, y: &[DVec3], b: &[DVec3]) -> f64 {
    let my = apply(topo, lambda, y);
    let r: Vec<DVec3> = my.iter().zip(b).map(|(m, b)| *m - *b).collect();
    let (rr, bb) = (dot3(&r, &r), dot3(b, b));
    (0..3).map(|a| if bb[a] > 0.0 { (rr[a] / bb[a]).sqrt() } else { rr[a].sqrt() }).fold(0.0, f64::max)
}

/// One step of uniform Adam on `u` (t ≥ 1): m, v as Adam; the step is lr · m̂ / (ε + max √v̂), the
/// max over every entry of v. Vertices with a non-finite gradient keep their u, m and v.
pub fn uniform_adam(u: &mut [DVec3], m: &mut [DVec3], v: &mut [DVec3], g: &[DVec3], t: u32, lr: f64) {
    let bc1 = 1.0 - BETA1.powi(t as i32);
    let bc2 = 1.0 - BETA2.powi(t as i32);
    let mut vmax = 0.0f64;
    for i in 0..u.len() {
        if g[i].is_finite() {
            m[i] = BETA1 * m[i] + (1.0 - BETA1) * g[i];
            v[i] = BETA2 * v[i] + (1.0 - BETA2) * g[i] * g[i];
        }
        vmax = vmax.max(v[i].max_element());
    }
    let denom = vmax.sqrt() / bc2.sqrt() + EPS;
    for i in 0..u.len() {
        if g[i].is_finite() {
            u[i] -= lr / bc1 * m[i] / denom;
        }
    }
}
