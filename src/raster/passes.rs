//! The rasterizer's GPU passes, one declaration per WGSL file, and the Rust mirrors of the WGSL
//! structs they share (a test checks sizes and offsets against naga's layout of the WGSL).
//! Order of one rasterization: [`Project`] → [`Setup`] → [`Items`] → [`Forward`] → [`Resolve`] (S and
//! log T), then [`Backward`] → [`BackwardSum`] → [`Gather`] (∂L/∂vertex).
use crate::camera::Camera;
use crate::gpu::PassInfo;
use crate::gpu_pass;
use bytemuck::{Pod, Zeroable};
use glam::DVec3;

/// Mirrors `RasterUniforms` in shaders/lib/raster.wgsl.
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
    /// Pixels per work item before doubling (see shaders/lib/items.wgsl).
    pub chunk: u32,
}

/// Mirrors `FaceRec` in shaders/lib/raster.wgsl (64 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FaceRec {
    pub ab: [f32; 4],
    pub c_flags: [f32; 4],
    pub range: [i32; 4],
    pub inv_len2: [f32; 4],
}

/// Mirrors `Camera` in shaders/lib/camera.wgsl: rows of R, the eye and tan θ (f32).
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct GpuCamera {
    /// xyz: R's first row; w: the orthographic scale s = 2 / width, 0 for perspective.
    pub r0: [f32; 4],
    pub r1: [f32; 4],
    pub r2: [f32; 4],
    /// xyz: the eye e (v_c = R (v − e)); w: tan θ (perspective; 0 for orthographic).
    pub eye_tan: [f32; 4],
}

impl From<&Camera> for GpuCamera {
    fn from(c: &Camera) -> Self {
        let r = c.rotation();
        let row = |v: DVec3, w: f64| [v.x as f32, v.y as f32, v.z as f32, w as f32];
        let (scale, tan) = match c.ortho_scale() {
            Some(s) => (s, 0.0),
            None => (0.0, c.tan_half_fov()),
        };
        GpuCamera { r0: row(r.row(0), scale), r1: row(r.row(1), 0.0), r2: row(r.row(2), 0.0), eye_tan: row(c.eye(), tan) }
    }
}

gpu_pass! {
    /// Per (vertex, view): camera space and screen position.
    pub Project = "project" uses ["raster", "camera"] { u: Uniform, cams: Read, verts: Read, proj: ReadWrite }
}
gpu_pass! {
    /// Per (face, view): the face record (corners, flags, grown pixel range) and its work-item count.
    pub Setup = "setup" uses ["raster", "math", "pixels", "items"] {
        u: Uniform, proj: Read, faces: Read, recs: ReadWrite, item_start: ReadWrite,
    }
}
gpu_pass! {
    /// One workgroup: work items of the face passes (prefix sum of the counts, chunk size, indirect
    /// dispatch arguments).
    pub Items = "items" uses ["raster", "math", "pixels", "items"] { u: Uniform, item_start: ReadWrite, args: ReadWrite }
}
gpu_pass! {
    /// Splat of softplus into exact fixed-point −log T sums, one invocation per work item (a piece of a
    /// face's range).
    pub Forward = "forward" uses ["raster", "math", "pixels", "items"] { u: Uniform, recs: Read, acc: ReadWrite, item_start: Read }
}
gpu_pass! {
    /// Per pixel: log T, T and S from the fixed-point sums.
    pub Resolve = "resolve" uses ["raster", "math"] {
        u: Uniform, acc: Read, log_t: ReadWrite, sil: ReadWrite, trans: ReadWrite,
    }
}
gpu_pass! {
    /// ∂L/∂(face corners) in NDC, one invocation per work item, into per-item partial sums (a face of one
    /// item: straight into the face's slot).
    pub Backward = "backward" uses ["raster", "math", "pixels", "items"] {
        u: Uniform, recs: Read, trans: Read, v_sil: Read, item_start: Read, v_item: ReadWrite, v_face: ReadWrite,
    }
}
gpu_pass! {
    /// Per (face, view) of 0 or ≥ 2 items: the sum of its items' partial sums in item order.
    pub BackwardSum = "backward_sum" uses ["raster"] { u: Uniform, item_start: Read, v_item: Read, v_face: ReadWrite }
}
gpu_pass! {
    /// Per vertex: the corners' gradients through each view's projection, summed over views.
    pub Gather = "gather" uses ["raster", "camera"] {
        u: Uniform, cams: Read, proj: Read, vf_offsets: Read, vf_entries: Read, v_face: Read, v_verts: ReadWrite,
    }
}

/// Every rasterizer pass.
pub const ALL: [&PassInfo; 8] = {
    use crate::gpu::PassDecl;
    [&Project::INFO, &Setup::INFO, &Items::INFO, &Forward::INFO, &Resolve::INFO, &Backward::INFO, &BackwardSum::INFO, &Gather::INFO]
};
