//! The fit's GPU passes, one declaration per WGSL file, and the Rust mirrors of their uniforms (a test
//! checks sizes and offsets against naga's layout of the WGSL). One step runs, after the rasterizer's
//! forward pass: [`IouReduce`] → [`IouGrad`] → (rasterizer backward) → [`Depth`] (one-view fits) →
//! [`Laplacian`] → [`Flatten`] → [`VertexGrad`] → [`Reduce`] ×3 → [`Adam`] → [`Record`]; [`Params`]
//! turns the parameters into vertices before the forward pass. With large steps, [`Cg`] solves the
//! vertices from u in place of [`Params`], and [`Cg`] (for g_u) → [`LsAdam`] replace [`Adam`].
use crate::gpu::PassInfo;
use crate::gpu_pass;
use bytemuck::{Pod, Zeroable};

/// Mirrors `FitUniforms` in shaders/lib/fit.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct FitUniforms {
    pub num_verts: u32,
    pub num_edges: u32,
    pub num_views: u32,
    pub num_pixels: u32,
    pub lr: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub adam_eps: f32,
    pub bias1: f32,
    pub bias2: f32,
    pub lambda_lap: f32,
    pub lambda_flat: f32,
    pub history_slot: u32,
    pub lambda_depth: f32,
    pub depth_z0: f32,
    pub depth_size: u32,
    pub depth_near: f32,
    pub thickness: f32,
    /// 1 with the large-steps optimizer.
    pub large_steps: u32,
    /// Sum of the per-view loss weights as uploaded ([`super::FitTarget::scaled_weights`]).
    pub weight_sum: f32,
}

/// Mirrors `CgUniforms` in shaders/cg.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct CgUniforms {
    pub n: u32,
    pub max_iters: u32,
    pub lambda: f32,
    /// Squared relative tolerance.
    pub tol2: f32,
    pub out_index: u32,
    pub _pad: [u32; 3],
}

/// Mirrors `ReduceUniforms` in shaders/lib/reduce.wgsl.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
pub struct ReduceUniforms {
    pub n: u32,
    pub offset: u32,
    pub stride: u32,
    pub out_index: u32,
}

gpu_pass! {
    /// SoftRas's parametrization: vertices from the template and the parameters (Δ, c).
    pub Params = "params" uses ["fit", "math"] { fu: Uniform, v0: Read, params: Read, verts: ReadWrite }
}
gpu_pass! {
    /// Per view: intersection and union of the soft silhouette and the mask.
    pub IouReduce = "iou_reduce" uses ["fit", "reduce"] { fu: Uniform, sil: Read, masks: Read, iou: ReadWrite }
}
gpu_pass! {
    /// Per pixel: ∂(1 − Σ_v w_v IoU_v / Σ_v w_v)/∂S.
    pub IouGrad = "iou_grad" uses ["fit"] { fu: Uniform, masks: Read, iou: Read, weights: Read, v_sil: ReadWrite }
}
gpu_pass! {
    /// The one-view depth prior: its gradient added into `v_verts`, its per-vertex terms.
    pub Depth = "depth" uses ["camera", "fit"] {
        fu: Uniform, cams: Read, verts: Read, hmap: Read, v_verts: ReadWrite, depth_res: ReadWrite,
    }
}
gpu_pass! {
    /// Per vertex: the uniform Laplacian ℓ_i and |ℓ_i|².
    pub Laplacian = "laplacian" uses ["fit"] { fu: Uniform, verts: Read, topo: Read, lap: ReadWrite }
}
gpu_pass! {
    /// Per interior edge: the flatten term and its gradient into the edge's 4 slots.
    pub Flatten = "flatten" uses ["fit"] { fu: Uniform, verts: Read, edges: Read, edge_grads: ReadWrite }
}
gpu_pass! {
    /// Per vertex: the total gradient, back through the parametrization.
    pub VertexGrad = "vertex_grad" uses ["fit", "math"] {
        fu: Uniform, v0: Read, params: Read, v_verts: Read, lap: Read, topo: Read, edge_grads: Read,
        grads: ReadWrite, vstats: ReadWrite,
    }
}
gpu_pass! {
    /// One workgroup: a strided sum into one slot of `dst`.
    pub Reduce = "reduce" uses ["reduce"] { ru: Uniform, src: Read, dst: ReadWrite }
}
gpu_pass! {
    /// torch.optim.Adam on Δ and c.
    pub Adam = "adam" uses ["fit", "math"] {
        fu: Uniform, grads: Read, stats: Read, params: ReadWrite, adam_m: ReadWrite, adam_v: ReadWrite,
    }
}
gpu_pass! {
    /// Large steps: M y = b by conjugate gradients in one workgroup, warm-started, to a tolerance.
    pub Cg = "cg" uses ["math", "reduce"] {
        cu: Uniform, topo: Read, b: Read, y: ReadWrite, work: ReadWrite, out: ReadWrite, cg_stats: ReadWrite,
    }
}
gpu_pass! {
    /// Large steps: uniform Adam on u (one √v̂ for the tensor).
    pub LsAdam = "ls_adam" uses ["fit", "math", "reduce"] { fu: Uniform, gu: Read, params: ReadWrite, adam_m: ReadWrite, adam_v: ReadWrite }
}
gpu_pass! {
    /// This step's numbers into its history slot.
    pub Record = "record" uses ["fit", "reduce"] { fu: Uniform, iou: Read, weights: Read, stats: Read, history: ReadWrite }
}

/// Every fit pass.
pub const ALL: [&PassInfo; 12] = {
    use crate::gpu::PassDecl;
    [
        &Params::INFO,
        &IouReduce::INFO,
        &IouGrad::INFO,
        &Depth::INFO,
        &Laplacian::INFO,
        &Flatten::INFO,
        &VertexGrad::INFO,
        &Reduce::INFO,
        &Adam::INFO,
        &Record::INFO,
        &Cg::INFO,
        &LsAdam::INFO,
    ]
};
