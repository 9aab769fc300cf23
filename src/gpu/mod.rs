//! The device layer shared by the rasterizer and the fitter: softras's own wgpu device and queue
//! ([`GpuContext`], one per process), typed storage buffers ([`GpuBuf`]), readback, waits that notice a
//! lost device, and the compute passes ([`pass`]): one Rust declaration per WGSL file, compiled once per
//! device into a pipeline cache.
pub mod pass;

pub use pass::{Bind, Bound, Op, PassDecl, PassInfo, Pipeline, PipelineCache, dispatch, encode, profile};

use crate::error::{Error, Result};
use bytemuck::Pod;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex, OnceLock};

/// Workgroup size of every pass but the one-workgroup reductions (`GROUP` in the WGSL, which
/// [`pass::compose`] defines from this constant).
pub const GROUP: u32 = 64;

/// A wgpu device of softras's own, with the adapter it came from.
pub struct GpuContext {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub info: wgpu::AdapterInfo,
    /// The first uncaptured wgpu error, turned into an `Err` at the next readback instead of a panic.
    last_error: Arc<Mutex<Option<String>>>,
    /// Set by the device-lost callback (driver reset, GPU gone): waits give up instead of blocking.
    lost: Arc<std::sync::atomic::AtomicBool>,
    /// Compiled pipelines by pass file: each is built once per device (a viewer reset reuses them).
    pipelines: PipelineCache,
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
            // timestamps only for `bench fit --passes`; everything else needs no optional feature
            required_features: adapter.features() & wgpu::Features::TIMESTAMP_QUERY,
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
        Ok(GpuContext { device, queue, info, last_error, lost, pipelines: PipelineCache::default() })
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
        CTX.get_or_init(|| {
            GpuContext::new().map(Arc::new).map_err(|e| match e {
                Error::Gpu(m) => m, // kept without its "GPU: " prefix, which Error::Gpu adds back
                other => other.to_string(),
            })
        })
        .clone()
        .map_err(Error::Gpu)
    }

    /// Whether the device times passes itself (timestamp queries).
    pub fn has_timestamps(&self) -> bool {
        self.device.features().contains(wgpu::Features::TIMESTAMP_QUERY)
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
        Self::with_usage(device, label, len, wgpu::BufferUsages::empty())
    }

    /// A storage buffer that is also the arguments of indirect dispatches ([`Op::Indirect`](pass::Op)).
    pub fn indirect(device: &wgpu::Device, label: &str, len: usize) -> Self {
        Self::with_usage(device, label, len, wgpu::BufferUsages::INDIRECT)
    }

    fn with_usage(device: &wgpu::Device, label: &str, len: usize, extra: wgpu::BufferUsages) -> Self {
        let size = ((len.max(1) * std::mem::size_of::<T>()) as u64).next_multiple_of(4);
        let buf = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(label),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST | extra,
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

/// A uniform buffer of `size` bytes, written with `queue.write_buffer`.
pub fn uniform_buffer(d: &wgpu::Device, label: &str, size: usize) -> wgpu::Buffer {
    d.create_buffer(&wgpu::BufferDescriptor {
        label: Some(label),
        size: size as u64,
        usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    })
}
