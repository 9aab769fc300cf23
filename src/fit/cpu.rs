//! The fitting step in f64 on the CPU, from [`super::reference`] and the raster CPU reference:
//! the oracle for the GPU step and the engine when there is no GPU adapter.
use super::large_steps as ls;
use super::reference::{self as r, AdamSettings};
use super::topology::Topology;
use super::{FitParams, FitTarget, Fitter, Live, Optimizer, StepStats};
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use crate::raster::cpu as raster;
use glam::{DVec3, Vec3};

#[derive(Clone)]
struct State {
    delta: Vec<DVec3>,
    c: DVec3,
    m: Vec<DVec3>,
    v: Vec<DVec3>,
    t: u32,
    /// Large steps: the vertices x = M⁻¹ u (u is `delta`) and the last g_u (warm starts).
    x: Vec<DVec3>,
    gu: Vec<DVec3>,
}

pub struct CpuFitter {
    v0: Vec<DVec3>,
    faces: Vec<[u32; 3]>,
    topo: Topology,
    cams: Vec<Camera>,
    masks: Vec<f64>,
    /// One per view, as given (the loss is 1 − Σ w IoU / Σ w).
    weights: Vec<f64>,
    params: FitParams,
    /// View 0's height map in world units when the fit has a depth prior.
    hmap: Option<(Vec<f32>, u32)>,
    state: State,
    backup: State,
    best: (Vec<DVec3>, DVec3),
    pending: Vec<StepStats>,
}

impl CpuFitter {
    pub fn new(template: &Mesh, target: &FitTarget, params: &FitParams) -> Result<CpuFitter> {
        params.validate()?;
        target.validate()?;
        template.validate().map_err(Error::Invalid)?;
        let params = params.clone().for_views(target.cameras.len());
        let hmap = params
            .has_depth_prior(target.cameras.len())
            .then(|| (super::depth::height_map(&target.masks, target.size, &target.cameras[0]), target.size));
        let n = template.vertices.len();
        let zero = vec![DVec3::ZERO; n];
        let mut state = State {
            delta: zero.clone(),
            c: DVec3::ZERO,
            m: vec![DVec3::ZERO; n + 1],
            v: vec![DVec3::ZERO; n + 1],
            t: 1,
            x: Vec::new(),
            gu: Vec::new(),
        };
        let topo = Topology::new(template);
        let v0: Vec<DVec3> = template.vertices.iter().map(|v| v.as_dvec3()).collect();
        let mut best = (zero.clone(), DVec3::ZERO);
        if params.optimizer == Optimizer::LargeSteps {
            state.delta = ls::apply(&topo, params.smoothness, &v0);
            state.x = v0.clone();
            state.gu = zero;
            best.0 = v0.clone();
        }
        Ok(CpuFitter {
            v0,
            faces: template.faces.clone(),
            topo,
            cams: target.cameras.clone(),
            masks: target.masks.iter().map(|&x| x as f64).collect(),
            weights: target.weights.iter().map(|&w| w as f64).collect(),
            params,
            hmap,
            backup: state.clone(),
            state,
            best,
            pending: Vec::new(),
        })
    }

    /// Loss, per-view IoU and the total gradient (∂L/∂Δ, ∂L/∂c) at the given parameters.
    pub fn loss_and_grad(&self, delta: &[DVec3], c: DVec3, live: &Live) -> (StepStats, Vec<f64>, Vec<f64>, (Vec<DVec3>, DVec3)) {
        let verts = r::vertices(&self.v0, delta, c);
        let (mut stats, sil, ious, g) = self.loss_and_vertex_grad(&verts, live);
        let (gd, gc) = r::param_backward(&self.v0, delta, c, &g);
        stats.grad_norm = (gd.iter().map(|x| x.length_squared()).sum::<f64>() + gc.length_squared()).sqrt();
        (stats, sil, ious, (gd, gc))
    }

    /// Loss, per-view IoU and ∂L/∂v at the given vertex positions (the stats' grad_norm is |∂L/∂v|).
    pub fn loss_and_vertex_grad(&self, verts: &[DVec3], live: &Live) -> (StepStats, Vec<f64>, Vec<f64>, Vec<DVec3>) {
        let mesh = Mesh { vertices: verts.iter().map(|v| v.as_vec3()).collect(), faces: self.faces.clone() };
        let s = self.params.raster_at(live.sigma);
        let fwd = raster::forward(&mesh, &self.cams, &s);
        let (sil_loss, ious, v_sil) = r::multiview_iou(&fwd.sil, &self.masks, s.pixels(), &self.weights);
        let g_sil = raster::backward(&mesh, &self.cams, &s, &fwd, &v_sil);
        let (lap, g_lap) = r::laplacian_loss(&self.topo, verts);
        let (flat, g_flat) = r::flatten_loss(&self.topo, verts);
        let (depth, g_depth) = match &self.hmap {
            Some((h, size)) if live.lambda_depth > 0.0 => {
                let w = super::depth::DepthWeights { lambda: live.lambda_depth, thickness: live.thickness, near: self.params.near };
                super::depth::depth_loss(verts, &self.cams[0], h, *size, w)
            }
            _ => (0.0, vec![DVec3::ZERO; verts.len()]),
        };
        let g: Vec<DVec3> =
            (0..verts.len()).map(|i| g_sil[i] + live.lambda_lap * g_lap[i] + live.lambda_flat * g_flat[i] + g_depth[i]).collect();
        let stats = StepStats {
            step: 0,
            loss: sil_loss + live.lambda_lap * lap + live.lambda_flat * flat + depth,
            soft_iou_mean: r::mean_iou(&ious),
            grad_norm: g.iter().map(|x| x.length_squared()).sum::<f64>().sqrt(),
            lap,
            flat,
            depth,
        };
        (stats, fwd.sil, ious, g)
    }

    /// The current vertices (or the best kept).
    fn current(&self, best: bool) -> Vec<DVec3> {
        match (self.params.optimizer, best) {
            (Optimizer::LargeSteps, false) => self.state.x.clone(),
            (Optimizer::LargeSteps, true) => self.best.0.clone(),
            (Optimizer::Adam, false) => r::vertices(&self.v0, &self.state.delta, self.state.c),
            (Optimizer::Adam, true) => r::vertices(&self.v0, &self.best.0, self.best.1),
        }
    }

    /// One large-steps step: x = M⁻¹ u (warm from the last x), g_u = M⁻¹ g_x (warm from the last
    /// g_u), uniform Adam on u.
    fn large_step(&mut self, live: &Live) {
        let (tol, lambda) = (ls::CPU_TOL, self.params.smoothness);
        let st = &mut self.state;
        ls::cg_solve(&self.topo, lambda, &st.delta, &mut st.x, tol, ls::MAX_ITERS * 4);
        let (mut stats, _, _, g) = self.loss_and_vertex_grad(&self.state.x, live);
        stats.step = self.state.t;
        let st = &mut self.state;
        ls::cg_solve(&self.topo, lambda, &g, &mut st.gu, tol, ls::MAX_ITERS * 4);
        let n = st.delta.len();
        ls::uniform_adam(&mut st.delta, &mut st.m[..n], &mut st.v[..n], &st.gu, st.t, live.lr);
        st.t += 1;
        self.pending.push(stats);
    }
}

impl Fitter for CpuFitter {
    fn describe(&self) -> String {
        "cpu reference (f64)".into()
    }

    fn step(&mut self, live: &Live) -> Result<()> {
        if self.params.optimizer == Optimizer::LargeSteps {
            self.large_step(live);
            return Ok(());
        }
        let (mut stats, _, _, (gd, gc)) = self.loss_and_grad(&self.state.delta, self.state.c, live);
        stats.step = self.state.t;
        let adam = AdamSettings { lr: live.lr, beta1: self.params.beta1, beta2: self.params.beta2, eps: self.params.adam_eps };
        let st = &mut self.state;
        let n = st.delta.len();
        // SoftRas's centre c is held while the depth prior is on (docs/conventions.md "Depth prior"):
        // moving it shifts every vertex at once, and Adam's steps on it made the fit spike
        let held = self.hmap.is_some() && live.lambda_depth > 0.0;
        let count = if held { n } else { n + 1 };
        for (i, &g) in gd.iter().chain([&gc]).enumerate().take(count) {
            if !g.is_finite() {
                continue;
            }
            for a in 0..3 {
                let p = if i < n { &mut st.delta[i][a] } else { &mut st.c[a] };
                r::adam_update(p, &mut st.m[i][a], &mut st.v[i][a], g[a], st.t, &adam);
            }
        }
        st.t += 1;
        self.pending.push(stats);
        Ok(())
    }

    fn drain_stats(&mut self) -> Result<Vec<StepStats>> {
        Ok(std::mem::take(&mut self.pending))
    }

    fn snapshot(&mut self) -> Result<()> {
        self.backup = self.state.clone();
        Ok(())
    }

    fn restore(&mut self) -> Result<()> {
        self.state = self.backup.clone();
        self.pending.clear();
        Ok(())
    }

    fn keep_best(&mut self) -> Result<()> {
        self.best = match self.params.optimizer {
            Optimizer::Adam => (self.state.delta.clone(), self.state.c),
            Optimizer::LargeSteps => (self.state.x.clone(), DVec3::ZERO),
        };
        Ok(())
    }

    fn vertices(&mut self, best: bool) -> Result<Vec<Vec3>> {
        Ok(self.current(best).iter().map(|v| v.as_vec3()).collect())
    }

    fn evaluate(&mut self, best: bool, sigma: f64) -> Result<(Vec<f32>, Vec<f64>)> {
        let mesh = Mesh { vertices: self.current(best).iter().map(|v| v.as_vec3()).collect(), faces: self.faces.clone() };
        let s = self.params.raster_at(sigma);
        let sil = raster::forward(&mesh, &self.cams, &s).sil;
        let (_, ious, _) = r::multiview_iou(&sil, &self.masks, s.pixels(), &self.weights);
        Ok((sil.iter().map(|&x| x as f32).collect(), ious))
    }
}
