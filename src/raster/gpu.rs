//! The GPU engine: its own wgpu device, one compute pipeline per WGSL file in `shaders/`, and the
//! buffers of one rasterization problem. Passes, in order:
//! `project` → `setup` → `forward` → `resolve` (S and log T), then `backward` → `gather` (∂L/∂vertex).
//! Front-end checks (sizes, σ, device limits) happen here, before any dispatch; kernels assume valid input.
use super::{RasterSettings, SoftRasterizer, check_image_len, validate_inputs};
use crate::camera::{Camera, GpuCamera};
use crate::error::{Error, Result};
use crate::mesh::Mesh;
use bytemuck::{Pod, Zeroable};
use glam::Vec3;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

/// Workgroup size of every pass (`GROUP` in common.wgsl).
pub const GROUP: u32 = 64;

/// Mirrors `RasterUniforms` in shaders/common.wgsl (a test checks the size against naga's layout).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable, PartialEq)]
pub struct RasterUniforms {
    pub width: u32,
    pub height: u32,
    pub num_views: u32,
    pub num_verts: u32,
    pub num_faces: u32,
    pub sigma: f32,
    pub cull_r: f32,
    pub near: f32,
}

/// Mirrors `FaceRec` in shaders/common.wgsl (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FaceRec {
    pub ab: [f32; 4],
    pub c_flags: [f32; 4],
    pub range: [i32; 4],
    pub inv_len2: [f32; 4],
}

/// The WGSL sources: common.wgsl is prepended to every pass.
pub const COMMON_WGSL: &str = include_str!("../../shaders/common.wgsl");
pub const PASS_SOURCES: [(&str, &str); 16] = [
    ("project", include_str!("../../shaders/project.wgsl")),
    ("setup", include_str!("../../shaders/setup.wgsl")),
    ("forward", include_str!("../../shaders/forward.wgsl")),
    ("resolve", include_str!("../../shaders/resolve.wgsl")),
    ("backward", include_str!("../../shaders/backward.wgsl")),
    ("gather", include_str!("../../shaders/gather.wgsl")),
    ("params", include_str!("../../shaders/params.wgsl")),
    ("iou_reduce", include_str!("../../shaders/iou_reduce.wgsl")),
    ("iou_grad", include_str!("../../shaders/iou_grad.wgsl")),
    ("laplacian", include_str!("../../shaders/laplacian.wgsl")),
    ("flatten", include_str!("../../shaders/flatten.wgsl")),
    ("vertex_grad", include_str!("../../shaders/vertex_grad.wgsl")),
    ("reduce", include_str!("../../shaders/reduce.wgsl")),
    ("adam", include_str!("../../shaders/adam.wgsl")),
    ("record", include_str!("../../shaders/record.wgsl")),
    ("depth", include_str!("../../shaders/depth.wgsl")),
];

/// Full WGSL of a pass (common + the pass's file).
pub fn pass_source(name: &str) -> Option<String> {
    PASS_SOURCES.iter().find(|(n, _)| *n == name).map(|(_, s)| format!("{COMMON_WGSL}\n{s}"))
}

// ------------------------------------------------------------------------------------------------
// Device

/// A wgpu device of softras's own, with the adapter it came from.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// The first uncaptured wgpu error, turned into an `Err` at the next readback instead of a panic.
    last_error: Arc<Mutex<Option<String>>>,
    /// Set by the device-lost callback (driver reset, GPU gone): waits give up instead of blocking.
    lost: Arc<std::sync::atomic::AtomicBool>,
}

/// How long one poll of a wait blocks before it checks whether the device was lost.
const WAIT_SLICE: std::time::Duration = std::time::Duration::from_secs(2);

impl GpuContext {
    /// Finds an adapter and opens a device with its limits. `WGPU_BACKEND` picks the backends;
    /// without it the primary ones (Vulkan, Metal, DX12) are tried first and OpenGL only if they find none
    /// (probing OpenGL prints display-server noise on headless machines).
    pub fn new() -> Result<GpuContext> {
        let adapter = match wgpu::Backends::from_env() {
            Some(b) => Self::request_adapter(b),
            None => Self::request_adapter(wgpu::Backends::PRIMARY).or_else(|_| Self::request_adapter(wgpu::Backends::GL)),
        }
        .map_err(|e| {
            Error::Gpu(format!(
                "no GPU adapter found ({e}). Install a Vulkan driver (on Debian: apt-get install \
                 mesa-vulkan-drivers libvulkan1 for the CPU one, lavapipe), or use the CPU backend"
            ))
        })?;
        let info = adapter.get_info();
        let limits = adapter.limits();
        for (what, have, need) in [
            ("max_compute_invocations_per_workgroup", limits.max_compute_invocations_per_workgroup, GROUP),
            ("max_storage_buffers_per_shader_stage", limits.max_storage_buffers_per_shader_stage, 8),
        ] {
            if have < need {
                return Err(Error::Gpu(format!("adapter {} has {what} = {have}, softras needs {need}", info.name)));
            }
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("softras"),
            required_features: wgpu::Features::empty(),
            required_limits: limits,
            experimental_features: wgpu::ExperimentalFeatures::default(),
            memory_hints: wgpu::MemoryHints::Performance,
            trace: wgpu::Trace::Off,
        }))
        .map_err(|e| Error::Gpu(format!("could not open a device on {}: {e}", info.name)))?;
        let last_error: Arc<Mutex<Option<String>>> = Arc::default();
        let sink = last_error.clone();
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| e.to_string());
        }));
        let lost: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let (flag, sink) = (lost.clone(), last_error.clone());
        device.set_device_lost_callback(move |reason, msg| {
            // dropping the device at exit also calls this; only a real loss is an error
            if matches!(reason, wgpu::DeviceLostReason::Unknown) {
                flag.store(true, std::sync::atomic::Ordering::SeqCst);
                let mut slot = sink.lock().unwrap_or_else(|p| p.into_inner());
                slot.get_or_insert_with(|| format!("the GPU device was lost ({msg}): a driver reset or the GPU went away"));
            }
        });
        Ok(GpuContext { device, queue, info, last_error, lost })
    }

    fn request_adapter(backends: wgpu::Backends) -> std::result::Result<wgpu::Adapter, wgpu::RequestAdapterError> {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        desc.backends = backends;
        let instance = wgpu::Instance::new(desc);
        pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: None,
        }))
    }

    /// One device per process, opened on first use (tests and the CLI share it).
    pub fn shared() -> Result<Arc<GpuContext>> {
        static CTX: OnceLock<std::result::Result<Arc<GpuContext>, String>> = OnceLock::new();
        CTX.get_or_init(|| GpuContext::new().map(Arc::new).map_err(|e| e.to_string())).clone().map_err(Error::Gpu)
    }

    /// "name (backend, device type)".
    pub fn describe(&self) -> String {
        format!("{} ({:?}, {:?})", self.info.name, self.info.backend, self.info.device_type)
    }

    /// Returns the first wgpu error seen since the last check, if any.
    pub fn take_error(&self) -> Result<()> {
        match self.last_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => Err(Error::Gpu(e)),
            None => Ok(()),
        }
    }

    /// Blocks until the queue is idle.
    pub fn wait(&self) -> Result<()> {
        self.wait_for(None)
    }

    /// Blocks until `submission` (None: all work) is done, in slices of [`WAIT_SLICE`]; a lost device
    /// ends the wait with an error instead of blocking forever.
    pub fn wait_for(&self, submission: Option<wgpu::SubmissionIndex>) -> Result<()> {
        loop {
            match self.device.poll(wgpu::PollType::Wait { submission_index: submission.clone(), timeout: Some(WAIT_SLICE) }) {
                Ok(_) => return Ok(()),
                Err(wgpu::PollError::Timeout) if !self.lost.load(std::sync::atomic::Ordering::SeqCst) => continue,
                Err(wgpu::PollError::Timeout) => {
                    self.take_error()?;
                    return Err(Error::Gpu("the GPU device was lost".into()));
                }
                Err(e) => return Err(Error::Gpu(format!("waiting for the device failed: {e}"))),
            }
        }
    }

    /// A host-readable buffer to copy results into.
    pub fn staging_buffer(&self, size: u64) -> wgpu::Buffer {
        self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("staging"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        })
    }

    /// Copies a buffer back to the host (staging buffer, map, wait).
    pub fn read<T: Pod>(&self, src: &GpuBuf<T>) -> Result<Vec<T>> {
        let size = (src.len * std::mem::size_of::<T>()) as u64;
        let staging = self.staging_buffer(size.max(4));
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        enc.copy_buffer_to_buffer(&src.buf, 0, &staging, 0, size);
        self.queue.submit([enc.finish()]);
        let (tx, rx) = std::sync::mpsc::channel();
        staging.slice(..size).map_async(wgpu::MapMode::Read, move |r| {
            let _ = tx.send(r);
        });
        self.wait()?;
        self.take_error()?;
        rx.recv().map_err(|_| Error::Gpu("readback never completed".into()))?.map_err(|e| Error::Gpu(format!("readback failed: {e}")))?;
        let out = bytemuck::cast_slice::<u8, T>(&staging.slice(..size).get_mapped_range()).to_vec();
        staging.unmap();
        Ok(out)
    }
}

/// A typed storage buffer.
pub struct GpuBuf<T: Pod> {
    pub buf: wgpu::Buffer,
    pub len: usize,
    _t: PhantomData<T>,
}

impl<T: Pod> GpuBuf<T> {
    pub fn storage(device: &wgpu::Device, label: &str, len: usize) -> Self {
        let size = ((len.max(1) * std::mem::size_of::<T>()) as u64).next_multiple_of(4);
        let buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        GpuBuf { buf, len, _t: PhantomData }
    }

    /// A storage buffer holding `data`.
    pub fn from_slice(device: &wgpu::Device, queue: &wgpu::Queue, label: &str, data: &[T]) -> Self {
        let b = Self::storage(device, label, data.len());
        b.write(queue, data);
        b
    }

    pub fn write(&self, queue: &wgpu::Queue, data: &[T]) {
        debug_assert!(data.len() <= self.len.max(1));
        queue.write_buffer(&self.buf, 0, bytemuck::cast_slice(data));
    }

    pub fn bytes(&self) -> u64 {
        (self.len * std::mem::size_of::<T>()) as u64
    }
}

// ------------------------------------------------------------------------------------------------
// Passes

/// How a pass binds one resource.
#[derive(Clone, Copy)]
pub enum Bind {
    Uniform,
    Read,
    ReadWrite,
}

/// One compute pass: one WGSL file, one pipeline, one explicit bind group layout.
pub struct Pass {
    pub name: &'static str,
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

impl Pass {
    pub fn new(device: &wgpu::Device, name: &'static str, binds: &[Bind]) -> Pass {
        let src = pass_source(name).expect("pass names are the files in PASS_SOURCES");
        let module =
            device.create_shader_module(wgpu::ShaderModuleDescriptor { label: Some(name), source: wgpu::ShaderSource::Wgsl(src.into()) });
        let entries: Vec<wgpu::BindGroupLayoutEntry> = binds
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupLayoutEntry {
                binding: i as u32,
                visibility: wgpu::ShaderStages::COMPUTE,
                ty: wgpu::BindingType::Buffer {
                    ty: match b {
                        Bind::Uniform => wgpu::BufferBindingType::Uniform,
                        Bind::Read => wgpu::BufferBindingType::Storage { read_only: true },
                        Bind::ReadWrite => wgpu::BufferBindingType::Storage { read_only: false },
                    },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            })
            .collect();
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(name), entries: &entries });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(name),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: Some(&pl),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Pass { name, pipeline, layout }
    }

    pub fn bind(&self, device: &wgpu::Device, buffers: &[&wgpu::Buffer]) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> =
            buffers.iter().enumerate().map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() }).collect();
        device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(self.name), layout: &self.layout, entries: &entries })
    }
}

/// All pipelines, built once per device.
pub struct Passes {
    pub project: Pass,
    pub setup: Pass,
    pub forward: Pass,
    pub resolve: Pass,
    pub backward: Pass,
    pub gather: Pass,
}

impl Passes {
    pub fn new(ctx: &GpuContext) -> Result<Passes> {
        use Bind::*;
        let d = &ctx.device;
        let scope = d.push_error_scope(wgpu::ErrorFilter::Validation);
        let passes = Passes {
            project: Pass::new(d, "project", &[Uniform, Read, Read, ReadWrite]),
            setup: Pass::new(d, "setup", &[Uniform, Read, Read, ReadWrite]),
            forward: Pass::new(d, "forward", &[Uniform, Read, ReadWrite]),
            resolve: Pass::new(d, "resolve", &[Uniform, Read, ReadWrite, ReadWrite, ReadWrite]),
            backward: Pass::new(d, "backward", &[Uniform, Read, Read, Read, ReadWrite]),
            gather: Pass::new(d, "gather", &[Uniform, Read, Read, Read, Read, Read, ReadWrite]),
        };
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu(format!("building the compute pipelines failed: {e}")));
        }
        Ok(passes)
    }
}

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

impl Dims {
    pub fn pixels(&self) -> usize {
        self.width as usize * self.height as usize * self.views as usize
    }

    /// Checks every buffer and dispatch against the device's limits, with a message saying what to lower.
    pub fn check_limits(&self, limits: &wgpu::Limits) -> Result<()> {
        let max_bind = limits.max_storage_buffer_binding_size.min(limits.max_buffer_size);
        let (v, f) = (self.views as u64, self.faces as u64);
        for (what, bytes, lower) in [
            ("per-pixel accumulators", self.pixels() as u64 * 8, "image size or number of views"),
            ("face records", v * f * 64, "number of faces or views"),
            ("face gradients", v * f * 24, "number of faces or views"),
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
    pub vf_offsets: GpuBuf<u32>,
    pub vf_entries: GpuBuf<u32>,
    pub v_verts: GpuBuf<[f32; 4]>,
    groups: Vec<wgpu::BindGroup>,
}

impl RasterBuffers {
    /// Allocates for `dims` and uploads the topology of `mesh` (faces and vertex→face lists).
    pub fn new(ctx: &GpuContext, passes: &Passes, dims: Dims, mesh: &Mesh) -> Result<RasterBuffers> {
        dims.check_limits(&ctx.device.limits())?;
        let d = &ctx.device;
        let oom = d.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val = d.push_error_scope(wgpu::ErrorFilter::Validation);
        let (nv, nf, px) = (dims.verts as usize, dims.faces as usize, dims.pixels());
        let views = dims.views as usize;
        let uniforms = d.create_buffer(&wgpu::BufferDescriptor {
            label: Some("uniforms"),
            size: std::mem::size_of::<RasterUniforms>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let vf = mesh.vertex_faces();
        let mut b = RasterBuffers {
            dims,
            cams: GpuBuf::storage(d, "cams", views),
            verts: GpuBuf::storage(d, "verts", nv),
            faces: GpuBuf::storage(d, "faces", nf * 3),
            proj: GpuBuf::storage(d, "proj", views * nv),
            recs: GpuBuf::storage(d, "recs", views * nf),
            acc: GpuBuf::storage(d, "acc", 2 * px),
            log_t: GpuBuf::storage(d, "log_t", px),
            trans: GpuBuf::storage(d, "trans", px),
            sil: GpuBuf::storage(d, "sil", px),
            v_sil: GpuBuf::storage(d, "v_sil", px),
            v_face: GpuBuf::storage(d, "v_face", views * nf * 3),
            vf_offsets: GpuBuf::storage(d, "vf_offsets", vf.offsets.len()),
            vf_entries: GpuBuf::storage(d, "vf_entries", vf.entries.len()),
            v_verts: GpuBuf::storage(d, "v_verts", nv),
            groups: Vec::new(),
            uniforms,
        };
        b.groups = vec![
            passes.project.bind(d, &[&b.uniforms, &b.cams.buf, &b.verts.buf, &b.proj.buf]),
            passes.setup.bind(d, &[&b.uniforms, &b.proj.buf, &b.faces.buf, &b.recs.buf]),
            passes.forward.bind(d, &[&b.uniforms, &b.recs.buf, &b.acc.buf]),
            passes.resolve.bind(d, &[&b.uniforms, &b.acc.buf, &b.log_t.buf, &b.sil.buf, &b.trans.buf]),
            passes.backward.bind(d, &[&b.uniforms, &b.recs.buf, &b.trans.buf, &b.v_sil.buf, &b.v_face.buf]),
            passes
                .gather
                .bind(d, &[&b.uniforms, &b.cams.buf, &b.proj.buf, &b.vf_offsets.buf, &b.vf_entries.buf, &b.v_face.buf, &b.v_verts.buf]),
        ];
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

    /// Uploads uniforms, cameras and vertex positions.
    pub fn upload(&self, ctx: &GpuContext, mesh: &Mesh, cams: &[Camera], s: &RasterSettings) {
        self.write_settings(ctx, s);
        self.write_cameras(ctx, cams);
        let v: Vec<[f32; 4]> = mesh.vertices.iter().map(|p| [p.x, p.y, p.z, 0.0]).collect();
        self.verts.write(&ctx.queue, &v);
    }

    /// Uploads the uniforms (σ, cull radius, near, sizes): they take effect at the next submission.
    pub fn write_settings(&self, ctx: &GpuContext, s: &RasterSettings) {
        let u = RasterUniforms {
            width: s.width,
            height: s.height,
            num_views: self.dims.views,
            num_verts: self.dims.verts,
            num_faces: self.dims.faces,
            sigma: s.sigma as f32,
            cull_r: s.cull_radius() as f32,
            near: s.near as f32,
        };
        ctx.queue.write_buffer(&self.uniforms, 0, bytemuck::bytes_of(&u));
    }

    pub fn write_cameras(&self, ctx: &GpuContext, cams: &[Camera]) {
        let gc: Vec<GpuCamera> = cams.iter().map(GpuCamera::from).collect();
        self.cams.write(&ctx.queue, &gc);
    }

    /// Records project → setup → (clear) → forward → resolve.
    pub fn encode_forward(&self, passes: &Passes, enc: &mut wgpu::CommandEncoder) {
        let d = self.dims;
        let (vg, fg, pg) = (d.verts.div_ceil(GROUP), d.faces.div_ceil(GROUP), (d.width * d.height).div_ceil(GROUP).min(65535));
        self.dispatch(enc, &[(&passes.project, 0, (vg, d.views)), (&passes.setup, 1, (fg, d.views))]);
        enc.clear_buffer(&self.acc.buf, 0, None);
        self.dispatch(enc, &[(&passes.forward, 2, (fg, d.views)), (&passes.resolve, 3, (pg, d.views))]);
    }

    /// Records backward → gather (needs the forward's log T and `v_sil`).
    pub fn encode_backward(&self, passes: &Passes, enc: &mut wgpu::CommandEncoder) {
        let d = self.dims;
        self.dispatch(enc, &[(&passes.backward, 4, (d.faces.div_ceil(GROUP), d.views)), (&passes.gather, 5, (d.verts.div_ceil(GROUP), 1))]);
    }

    fn dispatch(&self, enc: &mut wgpu::CommandEncoder, steps: &[(&Pass, usize, (u32, u32))]) {
        let steps: Vec<_> = steps.iter().map(|(p, g, xy)| (*p, &self.groups[*g], *xy)).collect();
        dispatch(enc, &steps);
    }
}

/// One compute pass running (pass, bind group, workgroups x × y) in order; wgpu orders the dispatches.
pub fn dispatch(enc: &mut wgpu::CommandEncoder, steps: &[(&Pass, &wgpu::BindGroup, (u32, u32))]) {
    let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(steps[0].0.name), timestamp_writes: None });
    for (pass, group, (x, y)) in steps {
        cp.set_pipeline(&pass.pipeline);
        cp.set_bind_group(0, *group, &[]);
        cp.dispatch_workgroups(*x, *y, 1);
    }
}

// ------------------------------------------------------------------------------------------------
// The engine

/// The GPU soft rasterizer behind the [`SoftRasterizer`] trait. Buffers are kept between calls and
/// rebuilt only when the sizes or the topology change.
pub struct GpuRaster {
    pub ctx: Arc<GpuContext>,
    pub passes: Passes,
    cache: Option<(Vec<[u32; 3]>, RasterBuffers)>,
}

impl GpuRaster {
    pub fn new(ctx: Arc<GpuContext>) -> Result<GpuRaster> {
        let passes = Passes::new(&ctx)?;
        Ok(GpuRaster { ctx, passes, cache: None })
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
            let b = RasterBuffers::new(&self.ctx, &self.passes, dims, mesh)?;
            self.cache = Some((mesh.faces.clone(), b));
        }
        let (_, b) = self.cache.as_ref().expect("just filled");
        b.upload(&self.ctx, mesh, cams, s);
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
        b.encode_forward(&self.passes, &mut enc);
        if backward {
            b.encode_backward(&self.passes, &mut enc);
        }
        self.ctx.queue.submit([enc.finish()]);
        self.ctx.wait()?;
        self.ctx.take_error()
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
