//! The GPU engine: the buffers of one rasterization problem on softras's device ([`crate::gpu`]) and
//! the passes of [`super::passes`] bound to them, in order:
//! `project` → `setup` → `items` → `forward` → `resolve` (S and log T), then `backward` → `backward_sum`
//! → `gather` (∂L/∂vertex). `forward` and `backward` run one invocation per work item (a piece of at most
//! [`CHUNK`] pixels of a face's grown range, more while the items exceed [`Dims::item_capacity`]) and are
//! dispatched indirectly with the arguments `items` writes.
//! Front-end checks (sizes, σ, device limits) happen here, before any dispatch; kernels assume valid input.
use super::passes::{Backward, BackwardSum, Forward, Gather, GpuCamera, Items, Project, RasterUniforms, Resolve, Setup};
use super::{RasterSettings, SoftRasterizer, check_image_len, validate_inputs};
use crate::camera::Camera;
use crate::error::{Error, Result};
use crate::gpu::{Bound, GROUP, GpuBuf, GpuContext, Op, encode, uniform_buffer};
use crate::mesh::Mesh;
use glam::Vec3;
use std::sync::Arc;

pub use super::passes::FaceRec;

// ------------------------------------------------------------------------------------------------
// Buffers of one problem

/// The sizes that fix a buffer set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    pub verts: u32,
    pub faces: u32,
    pub views: u32,
    pub width: u32,
    pub height: u32,
}

/// Pixels per work item of the face passes before any doubling on a GPU (`CHUNK` in
/// shaders/lib/items.wgsl).
pub const CHUNK: u32 = 1024;
/// A chunk that keeps every face one item: one invocation walks its whole range, as before work items.
pub const WHOLE_FACES: u32 = 1 << 30;

/// Images smaller than this many pixels keep whole faces on a GPU too.
pub const SPLIT_FROM_PIXELS: u32 = 256 * 256;

/// The chunk of a device for `width`×`height` images: [`CHUNK`] on a GPU from [`SPLIT_FROM_PIXELS`] on,
/// else [`WHOLE_FACES`]. A CPU adapter (lavapipe) has no idle lanes for the pieces to fill and the split
/// only costs there (level 1 at 2048²: forward + backward 267 ms split at 1024 or 8192 pixels against
/// 152 ms whole, 2 cores; docs/benchmarks.md). Small images keep the per-face grid of before on a GPU
/// (a face's grown range at 64² is at most four pieces, and the one-workgroup `items` pass would be
/// added to SoftRas's demo step, 0.70 ms on an H200, unmeasured so far).
pub fn default_chunk(ctx: &GpuContext, width: u32, height: u32) -> u32 {
    let small = (width as u64 * height as u64) < SPLIT_FROM_PIXELS as u64;
    if ctx.info.device_type == wgpu::DeviceType::Cpu || small { WHOLE_FACES } else { CHUNK }
}

impl Dims {
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize * self.views as usize
    }

    /// (view, face) slots.
    pub fn slots(&self) -> u64 {
        self.views as u64 * self.faces as u64
    }

    /// Work items the buffers hold (`item_capacity` in shaders/lib/items.wgsl): one per slot plus 16
    /// covers of every view in [`CHUNK`]-pixel pieces (the grown ranges of a closed mesh cover a view
    /// several times over: 6.6× for a level-3 sphere at 512²); beyond it the pieces grow.
    pub fn item_capacity(&self) -> u64 {
        let per_view = (self.width as u64 * self.height as u64).div_ceil(CHUNK as u64);
        self.slots() + 16 * self.views as u64 * per_view
    }

    /// Checks every buffer and dispatch against the device's limits, with a message saying what to lower.
    pub fn check_limits(&self, limits: &wgpu::Limits) -> Result<()> {
        let max_bind = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let (v, f) = (self.views as u64, self.faces as u64);
        for (what, bytes, lower) in [
            ("per-pixel accumulators", self.pixels() as u64 * 8, "image size or number of views"),
            ("face records", v * f * 64, "number of faces or views"),
            ("face gradients", v * f * 24, "number of faces or views"),
            ("work-item gradients", self.item_capacity() * 24, "number of faces, views or the image size"),
            ("projected vertices", v * self.verts as u64 * 16, "number of vertices or views"),
        ] {
            if bytes > max_bind {
                return Err(Error::invalid(format!(
                    "{what} need {bytes} bytes but this device binds at most {max_bind}: lower the {lower}"
                )));
            }
        }
        // forward.wgsl sums min(softplus, SOFTPLUS_CAP = 100) per (face, pixel) into 32 integer bits: a
        // pixel covered by every face stays below 2^32 while faces × 100 does (42.9 M faces); the
        // dispatch limit below (65535 × 64 = 4.2 M faces) leaves 10× headroom. Checked, not assumed.
        const SOFTPLUS_CAP: u64 = 100;
        if self.item_capacity() + 2 > u32::MAX as u64 {
            return Err(Error::invalid("too many faces × views or pixels for the work-item counts: lower them"));
        }
        if f * SOFTPLUS_CAP >= 1 << 32 {
            return Err(Error::invalid(format!(
                "{f} faces could overflow the forward pass's fixed-point sums (at most {}): simplify the mesh",
                ((1u64 << 32) - 1) / SOFTPLUS_CAP
            )));
        }
        let max_groups = limits.max_compute_workgroups_per_dimension;
        for (what, groups) in [("views", self.views), ("faces", self.faces.div_ceil(GROUP)), ("vertices", self.verts.div_ceil(GROUP))] {
            if groups > max_groups {
                return Err(Error::invalid(format!(
                    "too many {what} for one dispatch on this device ({groups} workgroups > {max_groups})"
                )));
            }
        }
        Ok(())
    }
}

/// Device buffers and bind groups for one (mesh topology, views, image size).
pub struct RasterBuffers {
    pub dims: Dims,
    pub uniforms: wgpu::Buffer,
    pub cams: GpuBuf<GpuCamera>,
    /// Vertex positions, xyz + padding (`array<vec4f>`).
    pub verts: GpuBuf<[f32; 4]>,
    pub faces: GpuBuf<u32>,
    pub proj: GpuBuf<[f32; 4]>,
    pub recs: GpuBuf<FaceRec>,
    /// Fixed-point −log T accumulators, 2 words per (view, pixel) (see forward.wgsl).
    pub acc: GpuBuf<u32>,
    pub log_t: GpuBuf<f32>,
    /// T = exp(log T) per (view, pixel), for the backward pass.
    pub trans: GpuBuf<f32>,
    pub sil: GpuBuf<f32>,
    pub v_sil: GpuBuf<f32>,
    pub v_face: GpuBuf<[f32; 2]>,
    /// Work items (see items.wgsl): per slot its first item, then the total and the chunk.
    pub item_start: GpuBuf<u32>,
    /// The indirect dispatch arguments of `forward` and `backward` (x, y, z).
    pub item_args: GpuBuf<u32>,
    /// Per work item its part of ∂L/∂corners (backward.wgsl).
    pub v_item: GpuBuf<[f32; 2]>,
    /// Whether the uniforms last written keep whole faces (chunk ≥ [`WHOLE_FACES`]): then the face
    /// passes run over a (faces, views) grid and `items` and `backward_sum` are not dispatched.
    whole: std::cell::Cell<bool>,
    pub vf_offsets: GpuBuf<u32>,
    pub vf_entries: GpuBuf<u32>,
    pub v_verts: GpuBuf<[f32; 4]>,
    passes: RasterPasses,
}

/// The rasterizer's passes bound to one buffer set.
struct RasterPasses {
    project: Bound,
    setup: Bound,
    items: Bound,
    forward: Bound,
    resolve: Bound,
    backward: Bound,
    backward_sum: Bound,
    gather: Bound,
}

impl RasterBuffers {
    /// Allocates for `dims` and uploads the topology of `mesh` (faces and vertex→face lists).
    pub fn new(ctx: &GpuContext, dims: Dims, mesh: &Mesh) -> Result<RasterBuffers> {
        dims.check_limits(&ctx.device.limits())?;
        let d = &ctx.device;
        let oom = d.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = d.push_error_scope(wgpu::ErrorFilter::Validation);
        let (nv, nf, px) = (dims.verts as usize, dims.faces as usize, dims.pixels());
        let views = dims.views as usize;
        let u = uniform_buffer(d, "uniforms", std::mem::size_of::<RasterUniforms>());
        let vf = mesh.vertex_faces();
        let cams = GpuBuf::storage(d, "cams", views);
        let verts = GpuBuf::storage(d, "verts", nv);
        let faces = GpuBuf::storage(d, "faces", nf * 3);
        let proj = GpuBuf::storage(d, "proj", views * nv);
        let recs = GpuBuf::storage(d, "recs", views * nf);
        let acc = GpuBuf::storage(d, "acc", 2 * px);
        let log_t = GpuBuf::storage(d, "log_t", px);
        let trans = GpuBuf::storage(d, "trans", px);
        let sil = GpuBuf::storage(d, "sil", px);
        let v_sil = GpuBuf::storage(d, "v_sil", px);
        let v_face = GpuBuf::storage(d, "v_face", views * nf * 3);
        let item_start = GpuBuf::storage(d, "item_start", views * nf + 2);
        let item_args = GpuBuf::indirect(d, "item_args", 4);
        let v_item = GpuBuf::storage(d, "v_item", dims.item_capacity() as usize * 3);
        let vf_offsets = GpuBuf::storage(d, "vf_offsets", vf.offsets.len());
        let vf_entries = GpuBuf::storage(d, "vf_entries", vf.entries.len());
        let v_verts = GpuBuf::storage(d, "v_verts", nv);
        let passes = RasterPasses {
            project: ctx.bind(&Project { u: &u, cams: &cams.buf, verts: &verts.buf, proj: &proj.buf })?,
            setup: ctx.bind(&Setup { u: &u, proj: &proj.buf, faces: &faces.buf, recs: &recs.buf, item_start: &item_start.buf })?,
            items: ctx.bind(&Items { u: &u, item_start: &item_start.buf, args: &item_args.buf })?,
            forward: ctx.bind(&Forward { u: &u, recs: &recs.buf, acc: &acc.buf, item_start: &item_start.buf })?,
            resolve: ctx.bind(&Resolve { u: &u, acc: &acc.buf, log_t: &log_t.buf, sil: &sil.buf, trans: &trans.buf })?,
            backward: ctx.bind(&Backward {
                u: &u,
                recs: &recs.buf,
                trans: &trans.buf,
                v_sil: &v_sil.buf,
                item_start: &item_start.buf,
                v_item: &v_item.buf,
                v_face: &v_face.buf,
            })?,
            backward_sum: ctx.bind(&BackwardSum { u: &u, item_start: &item_start.buf, v_item: &v_item.buf, v_face: &v_face.buf })?,
            gather: ctx.bind(&Gather {
                u: &u,
                cams: &cams.buf,
                proj: &proj.buf,
                vf_offsets: &vf_offsets.buf,
                vf_entries: &vf_entries.buf,
                v_face: &v_face.buf,
                v_verts: &v_verts.buf,
            })?,
        };
        let b = RasterBuffers {
            dims,
            uniforms: u,
            cams,
            verts,
            faces,
            proj,
            recs,
            acc,
            log_t,
            trans,
            sil,
            v_sil,
            v_face,
            item_start,
            item_args,
            v_item,
            whole: std::cell::Cell::new(false),
            vf_offsets,
            vf_entries,
            v_verts,
            passes,
        };
        let faces: Vec<u32> = mesh.faces.iter().flatten().copied().collect();
        b.faces.write(&ctx.queue, &faces);
        b.vf_offsets.write(&ctx.queue, &vf.offsets);
        b.vf_entries.write(&ctx.queue, &vf.entries);
        if let Some(e) = pollster::block_on(val.pop()) {
            return Err(Error::Gpu(format!("allocating buffers failed: {e}")));
        }
        if let Some(e) = pollster::block_on(oom.pop()) {
            return Err(Error::Gpu(format!("out of GPU memory for {dims:?}: {e}")));
        }
        Ok(b)
    }

    /// Uploads uniforms (work items of `chunk` pixels, see [`GpuRaster::set_chunk`]), cameras and vertex
    /// positions.
    pub fn upload(&self, ctx: &GpuContext, mesh: &Mesh, cams: &[Camera], s: &RasterSettings, chunk: u32) {
        self.write_uniforms(ctx, s, chunk);
        self.write_cameras(ctx, cams);
        let v: Vec<[f32; 4]> = mesh.vertices.iter().map(|p| [p.x, p.y, p.z, 0.0]).collect();
        self.verts.write(&ctx.queue, &v);
    }

    /// Uploads the uniforms (σ, cull radius, near, sizes): they take effect at the next submission.
    pub fn write_settings(&self, ctx: &GpuContext, s: &RasterSettings) {
        self.write_uniforms(ctx, s, default_chunk(ctx, s.width, s.height));
    }

    fn write_uniforms(&self, ctx: &GpuContext, s: &RasterSettings, chunk: u32) {
        let u = RasterUniforms {
            width: s.width,
            height: s.height,
            num_views: self.dims.views,
            num_verts: self.dims.verts,
            num_faces: self.dims.faces,
            sigma: s.sigma as f32,
            cull_r: s.cull_radius() as f32,
            near: s.near as f32,
            chunk,
        };
        self.whole.set(chunk >= WHOLE_FACES);
        ctx.queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&u));
    }

    pub fn write_cameras(&self, ctx: &GpuContext, cams: &[Camera]) {
        let gc: Vec<GpuCamera> = cams.iter().map(GpuCamera::from).collect();
        self.cams.write(&ctx.queue, &gc);
    }

    /// project → setup → items → (clear) → forward → resolve; with whole faces no `items`, and `forward`
    /// over (faces, views).
    pub fn forward_ops(&self) -> Vec<Op<'_>> {
        let (d, p) = (self.dims, &self.passes);
        let (vg, fg, pg) = (d.verts.div_ceil(GROUP), d.faces.div_ceil(GROUP), (d.width * d.height).div_ceil(GROUP).min(65535));
        let mut ops = vec![Op::Dispatch(&p.project, (vg, d.views)), Op::Dispatch(&p.setup, (fg, d.views))];
        if self.whole.get() {
            ops.extend([Op::Clear("clear acc", &self.acc.buf), Op::Dispatch(&p.forward, (fg, d.views))]);
        } else {
            ops.extend([
                Op::Dispatch(&p.items, (1, 1)),
                Op::Clear("clear acc", &self.acc.buf),
                Op::Indirect(&p.forward, &self.item_args.buf),
            ]);
        }
        ops.push(Op::Dispatch(&p.resolve, (pg, d.views)));
        ops
    }

    /// backward → backward_sum → gather (needs the forward's T, its work items and `v_sil`); with whole
    /// faces `backward` over (faces, views) and no `backward_sum`.
    pub fn backward_ops(&self) -> Vec<Op<'_>> {
        let (d, p) = (self.dims, &self.passes);
        let fg = d.faces.div_ceil(GROUP);
        let mut ops = if self.whole.get() {
            vec![Op::Dispatch(&p.backward, (fg, d.views))]
        } else {
            vec![Op::Indirect(&p.backward, &self.item_args.buf), Op::Dispatch(&p.backward_sum, (fg, d.views))]
        };
        ops.push(Op::Dispatch(&p.gather, (d.verts.div_ceil(GROUP), 1)));
        ops
    }

    /// How the last forward pass shared out its work (reads the face records and the items back).
    pub fn work(&self, ctx: &GpuContext) -> Result<Work> {
        let recs = ctx.read(&self.recs)?;
        let starts = ctx.read(&self.item_start)?;
        let n = recs.len();
        let counts = recs.iter().map(|r| if r.c_flags[3] > 0.5 { range_pixels(r.range) } else { 0 });
        let (mut covered, mut longest_face) = (0u64, 0u64);
        for c in counts {
            covered += c;
            longest_face = longest_face.max(c);
        }
        // with whole faces `items` did not run: one invocation per slot
        let (items, chunk) = if self.whole.get() { (n as u64, WHOLE_FACES as u64) } else { (starts[n] as u64, starts[n + 1] as u64) };
        Ok(Work { slots: n as u64, covered, longest_face, items, chunk, longest_item: longest_face.min(chunk) })
    }
}

/// Pixels of an inclusive range (i0, i1, j0, j1); 0 if empty.
fn range_pixels(r: [i32; 4]) -> u64 {
    if r[0] > r[1] || r[2] > r[3] { 0 } else { (r[1] - r[0] + 1) as u64 * (r[3] - r[2] + 1) as u64 }
}

/// The work distribution of the face passes (`forward`, `backward`) for one problem: before work items,
/// one invocation per (view, face) slot walking its whole grown range; with them, one per item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Work {
    /// (view, face) slots: the invocations of a face-parallel pass.
    pub slots: u64,
    /// Σ over drawn slots of the pixels of the grown range: the (face, pixel) pairs a pass visits.
    pub covered: u64,
    /// The largest grown range: the longest pixel loop of one face-parallel invocation.
    pub longest_face: u64,
    /// Work items: the invocations of the item passes.
    pub items: u64,
    /// Pixels per item.
    pub chunk: u64,
    /// The longest pixel loop of one item invocation.
    pub longest_item: u64,
}

// ------------------------------------------------------------------------------------------------
// The engine

/// The GPU soft rasterizer behind the [`SoftRasterizer`] trait. Buffers are kept between calls and
/// rebuilt only when the sizes or the topology change.
pub struct GpuRaster {
    pub ctx: Arc<GpuContext>,
    cache: Option<(Vec<[u32; 3]>, RasterBuffers)>,
    /// Set by [`GpuRaster::set_chunk`]; None: [`default_chunk`] for each problem's size.
    chunk: Option<u32>,
}

impl GpuRaster {
    /// The engine on `ctx`; its pipelines compile now (once per device), so that a broken shader or
    /// driver shows here rather than at the first call.
    pub fn new(ctx: Arc<GpuContext>) -> Result<GpuRaster> {
        ctx.pipeline::<Project>()?;
        ctx.pipeline::<Setup>()?;
        ctx.pipeline::<Items>()?;
        ctx.pipeline::<Forward>()?;
        ctx.pipeline::<Resolve>()?;
        ctx.pipeline::<Backward>()?;
        ctx.pipeline::<BackwardSum>()?;
        ctx.pipeline::<Gather>()?;
        Ok(GpuRaster { ctx, cache: None, chunk: None })
    }

    /// Pixels per work item of the face passes from the next call on (default [`default_chunk`], clamped
    /// to 1 ..= 2^30; [`WHOLE_FACES`] makes every face one item: one invocation walks its whole range, as
    /// before work items). Results depend on it only where a face's range is split (the backward pass's
    /// sums); tests use it to split small faces and to compare with unsplit runs, `bench --chunk` to time
    /// a split on any adapter.
    pub fn set_chunk(&mut self, chunk: u32) {
        self.chunk = Some(chunk.clamp(1, 1 << 30));
    }

    /// Buffers for this problem, with vertices, cameras and settings uploaded.
    pub fn prepare(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Result<&RasterBuffers> {
        validate_inputs(mesh, cams, s)?;
        let dims = Dims {
            verts: mesh.vertices.len() as u32,
            faces: mesh.faces.len() as u32,
            views: cams.len() as u32,
            width: s.width,
            height: s.height,
        };
        let reuse = matches!(&self.cache, Some((f, b)) if b.dims == dims && *f == mesh.faces);
        if !reuse {
            self.cache = None; // free the old buffers first
            let b = RasterBuffers::new(&self.ctx, dims, mesh)?;
            self.cache = Some((mesh.faces.clone(), b));
        }
        let (_, b) = self.cache.as_ref().expect("just filled");
        let chunk = self.chunk.unwrap_or_else(|| default_chunk(&self.ctx, s.width, s.height));
        b.upload(&self.ctx, mesh, cams, s, chunk);
        Ok(b)
    }

    /// Runs the forward pass (and the backward pass if `v_sil` is given), waiting for completion.
    /// Leaves the results on the device; see [`GpuRaster::buffers`].
    pub fn run(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings, v_sil: Option<&[f32]>) -> Result<()> {
        self.prepare(mesh, cams, s)?;
        let (_, b) = self.cache.as_ref().expect("prepared");
        if let Some(v) = v_sil {
            check_image_len(v.len(), cams.len(), s)?;
            b.v_sil.write(&self.ctx.queue, v);
        }
        self.submit(v_sil.is_some())
    }

    /// Re-runs the prepared problem (for benchmarks: uploads nothing).
    pub fn submit(&self, backward: bool) -> Result<()> {
        let (_, b) = self.cache.as_ref().ok_or_else(|| Error::Gpu("nothing prepared".into()))?;
        let mut enc = self.ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("raster") });
        encode(&mut enc, &b.forward_ops());
        if backward {
            encode(&mut enc, &b.backward_ops());
        }
        self.ctx.queue.submit([enc.finish()]);
        self.ctx.wait()?;
        self.ctx.take_error()
    }

    /// Times each pass of the prepared problem on its own (forward, then backward if asked), with GPU
    /// timestamps where the adapter has them (see [`crate::gpu::profile`]); the buffer clear is timed by
    /// its submission's wall time either way.
    pub fn profile(&self, backward: bool) -> Result<Vec<(&'static str, std::time::Duration)>> {
        let (_, b) = self.cache.as_ref().ok_or_else(|| Error::Gpu("nothing prepared".into()))?;
        let mut ops = b.forward_ops();
        if backward {
            ops.extend(b.backward_ops());
        }
        crate::gpu::profile(&self.ctx, &ops)
    }

    pub fn buffers(&self) -> Option<&RasterBuffers> {
        self.cache.as_ref().map(|(_, b)| b)
    }
}

impl SoftRasterizer for GpuRaster {
    fn describe(&self) -> String {
        format!("gpu: {}", self.ctx.describe())
    }

    fn forward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings) -> Result<Vec<f32>> {
        self.run(mesh, cams, s, None)?;
        self.ctx.read(&self.buffers().expect("run").sil)
    }

    fn backward(&mut self, mesh: &Mesh, cams: &[Camera], s: &RasterSettings, v_silhouette: &[f32]) -> Result<Vec<Vec3>> {
        self.run(mesh, cams, s, Some(v_silhouette))?;
        let g = self.ctx.read(&self.buffers().expect("run").v_verts)?;
        Ok(g.iter().map(|v| Vec3::new(v[0], v[1], v[2])).collect())
    }
}
