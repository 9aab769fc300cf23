//! Compute passes: one WGSL file in `shaders/`, one Rust declaration beside the code that runs it.
//!
//! A declaration ([`gpu_pass!`](crate::gpu_pass)) names the pass's WGSL file, the shared WGSL files it
//! uses (`shaders/lib/`), and its bindings in order as named fields; it becomes a struct with one buffer
//! per field. Filling that struct is the only way to bind the pass, so layout and bind group come from
//! the same list, and a test checks every declaration against its WGSL (names, numbers, access):
//!
//! ```ignore
//! gpu_pass! {
//!     /// per (vertex, view): camera space and screen position
//!     pub Project = "project" uses ["raster", "camera"] {
//!         u: Uniform, cams: Read, verts: Read, proj: ReadWrite,
//!     }
//! }
//! let bound = ctx.bind(&Project { u: &uniforms, cams: &cams.buf, verts: &verts.buf, proj: &proj.buf })?;
//! dispatch(&mut encoder, &[(&bound, (groups_x, views))]);
//! ```
use super::{GROUP, GpuContext};
use crate::error::{Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How a pass binds one resource (group 0, binding = position in the declaration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bind {
    /// `var<uniform>`
    Uniform,
    /// `var<storage, read>`
    Read,
    /// `var<storage, read_write>`
    ReadWrite,
}

/// What a declaration says about its pass.
#[derive(Debug)]
pub struct PassInfo {
    /// The WGSL file's stem in `shaders/` (also the pipeline's cache key and label).
    pub file: &'static str,
    /// The WGSL file's text.
    pub source: &'static str,
    /// Shared files of `shaders/lib/` prepended to it, in this order.
    pub uses: &'static [&'static str],
    /// The bindings of group 0 in binding order: the WGSL variable's name and how it is bound.
    pub bindings: &'static [(&'static str, Bind)],
}

impl PassInfo {
    /// The full WGSL the device compiles.
    pub fn full_source(&self) -> String {
        compose(self.uses, self.source)
    }
}

/// A pass declaration: made by [`gpu_pass!`](crate::gpu_pass), a struct with one buffer per binding.
pub trait PassDecl {
    const INFO: PassInfo;
    /// The buffers in binding order.
    fn buffers(&self) -> Vec<&wgpu::Buffer>;
}

/// Declares a compute pass: `Name = "file" uses ["lib", ...] { binding: Uniform|Read|ReadWrite, ... }`.
/// The fields are named as the WGSL variables, in binding order.
#[macro_export]
macro_rules! gpu_pass {
    ($(#[$doc:meta])* $vis:vis $name:ident = $file:literal uses [$($lib:literal),* $(,)?] {
        $($field:ident : $kind:ident),* $(,)?
    }) => {
        $(#[$doc])*
        $vis struct $name<'a> {
            $(pub $field: &'a wgpu::Buffer,)*
        }
        impl $crate::gpu::PassDecl for $name<'_> {
            const INFO: $crate::gpu::PassInfo = $crate::gpu::PassInfo {
                file: $file,
                source: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/shaders/", $file, ".wgsl")),
                uses: &[$($lib),*],
                bindings: &[$((stringify!($field), $crate::gpu::Bind::$kind)),*],
            };
            fn buffers(&self) -> Vec<&wgpu::Buffer> {
                vec![$(self.$field),*]
            }
        }
    };
}

/// The shared WGSL files (`shaders/lib/`), by name.
pub const LIBS: [(&str, &str); 7] = [
    ("raster", include_str!("../../shaders/lib/raster.wgsl")),
    ("camera", include_str!("../../shaders/lib/camera.wgsl")),
    ("math", include_str!("../../shaders/lib/math.wgsl")),
    ("pixels", include_str!("../../shaders/lib/pixels.wgsl")),
    ("items", include_str!("../../shaders/lib/items.wgsl")),
    ("fit", include_str!("../../shaders/lib/fit.wgsl")),
    ("reduce", include_str!("../../shaders/lib/reduce.wgsl")),
];

/// A pass's full WGSL: `GROUP` (from [`GROUP`]), the shared files it uses, then its own file.
pub fn compose(uses: &[&str], source: &str) -> String {
    let mut out = format!("const GROUP: u32 = {GROUP}u; // workgroup size (gpu::GROUP)\n");
    for name in uses {
        let (_, lib) = LIBS.iter().find(|(n, _)| n == name).unwrap_or_else(|| panic!("no shaders/lib/{name}.wgsl"));
        out.push_str(lib);
        out.push('\n');
    }
    out.push_str(source);
    out
}

/// One compiled pass: its pipeline and bind group layout.
pub struct Pipeline {
    pub name: &'static str,
    pub pipeline: wgpu::ComputePipeline,
    pub layout: wgpu::BindGroupLayout,
}

impl Pipeline {
    fn new(device: &wgpu::Device, info: &PassInfo) -> Pipeline {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(info.file),
            source: wgpu::ShaderSource::Wgsl(info.full_source().into()),
        });
        let entries: Vec<wgpu::BindGroupLayoutEntry> = info
            .bindings
            .iter()
            .enumerate()
            .map(|(i, (_, b))| wgpu::BindGroupLayoutEntry {
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
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor { label: Some(info.file), entries: &entries });
        let pl = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some(info.file),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(info.file),
            layout: Some(&pl),
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        Pipeline { name: info.file, pipeline, layout }
    }
}

/// The compiled pipelines of one device, by pass file; built on first use.
#[derive(Default)]
pub struct PipelineCache(Mutex<HashMap<&'static str, Arc<Pipeline>>>);

impl PipelineCache {
    /// How many pipelines are compiled.
    pub fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A pass ready to dispatch: its pipeline and a bind group of its declared buffers.
pub struct Bound {
    pub pipeline: Arc<Pipeline>,
    pub group: wgpu::BindGroup,
}

impl GpuContext {
    /// The compiled pipeline of a pass, compiling it on first use.
    pub fn pipeline<P: PassDecl>(&self) -> Result<Arc<Pipeline>> {
        let info = &P::INFO;
        let mut cache = self.pipelines.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = cache.get(info.file) {
            return Ok(p.clone());
        }
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let p = Arc::new(Pipeline::new(&self.device, info));
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(Error::Gpu(format!("building the {} pipeline failed: {e}", info.file)));
        }
        cache.insert(info.file, p.clone());
        Ok(p)
    }

    /// Binds a pass's buffers (compiling its pipeline on first use).
    pub fn bind<P: PassDecl>(&self, decl: &P) -> Result<Bound> {
        let pipeline = self.pipeline::<P>()?;
        let entries: Vec<wgpu::BindGroupEntry> = decl
            .buffers()
            .into_iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
            .collect();
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(P::INFO.file),
            layout: &pipeline.layout,
            entries: &entries,
        });
        Ok(Bound { pipeline, group })
    }

    /// The pipelines compiled on this device so far.
    pub fn pipelines(&self) -> &PipelineCache {
        &self.pipelines
    }
}

/// One GPU operation of a step.
#[derive(Clone, Copy)]
pub enum Op<'a> {
    /// A bound pass over workgroups x × y.
    Dispatch(&'a Bound, (u32, u32)),
    /// A bound pass over the workgroups (x, y, z) that an earlier pass wrote at the start of the buffer
    /// (which has `INDIRECT` usage).
    Indirect(&'a Bound, &'a wgpu::Buffer),
    /// Zeroes a buffer (named for profiles).
    Clear(&'static str, &'a wgpu::Buffer),
}

impl Op<'_> {
    pub fn name(&self) -> &'static str {
        match self {
            Op::Dispatch(b, _) | Op::Indirect(b, _) => b.pipeline.name,
            Op::Clear(name, _) => name,
        }
    }
}

/// Records `ops` in order: consecutive dispatches share one compute pass; wgpu orders them.
pub fn encode(enc: &mut wgpu::CommandEncoder, ops: &[Op]) {
    let mut k = 0;
    while k < ops.len() {
        match &ops[k] {
            Op::Clear(_, buf) => {
                enc.clear_buffer(buf, 0, None);
                k += 1;
            }
            Op::Dispatch(..) | Op::Indirect(..) => {
                let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(ops[k].name()), timestamp_writes: None });
                while let Some(op) = ops.get(k) {
                    if !record(&mut cp, op) {
                        break;
                    }
                    k += 1;
                }
            }
        }
    }
}

/// Records a dispatch `op` into `cp`; false (nothing recorded) for an op that is not a dispatch.
fn record(cp: &mut wgpu::ComputePass, op: &Op) -> bool {
    match op {
        Op::Dispatch(bound, (x, y)) => {
            cp.set_pipeline(&bound.pipeline.pipeline);
            cp.set_bind_group(0, &bound.group, &[]);
            cp.dispatch_workgroups(*x, *y, 1);
        }
        Op::Indirect(bound, args) => {
            cp.set_pipeline(&bound.pipeline.pipeline);
            cp.set_bind_group(0, &bound.group, &[]);
            cp.dispatch_workgroups_indirect(args, 0);
        }
        Op::Clear(..) => return false,
    }
    true
}

/// One compute pass running (bound pass, workgroups x × y) in order.
pub fn dispatch(enc: &mut wgpu::CommandEncoder, steps: &[(&Bound, (u32, u32))]) {
    let ops: Vec<Op> = steps.iter().map(|(b, xy)| Op::Dispatch(b, *xy)).collect();
    encode(enc, &ops);
}

/// Times each of `ops` on its own: GPU timestamps around it where the device has them (see
/// [`GpuContext::has_timestamps`]), else the wall time of a submission of that op alone and its wait.
/// Each op runs after the ones before it, so the work is that of a real step.
pub fn profile(ctx: &GpuContext, ops: &[Op]) -> Result<Vec<(&'static str, std::time::Duration)>> {
    let mut out = Vec::with_capacity(ops.len());
    let stamps = ctx.has_timestamps().then(|| {
        let set =
            ctx.device.create_query_set(&wgpu::QuerySetDescriptor { label: Some("profile"), ty: wgpu::QueryType::Timestamp, count: 2 });
        let resolve = ctx.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("profile resolve"),
            size: 16,
            usage: wgpu::BufferUsages::QUERY_RESOLVE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let read = super::GpuBuf::<u64>::storage(&ctx.device, "profile read", 2);
        (set, resolve, read)
    });
    for op in ops {
        let mut enc = ctx.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(op.name()) });
        let (Some((set, resolve, read)), Op::Dispatch(..) | Op::Indirect(..)) = (&stamps, op) else {
            encode(&mut enc, std::slice::from_ref(op));
            let t0 = std::time::Instant::now();
            ctx.queue.submit([enc.finish()]);
            ctx.wait()?;
            out.push((op.name(), t0.elapsed()));
            continue;
        };
        {
            let writes = wgpu::ComputePassTimestampWrites {
                query_set: set,
                beginning_of_pass_write_index: Some(0),
                end_of_pass_write_index: Some(1),
            };
            let mut cp = enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(op.name()), timestamp_writes: Some(writes) });
            record(&mut cp, op);
        }
        enc.resolve_query_set(set, 0..2, resolve, 0);
        enc.copy_buffer_to_buffer(resolve, 0, &read.buf, 0, 16);
        ctx.queue.submit([enc.finish()]);
        let t = ctx.read(read)?;
        let ns = t[1].saturating_sub(t[0]) as f64 * f64::from(ctx.queue.get_timestamp_period());
        out.push((op.name(), std::time::Duration::from_nanos(ns as u64)));
    }
    ctx.take_error()?;
    Ok(out)
}
