//! The fitting step on the GPU: one command buffer per step —
//! params → project → setup → forward → resolve → iou_reduce → iou_grad → backward → gather →
//! laplacian → flatten → vertex_grad → reduce ×3 → adam → record. Nothing is read back per step;
//! [`Fitter::drain_stats`] reads the recorded history every few steps.
use super::large_steps as ls;
use super::passes::{
    Adam, Cg, CgUniforms, Depth, FitUniforms, Flatten, IouGrad, IouReduce, Laplacian, LsAdam, Params, Record, Reduce, ReduceUniforms,
    VertexGrad,
};
use super::topology::Topology;
use super::{FitParams, FitTarget, Fitter, Live, Optimizer, StepStats};
use crate::error::{Error, Result};
use crate::gpu::{Bound, GROUP, GpuBuf, GpuContext, Op, dispatch, encode, uniform_buffer};
use crate::mesh::Mesh;
use crate::raster::gpu::{Dims, RasterBuffers};
use glam::Vec3;
use std::sync::Arc;

/// The fit's passes bound to one fitter's buffers.
struct FitBound {
    params: Bound,
    /// The params pass writing the best parameters' vertices.
    best_params: Bound,
    iou_reduce: Bound,
    iou_grad: Bound,
    laplacian: Bound,
    flatten: Bound,
    vertex_grad: Bound,
    /// Sums of ∂L/∂c, of |∂L/∂Δ|² and |ℓ|², and of the flatten terms (reduce uniforms 0, 1, 2).
    reduce_vstats_c: Bound,
    reduce_vstats_g: Bound,
    reduce_flat: Bound,
    adam: Bound,
    record: Bound,
    /// The depth prior and the sum of its terms (reduce uniforms 3), when the fit has one.
    depth: Option<[Bound; 2]>,
}

/// The large-steps optimizer's passes and buffers: u lives in `params`, the best kept x in `best`.
struct LargeSteps {
    /// x = M⁻¹ u (warm from x, also written into the rasterizer's vertices); g_u = M⁻¹ g_x (warm from g_u).
    cg_x: Bound,
    cg_g: Bound,
    adam: Bound,
    x: GpuBuf<[f32; 4]>,
    x_backup: GpuBuf<[f32; 4]>,
    gu: GpuBuf<[f32; 4]>,
    grads: GpuBuf<[f32; 4]>,
    /// (iterations, relative residual) of the last x and g_u solves.
    cg_stats: GpuBuf<[f32; 4]>,
    _uniforms: [wgpu::Buffer; 2],
    _scratch: [GpuBuf<[f32; 4]>; 2],
}

/// What the large-steps state holds on the device (for tests and benchmarks).
#[derive(Clone, Debug)]
pub struct LargeStepsState {
    pub u: Vec<Vec3>,
    pub x: Vec<Vec3>,
    /// ∂L/∂x of the last step and g_u = M⁻¹ ∂L/∂x.
    pub g_x: Vec<Vec3>,
    pub g_u: Vec<Vec3>,
    /// (iterations, relative residual of CG's recurrence) of the last x and g_u solves.
    pub solves: [(u32, f64); 2],
}

/// History slots kept on the device between readbacks.
pub const HISTORY: u32 = 4096;

pub struct GpuFitter {
    ctx: Arc<GpuContext>,
    rb: RasterBuffers,
    passes: FitBound,
    params_set: FitParams,
    num_verts: u32,
    num_edges: u32,
    uniforms: wgpu::Buffer,
    _reduce_uniforms: [wgpu::Buffer; 4],
    params: GpuBuf<[f32; 4]>,
    adam_m: GpuBuf<[f32; 4]>,
    adam_v: GpuBuf<[f32; 4]>,
    backup: [GpuBuf<[f32; 4]>; 3],
    best: GpuBuf<[f32; 4]>,
    iou: GpuBuf<[f32; 2]>,
    history: GpuBuf<[f32; 4]>,
    /// Adam's step counter t (1-based at the next step) and its value at the snapshot.
    t: u32,
    t_backup: u32,
    /// Camera-space depth of the template centre in view 0 (the depth prior's reference plane).
    depth_z0: f64,
    /// Sum of the per-view loss weights as uploaded (`FitUniforms::weight_sum`).
    weight_sum: f32,
    pending: u32,
    ls: Option<LargeSteps>,
}

/// What a readback brings back: the current vertices, the numbers of the steps since the previous
/// readback, the soft silhouettes of the last forward pass (views × size²) and their per-view soft IoU.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    pub vertices: Vec<Vec3>,
    pub stats: Vec<StepStats>,
    pub silhouettes: Vec<f32>,
    pub ious: Vec<f64>,
}

type MapResult = Arc<std::sync::Mutex<Option<std::result::Result<(), wgpu::BufferAsyncError>>>>;

/// A readback on its way: its copies are queued behind the steps and its buffer maps once the device
/// gets there. It holds what it needs to be waited for and read on any thread.
pub struct PendingReadback {
    ctx: Arc<GpuContext>,
    staging: wgpu::Buffer,
    done: MapResult,
    submission: wgpu::SubmissionIndex,
    /// Byte offsets of vertices, history, silhouettes, IoU, and the end.
    layout: [u64; 5],
    /// History ring: number of recorded steps and the 1-based number of the oldest.
    recorded: u32,
    first_step: u32,
}

impl PendingReadback {
    /// Blocks until the device has done this readback's work, then returns its contents.
    pub fn wait(self) -> Result<Snapshot> {
        self.ctx.wait_for(Some(self.submission.clone()))?;
        let take = || self.done.lock().unwrap_or_else(|p| p.into_inner()).take();
        let mut state = take();
        // another thread polling the same device (tests share one) may have seen the submission finish
        // and still be running the map callbacks: wait for this one, briefly, before calling it lost
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while state.is_none() && std::time::Instant::now() < deadline {
            let _ = self.ctx.device.poll(wgpu::PollType::Poll);
            std::thread::sleep(std::time::Duration::from_millis(1));
            state = take();
        }
        state
            .ok_or_else(|| Error::Gpu("the readback was not mapped after its submission completed".into()))?
            .map_err(|e| Error::Gpu(format!("readback failed: {e}")))?;
        self.ctx.take_error()?;
        let [_, off_h, off_s, off_i, size] = self.layout;
        let bytes = self.staging.slice(..).get_mapped_range();
        let part = |a: u64, b: u64| &bytes[a as usize..b as usize];
        Ok(Snapshot {
            vertices: to_vec3(bytemuck::cast_slice(part(0, off_h))),
            stats: decode_history(bytemuck::cast_slice(part(off_h, off_s)), self.recorded, self.first_step),
            silhouettes: bytemuck::cast_slice(part(off_s, off_i)).to_vec(),
            ious: view_ious(bytemuck::cast_slice(part(off_i, size))),
        })
    }
}

impl GpuFitter {
    pub fn new(ctx: Arc<GpuContext>, template: &Mesh, target: &FitTarget, params: &FitParams) -> Result<GpuFitter> {
        let params = &params.clone().for_views(target.cameras.len());
        params.validate()?;
        target.validate()?;
        template.validate().map_err(Error::Invalid)?;
        let n = template.vertices.len();
        let views = target.cameras.len();
        let dims =
            Dims { verts: n as u32, faces: template.faces.len() as u32, views: views as u32, width: target.size, height: target.size };
        let rb = RasterBuffers::new(&ctx, dims, template)?;
        rb.write_cameras(&ctx, &target.cameras);
        let topo = Topology::new(template);
        let (d, q) = (&ctx.device, &ctx.queue);
        let oom = d.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let v0_vec4: Vec<[f32; 4]> = template.vertices.iter().map(|v| [v.x, v.y, v.z, 0.0]).collect();
        let v0 = GpuBuf::from_slice(d, q, "v0", &v0_vec4);
        let zeros = vec![[0f32; 4]; n + 1];
        let mk = |label: &str| GpuBuf::from_slice(d, q, label, &zeros);
        let (params_buf, adam_m, adam_v) = (mk("params"), mk("adam_m"), mk("adam_v"));
        let large_steps = params.optimizer == Optimizer::LargeSteps;
        if large_steps {
            // u = M x₀ (f64 on the host); x starts at the template
            let x0: Vec<glam::DVec3> = template.vertices.iter().map(|v| v.as_dvec3()).collect();
            let u = ls::apply(&topo, params.smoothness, &x0);
            let u: Vec<[f32; 4]> = u.iter().map(|v| [v.x as f32, v.y as f32, v.z as f32, 0.0]).chain([[0.0; 4]]).collect();
            q.write_buffer(&params_buf.buf, 0, bytemuck::cast_slice(&u));
        }
        let backup = [mk("params_backup"), mk("adam_m_backup"), mk("adam_v_backup")];
        let best = mk("best_params");
        let masks = GpuBuf::from_slice(d, q, "masks", &target.masks);
        let (scaled_weights, weight_sum) = target.scaled_weights();
        let weights = GpuBuf::from_slice(d, q, "view_weights", &scaled_weights);
        let iou: GpuBuf<[f32; 2]> = GpuBuf::storage(d, "iou", views);
        let lap: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "lap", n);
        let mut topo_words = topo.nbr_offsets.clone();
        topo_words.extend_from_slice(&topo.neighbors);
        topo_words.extend_from_slice(&topo.slot_offsets);
        topo_words.extend_from_slice(&topo.edge_slots);
        let topo_buf = GpuBuf::from_slice(d, q, "topo", &topo_words);
        let edges: Vec<[u32; 4]> = topo.edges.clone();
        let edges_buf = GpuBuf::from_slice(d, q, "edges", if edges.is_empty() { &[[0u32; 4]] } else { &edges });
        let edge_grads: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "edge_grads", 4 * edges.len());
        let grads: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "grads", n);
        let vstats: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "vstats", 2 * n);
        let stats: GpuBuf<[f32; 4]> = GpuBuf::from_slice(d, q, "stats", &[[0.0; 4]; 4]);
        let history: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "history", 2 * HISTORY as usize);
        let uniforms = uniform_buffer(d, "fit_uniforms", std::mem::size_of::<FitUniforms>());
        let reduce_uniforms =
            [0, 1, 2, 3].map(|k| uniform_buffer(d, &format!("reduce_uniforms{k}"), std::mem::size_of::<ReduceUniforms>()));
        let ne = edges.len() as u32;
        // the flatten pass runs one invocation per edge (≈ 1.5 × faces), Adam one per vertex + 1
        let max_groups = d.limits().max_compute_workgroups_per_dimension;
        if ne.div_ceil(GROUP) > max_groups || (n as u32 + 1).div_ceil(GROUP) > max_groups {
            return Err(Error::invalid(format!(
                "the template's {} edges and {n} vertices need more than {max_groups} workgroups in one dispatch on \
                 this device: use a template with fewer faces",
                edges.len()
            )));
        }
        for (buf, ru) in reduce_uniforms.iter().zip([
            ReduceUniforms { n: n as u32, offset: 0, stride: 1, out_index: 0 },
            ReduceUniforms { n: n as u32, offset: n as u32, stride: 1, out_index: 1 },
            ReduceUniforms { n: ne, offset: 0, stride: 4, out_index: 2 },
            // the depth prior's per-vertex terms (depth.wgsl), used only when the fit has one
            ReduceUniforms { n: n as u32, offset: 0, stride: 1, out_index: 3 },
        ]) {
            q.write_buffer(buf, 0, bytemuck::bytes_of(&ru));
        }
        let u = &uniforms;
        let params_pass = |params: &GpuBuf<[f32; 4]>| ctx.bind(&Params { fu: u, v0: &v0.buf, params: &params.buf, verts: &rb.verts.buf });
        let reduce = |k: usize, src: &GpuBuf<[f32; 4]>| ctx.bind(&Reduce { ru: &reduce_uniforms[k], src: &src.buf, dst: &stats.buf });
        let depth = match params.has_depth_prior(views) {
            true => {
                let h = super::depth::height_map(&target.masks, target.size, &target.cameras[0]);
                let hmap = GpuBuf::from_slice(d, q, "hmap", &h);
                let depth_res: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "depth_res", n);
                let (cams, verts, v_verts) = (&rb.cams.buf, &rb.verts.buf, &rb.v_verts.buf);
                let prior = ctx.bind(&Depth { fu: u, cams, verts, hmap: &hmap.buf, v_verts, depth_res: &depth_res.buf })?;
                Some([prior, reduce(3, &depth_res)?])
            }
            false => None,
        };
        let passes = FitBound {
            params: params_pass(&params_buf)?,
            best_params: params_pass(&best)?,
            iou_reduce: ctx.bind(&IouReduce { fu: u, sil: &rb.sil.buf, masks: &masks.buf, iou: &iou.buf })?,
            iou_grad: ctx.bind(&IouGrad { fu: u, masks: &masks.buf, iou: &iou.buf, weights: &weights.buf, v_sil: &rb.v_sil.buf })?,
            laplacian: ctx.bind(&Laplacian { fu: u, verts: &rb.verts.buf, topo: &topo_buf.buf, lap: &lap.buf })?,
            flatten: ctx.bind(&Flatten { fu: u, verts: &rb.verts.buf, edges: &edges_buf.buf, edge_grads: &edge_grads.buf })?,
            vertex_grad: ctx.bind(&VertexGrad {
                fu: u,
                v0: &v0.buf,
                params: &params_buf.buf,
                v_verts: &rb.v_verts.buf,
                lap: &lap.buf,
                topo: &topo_buf.buf,
                edge_grads: &edge_grads.buf,
                grads: &grads.buf,
                vstats: &vstats.buf,
            })?,
            reduce_vstats_c: reduce(0, &vstats)?,
            reduce_vstats_g: reduce(1, &vstats)?,
            reduce_flat: reduce(2, &edge_grads)?,
            adam: ctx.bind(&Adam {
                fu: u,
                grads: &grads.buf,
                stats: &stats.buf,
                params: &params_buf.buf,
                adam_m: &adam_m.buf,
                adam_v: &adam_v.buf,
            })?,
            record: ctx.bind(&Record { fu: u, iou: &iou.buf, weights: &weights.buf, stats: &stats.buf, history: &history.buf })?,
            depth,
        };
        let ls_part = if large_steps {
            let x: GpuBuf<[f32; 4]> = GpuBuf::from_slice(d, q, "ls_x", &v0_vec4);
            q.write_buffer(&best.buf, 0, bytemuck::cast_slice(&v0_vec4));
            let x_backup: GpuBuf<[f32; 4]> = GpuBuf::from_slice(d, q, "ls_x_backup", &v0_vec4);
            let gu: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "ls_gu", n);
            let work: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "cg_work", 3 * n);
            let discard: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "cg_gu_copy", n);
            let cg_stats: GpuBuf<[f32; 4]> = GpuBuf::storage(d, "cg_stats", 2);
            let cg_uniforms = [0u32, 1].map(|k| {
                let b = uniform_buffer(d, &format!("cg_uniforms{k}"), std::mem::size_of::<CgUniforms>());
                let cu = CgUniforms {
                    n: n as u32,
                    max_iters: ls::MAX_ITERS,
                    lambda: params.smoothness as f32,
                    tol2: (ls::GPU_TOL * ls::GPU_TOL) as f32,
                    out_index: k,
                    _pad: [0; 3],
                };
                q.write_buffer(&b, 0, bytemuck::bytes_of(&cu));
                b
            });
            let cg = |k: usize, b: &GpuBuf<[f32; 4]>, y: &GpuBuf<[f32; 4]>, out: &wgpu::Buffer| {
                ctx.bind(&Cg {
                    cu: &cg_uniforms[k],
                    topo: &topo_buf.buf,
                    b: &b.buf,
                    y: &y.buf,
                    work: &work.buf,
                    out,
                    cg_stats: &cg_stats.buf,
                })
            };
            Some(LargeSteps {
                cg_x: cg(0, &params_buf, &x, &rb.verts.buf)?,
                cg_g: cg(1, &grads, &gu, &discard.buf)?,
                adam: ctx.bind(&LsAdam { fu: u, gu: &gu.buf, params: &params_buf.buf, adam_m: &adam_m.buf, adam_v: &adam_v.buf })?,
                x,
                x_backup,
                gu,
                grads,
                cg_stats,
                _uniforms: cg_uniforms,
                _scratch: [work, discard],
            })
        } else {
            None
        };
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(Error::Gpu(format!("out of GPU memory for the fit buffers: {e}")));
        }
        let f = GpuFitter {
            ctx,
            rb,
            passes,
            params_set: params.clone(),
            num_verts: n as u32,
            num_edges: ne,
            uniforms,
            _reduce_uniforms: reduce_uniforms,
            params: params_buf,
            adam_m,
            adam_v,
            backup,
            best,
            iou,
            history,
            t: 1,
            t_backup: 1,
            depth_z0: target.cameras[0].distance,
            weight_sum,
            pending: 0,
            ls: ls_part,
        };
        f.write_uniforms(&params.live());
        Ok(f)
    }

    fn write_uniforms(&self, live: &Live) {
        let p = &self.params_set;
        let (beta1, beta2, eps) = match self.ls {
            Some(_) => (ls::BETA1, ls::BETA2, ls::EPS),
            None => (p.beta1, p.beta2, p.adam_eps),
        };
        let u = FitUniforms {
            num_verts: self.num_verts,
            num_edges: self.num_edges,
            num_views: self.rb.dims.views,
            num_pixels: self.rb.dims.width * self.rb.dims.height,
            lr: live.lr as f32,
            beta1: beta1 as f32,
            beta2: beta2 as f32,
            adam_eps: eps as f32,
            bias1: (1.0 - beta1.powi(self.t as i32)) as f32,
            bias2: (1.0 - beta2.powi(self.t as i32)) as f32,
            lambda_lap: live.lambda_lap as f32,
            lambda_flat: live.lambda_flat as f32,
            history_slot: self.pending % HISTORY,
            lambda_depth: if self.passes.depth.is_some() { live.lambda_depth as f32 } else { 0.0 },
            depth_z0: self.depth_z0 as f32,
            depth_size: self.rb.dims.width,
            depth_near: p.near as f32,
            thickness: live.thickness as f32,
            large_steps: self.ls.is_some() as u32,
            weight_sum: self.weight_sum,
        };
        self.ctx.queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&u));
        self.rb.write_settings(&self.ctx, &p.raster_at(live.sigma));
    }

    fn params_pass(&self, enc: &mut wgpu::CommandEncoder, best: bool) {
        if let Some(l) = &self.ls {
            // the vertices are the parameters: copy x (or the best x kept)
            let src = if best { &self.best } else { &l.x };
            enc.copy_buffer_to_buffer(&src.buf, 0, &self.rb.verts.buf, 0, self.rb.verts.bytes());
            return;
        }
        let p = if best { &self.passes.best_params } else { &self.passes.params };
        dispatch(enc, &[(p, (self.num_verts.div_ceil(GROUP), 1))]);
    }

    fn copy(&self, pairs: &[[&GpuBuf<[f32; 4]>; 2]]) -> Result<()> {
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fit copy") });
        for [src, dst] in pairs {
            enc.copy_buffer_to_buffer(&src.buf, 0, &dst.buf, 0, src.bytes());
        }
        self.ctx.queue.submit([enc.finish()]);
        self.ctx.take_error()
    }

    pub fn context(&self) -> &Arc<GpuContext> {
        &self.ctx
    }

    /// Renders the vertices the params pass wrote at σ (silhouettes and per-view IoU), changing no state.
    fn encode_render(&self, enc: &mut wgpu::CommandEncoder, sigma: f64) {
        self.rb.write_settings(&self.ctx, &self.params_set.raster_at(sigma));
        encode(enc, &self.rb.forward_ops());
        dispatch(enc, &[(&self.passes.iou_reduce, (self.rb.dims.views, 1))]);
    }

    /// Byte offsets of vertices, history, silhouettes and IoU in a readback's staging buffer, and its size.
    fn staging_layout(&self) -> [u64; 5] {
        let v = self.rb.verts.bytes();
        let h = v + self.history.bytes();
        let s = h + self.rb.sil.bytes();
        [0, v, h, s, s + self.iou.bytes()]
    }

    /// Queues a copy of the current vertices, the steps' numbers since the last readback (or drain), the
    /// silhouettes and the IoU, and returns without waiting. With `render_sigma`, the current mesh is
    /// first rendered at that σ (nothing else changes), e.g. to show a new σ while paused.
    pub fn begin_readback(&mut self, render_sigma: Option<f64>) -> Result<PendingReadback> {
        let layout = self.staging_layout();
        let [_, off_h, off_s, off_i, size] = layout;
        let staging = self.ctx.staging_buffer(size);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        self.params_pass(&mut enc, false);
        if let Some(sigma) = render_sigma {
            self.encode_render(&mut enc, sigma);
        }
        enc.copy_buffer_to_buffer(&self.rb.verts.buf, 0, &staging, 0, self.rb.verts.bytes());
        // only the slots this readback's steps used (0..pending)
        let used = u64::from(self.pending.min(HISTORY)) * 2 * std::mem::size_of::<[f32; 4]>() as u64;
        if used > 0 {
            enc.copy_buffer_to_buffer(&self.history.buf, 0, &staging, off_h, used);
        }
        enc.copy_buffer_to_buffer(&self.rb.sil.buf, 0, &staging, off_s, self.rb.sil.bytes());
        enc.copy_buffer_to_buffer(&self.iou.buf, 0, &staging, off_i, self.iou.bytes());
        let submission = self.ctx.queue.submit([enc.finish()]);
        let done: MapResult = Arc::default();
        let slot = done.clone();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |r| {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
        });
        let (recorded, first_step) = (self.pending, self.t - self.pending);
        self.pending = 0;
        self.ctx.take_error()?;
        Ok(PendingReadback { ctx: self.ctx.clone(), staging, done, submission, layout, recorded, first_step })
    }

    /// One step's GPU work in order (its uniforms written by [`Fitter::step`]).
    fn step_ops(&self, live: &Live) -> Vec<Op<'_>> {
        let (p, nv, views) = (&self.passes, self.num_verts, self.rb.dims.views);
        let npix = self.rb.dims.width * self.rb.dims.height;
        let mut ops = match &self.ls {
            Some(l) => vec![Op::Dispatch(&l.cg_x, (1, 1))],
            None => vec![Op::Dispatch(&p.params, (nv.div_ceil(GROUP), 1))],
        };
        ops.extend(self.rb.forward_ops());
        ops.extend([Op::Dispatch(&p.iou_reduce, (views, 1)), Op::Dispatch(&p.iou_grad, (npix.div_ceil(GROUP).min(65535), views))]);
        ops.extend(self.rb.backward_ops());
        if let Some([depth, reduce]) = p.depth.as_ref().filter(|_| live.lambda_depth > 0.0) {
            ops.extend([Op::Dispatch(depth, (nv.div_ceil(GROUP), 1)), Op::Dispatch(reduce, (1, 1))]);
        }
        ops.extend([
            Op::Dispatch(&p.laplacian, (nv.div_ceil(GROUP), 1)),
            Op::Dispatch(&p.flatten, (self.num_edges.div_ceil(GROUP).max(1), 1)),
            Op::Dispatch(&p.vertex_grad, (nv.div_ceil(GROUP), 1)),
            Op::Dispatch(&p.reduce_vstats_c, (1, 1)),
            Op::Dispatch(&p.reduce_vstats_g, (1, 1)),
            Op::Dispatch(&p.reduce_flat, (1, 1)),
        ]);
        match &self.ls {
            Some(l) => ops.extend([Op::Dispatch(&l.cg_g, (1, 1)), Op::Dispatch(&l.adam, (1, 1))]),
            None => ops.push(Op::Dispatch(&p.adam, ((nv + 1).div_ceil(GROUP), 1))),
        }
        ops.push(Op::Dispatch(&p.record, (1, 1)));
        ops
    }

    /// The large-steps state on the device (None for an Adam fit): u, x, the last ∂L/∂x and g_u, and the
    /// last two solves' iterations and residuals. Reads back; for tests and benchmarks.
    pub fn large_steps_state(&self) -> Result<Option<LargeStepsState>> {
        let Some(l) = &self.ls else { return Ok(None) };
        let n = self.num_verts as usize;
        let st = self.ctx.read(&l.cg_stats)?;
        Ok(Some(LargeStepsState {
            u: to_vec3(&self.ctx.read(&self.params)?[..n]),
            x: to_vec3(&self.ctx.read(&l.x)?),
            g_x: to_vec3(&self.ctx.read(&l.grads)?),
            g_u: to_vec3(&self.ctx.read(&l.gu)?),
            solves: [(st[0][0] as u32, st[0][1] as f64), (st[1][0] as u32, st[1][1] as f64)],
        }))
    }

    /// Runs one step like [`Fitter::step`], each operation submitted and timed on its own
    /// ([`crate::gpu::profile`]); the result is the same as the step's.
    pub fn profile_step(&mut self, live: &Live) -> Result<Vec<(&'static str, std::time::Duration)>> {
        self.write_uniforms(live);
        let times = crate::gpu::profile(&self.ctx, &self.step_ops(live))?;
        self.t += 1;
        self.pending += 1;
        Ok(times)
    }
}

/// Vertex positions from the device's vec4 layout.
fn to_vec3(v: &[[f32; 4]]) -> Vec<Vec3> {
    v.iter().map(|p| Vec3::new(p[0], p[1], p[2])).collect()
}

/// Per-view soft IoU from the (intersection, union) pairs of iou_reduce.
fn view_ious(pairs: &[[f32; 2]]) -> Vec<f64> {
    pairs.iter().map(|x| x[0] as f64 / x[1] as f64).collect()
}

/// The numbers of the `recorded` steps since the last readback, oldest first, the oldest being step
/// `first_step` (1-based). Step k of them sits in slot k mod HISTORY: only the last HISTORY are kept.
fn decode_history(h: &[[f32; 4]], recorded: u32, first_step: u32) -> Vec<StepStats> {
    (recorded.saturating_sub(HISTORY)..recorded)
        .map(|k| {
            let (a, b) = (h[2 * (k % HISTORY) as usize], h[2 * (k % HISTORY) as usize + 1]);
            StepStats {
                step: first_step + k,
                loss: a[0] as f64,
                soft_iou_mean: a[1] as f64,
                grad_norm: (a[2] as f64).sqrt(),
                lap: b[0] as f64,
                flat: b[1] as f64,
                depth: b[3] as f64,
            }
        })
        .collect()
}

impl Fitter for GpuFitter {
    fn max_pending(&self) -> u32 {
        HISTORY
    }
    fn describe(&self) -> String {
        format!("gpu: {}", self.ctx.describe())
    }

    fn step(&mut self, live: &Live) -> Result<()> {
        self.write_uniforms(live);
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("fit step") });
        encode(&mut enc, &self.step_ops(live));
        self.ctx.queue.submit([enc.finish()]);
        self.t += 1;
        self.pending += 1;
        Ok(())
    }

    fn drain_stats(&mut self) -> Result<Vec<StepStats>> {
        let h = self.ctx.read(&self.history)?;
        let out = decode_history(&h, self.pending, self.t - self.pending);
        self.pending = 0;
        Ok(out)
    }

    fn snapshot(&mut self) -> Result<()> {
        self.t_backup = self.t;
        if let Some(l) = &self.ls {
            self.copy(&[[&l.x, &l.x_backup]])?;
        }
        self.copy(&[[&self.params, &self.backup[0]], [&self.adam_m, &self.backup[1]], [&self.adam_v, &self.backup[2]]])
    }

    fn restore(&mut self) -> Result<()> {
        self.t = self.t_backup;
        self.pending = 0;
        if let Some(l) = &self.ls {
            self.copy(&[[&l.x_backup, &l.x]])?;
        }
        self.copy(&[[&self.backup[0], &self.params], [&self.backup[1], &self.adam_m], [&self.backup[2], &self.adam_v]])
    }

    fn keep_best(&mut self) -> Result<()> {
        match &self.ls {
            Some(l) => self.copy(&[[&l.x, &self.best]]),
            None => self.copy(&[[&self.params, &self.best]]),
        }
    }

    fn vertices(&mut self, best: bool) -> Result<Vec<Vec3>> {
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("vertices") });
        self.params_pass(&mut enc, best);
        self.ctx.queue.submit([enc.finish()]);
        Ok(to_vec3(&self.ctx.read(&self.rb.verts)?))
    }

    fn evaluate(&mut self, best: bool, sigma: f64) -> Result<(Vec<f32>, Vec<f64>)> {
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("evaluate") });
        self.params_pass(&mut enc, best);
        self.encode_render(&mut enc, sigma);
        self.ctx.queue.submit([enc.finish()]);
        Ok((self.ctx.read(&self.rb.sil)?, view_ious(&self.ctx.read(&self.iou)?)))
    }
}
