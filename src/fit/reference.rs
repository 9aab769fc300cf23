//! The CPU (f64) reference of everything a fitting step computes besides rasterization: SoftRas's
//! parametrization and its gradient, the Laplacian and flatten regularizers with their gradients,
//! the multi-view IoU loss, and Adam. Written straight from MATH.md; tests check each against finite
//! differences and the GPU step against it.
use super::topology::Topology;
use glam::DVec3;

pub const FLATTEN_EPS: f64 = 1e-6;

/// b = log(|v0| / (1 − |v0|)) per coordinate: the template in logit space.
pub fn template_logits(v0: DVec3) -> DVec3 {
    let a = v0.abs();
    DVec3::new((a.x / (1.0 - a.x)).ln(), (a.y / (1.0 - a.y)).ln(), (a.z / (1.0 - a.z)).ln())
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// One coordinate of SoftRas's parametrization: (v, ∂v/∂Δ, ∂v/∂k).
/// u = sigmoid(b + Δ)·sign(v0), v = relu(u)(1 − k) − relu(−u)(k + 1) + k.
pub fn param_coord(v0: f64, delta: f64, k: f64) -> (f64, f64, f64) {
    let s = if v0 > 0.0 {
        1.0
    } else if v0 < 0.0 {
        -1.0
    } else {
        0.0
    };
    if s == 0.0 {
        return (k, 0.0, 1.0);
    }
    let a = v0.abs();
    let sg = sigmoid((a / (1.0 - a)).ln() + delta);
    let u = sg * s;
    let du = s * sg * (1.0 - sg);
    if u > 0.0 { (u * (1.0 - k) + k, (1.0 - k) * du, 1.0 - u) } else { (u * (k + 1.0) + k, (k + 1.0) * du, u + 1.0) }
}

/// Vertex positions from the template, displacements Δ and centre c.
pub fn vertices(v0: &[DVec3], delta: &[DVec3], c: DVec3) -> Vec<DVec3> {
    let k = DVec3::new(c.x.tanh(), c.y.tanh(), c.z.tanh());
    v0.iter()
        .zip(delta)
        .map(|(p, d)| DVec3::new(param_coord(p.x, d.x, k.x).0, param_coord(p.y, d.y, k.y).0, param_coord(p.z, d.z, k.z).0))
        .collect()
}

/// Chain rule through the parametrization: (∂L/∂Δ per vertex, ∂L/∂c).
pub fn param_backward(v0: &[DVec3], delta: &[DVec3], c: DVec3, v_verts: &[DVec3]) -> (Vec<DVec3>, DVec3) {
    let k = DVec3::new(c.x.tanh(), c.y.tanh(), c.z.tanh());
    let mut g_c = DVec3::ZERO;
    let g_delta = v0
        .iter()
        .zip(delta)
        .zip(v_verts)
        .map(|((p, d), g)| {
            let mut out = DVec3::ZERO;
            for a in 0..3 {
                let (_, dv_dd, dv_dk) = param_coord(p[a], d[a], k[a]);
                out[a] = g[a] * dv_dd;
                g_c[a] += g[a] * dv_dk * (1.0 - k[a] * k[a]);
            }
            out
        })
        .collect();
    (g_delta, g_c)
}

/// ℓ_i = v_i − mean of its neighbours.
pub fn laplacian_vectors(topo: &Topology, v: &[DVec3]) -> Vec<DVec3> {
    (0..v.len())
        .map(|i| {
            let nb = topo.neighbors_of(i);
            if nb.is_empty() {
                return DVec3::ZERO;
            }
            v[i] - nb.iter().map(|&j| v[j as usize]).sum::<DVec3>() / nb.len() as f64
        })
        .collect()
}

/// L_lap = Σ |ℓ_i|² and ∇_i = 2 (ℓ_i − Σ_{j∈N(i)} ℓ_j / deg_j).
pub fn laplacian_loss(topo: &Topology, v: &[DVec3]) -> (f64, Vec<DVec3>) {
    let l = laplacian_vectors(topo, v);
    let loss = l.iter().map(|x| x.length_squared()).sum();
    let grad = (0..v.len())
        .map(|i| {
            let back: DVec3 = topo.neighbors_of(i).iter().map(|&j| l[j as usize] / topo.neighbors_of(j as usize).len() as f64).sum();
            2.0 * (l[i] - back)
        })
        .collect();
    (loss, grad)
}

/// Perpendicular from w onto the line through v0 along e (guarded): p = b − t e, t = e·b / (e·e + ε).
fn perp(e: DVec3, b: DVec3) -> (DVec3, f64, f64) {
    let n = e.dot(e) + FLATTEN_EPS;
    let t = e.dot(b) / n;
    (b - t * e, t, n)
}

/// Pull back ∂L/∂p to (∂L/∂b, ∂L/∂e) for p = b − t e.
fn perp_backward(gp: DVec3, e: DVec3, b: DVec3, t: f64, n: f64) -> (DVec3, DVec3) {
    let ge = gp.dot(e);
    (gp - ge * e / n, -t * gp - ge * (b - 2.0 * t * e) / n)
}

/// One edge's flatten term: c = cos of the angle between the perpendiculars from v2 and v3 onto the
/// edge v0–v1 (lengths guarded as √(|p|² + ε)); term (c + 1)² and its gradient w.r.t. v0, v1, v2, v3.
pub fn flatten_edge(v: [DVec3; 4]) -> (f64, [DVec3; 4]) {
    let e = v[1] - v[0];
    let (b1, b2) = (v[2] - v[0], v[3] - v[0]);
    let (p, t1, n) = perp(e, b1);
    let (q, t2, _) = perp(e, b2);
    let (lp, lq) = ((p.dot(p) + FLATTEN_EPS).sqrt(), (q.dot(q) + FLATTEN_EPS).sqrt());
    let c = p.dot(q) / (lp * lq);
    let dl_dc = 2.0 * (c + 1.0);
    let gp = dl_dc * (q / (lp * lq) - c * p / (lp * lp));
    let gq = dl_dc * (p / (lp * lq) - c * q / (lq * lq));
    let (gb1, ge1) = perp_backward(gp, e, b1, t1, n);
    let (gb2, ge2) = perp_backward(gq, e, b2, t2, n);
    let ge = ge1 + ge2;
    ((c + 1.0) * (c + 1.0), [-(gb1 + gb2 + ge), ge, gb1, gb2])
}

/// L_flat = Σ over interior edges of (c + 1)², and its gradient.
pub fn flatten_loss(topo: &Topology, v: &[DVec3]) -> (f64, Vec<DVec3>) {
    let mut loss = 0.0;
    let mut grad = vec![DVec3::ZERO; v.len()];
    for e in &topo.edges {
        let (l, g) = flatten_edge(e.map(|i| v[i as usize]));
        loss += l;
        for r in 0..4 {
            grad[e[r] as usize] += g[r];
        }
    }
    (loss, grad)
}

/// Multi-view soft IoU loss L = 1 − Σ_v w_v I_v/U_v / Σ_v w_v (each view on its own, weighted; equal
/// weights: 1 − mean IoU) and ∂L/∂S per pixel, ∂L_v/∂S · w_v / Σ w. `weights` has one entry per view
/// (finite, ≥ 0, sum > 0: `FitTarget::validate`). Returns (loss, per-view soft IoU, gradient).
pub fn multiview_iou(sil: &[f64], masks: &[f64], npix: usize, weights: &[f64]) -> (f64, Vec<f64>, Vec<f64>) {
    let views = sil.len() / npix;
    assert_eq!(weights.len(), views, "one weight per view");
    let wsum: f64 = weights.iter().sum();
    let mut ious = Vec::with_capacity(views);
    let mut grad = vec![0.0; sil.len()];
    for (v, &w) in weights.iter().enumerate() {
        let r = v * npix..(v + 1) * npix;
        let (l, g) = iou_loss_and_grad(&sil[r.clone()], &masks[r.clone()]);
        ious.push(1.0 - l);
        for (o, x) in grad[r].iter_mut().zip(g) {
            *o = x * w / wsum;
        }
    }
    (1.0 - ious.iter().zip(weights).map(|(iou, w)| w * iou).sum::<f64>() / wsum, ious, grad)
}

/// The plain mean of the views' soft IoU (the reported `soft_iou_mean`, whatever the weights).
pub fn mean_iou(ious: &[f64]) -> f64 {
    ious.iter().sum::<f64>() / ious.len() as f64
}

/// Adam as torch.optim.Adam: m, v moments, bias correction with step t ≥ 1.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct AdamSettings {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
}

pub fn adam_update(p: &mut f64, m: &mut f64, v: &mut f64, g: f64, t: u32, s: &AdamSettings) {
    *m = s.beta1 * *m + (1.0 - s.beta1) * g;
    *v = s.beta2 * *v + (1.0 - s.beta2) * g * g;
    let bc1 = 1.0 - s.beta1.powi(t as i32);
    let bc2 = 1.0 - s.beta2.powi(t as i32);
    let denom = v.sqrt() / bc2.sqrt() + s.eps;
    *p -= s.lr / bc1 * *m / denom;
}

/// Soft IoU loss of MATH.md (one view): L = 1 − I/U, and ∂L/∂S per pixel.
pub fn iou_loss_and_grad(sil: &[f64], mask: &[f64]) -> (f64, Vec<f64>) {
    let (mut i, mut un) = (0.0, 1e-6);
    for (&s, &m) in sil.iter().zip(mask) {
        i += s * m;
        un += s + m - s * m;
    }
    let grad = mask.iter().map(|&m| -(m * un - i * (1.0 - m)) / (un * un)).collect();
    (1.0 - i / un, grad)
}
