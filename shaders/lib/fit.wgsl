// lib/fit.wgsl — the fit passes' uniforms and the layout of the mesh topology buffer.

// Settings of one optimisation step (fit passes only; rewritten before every step).
struct FitUniforms {
    num_verts: u32,
    num_edges: u32,
    num_views: u32,
    num_pixels: u32,   // per view
    lr: f32,
    beta1: f32,
    beta2: f32,
    adam_eps: f32,
    bias1: f32,        // 1 - beta1^t
    bias2: f32,        // 1 - beta2^t
    lambda_lap: f32,
    lambda_flat: f32,
    history_slot: u32, // where record.wgsl writes this step's numbers
    lambda_depth: f32, // depth prior (depth.wgsl); 0: off
    depth_z0: f32,     // camera-space depth of the template centre in view 0
    depth_size: u32,   // side of the height map (the target's size)
    depth_near: f32,   // vertices at z_c <= this get no depth term
    thickness: f32,    // scales the height map (depth.wgsl)
    large_steps: u32,  // 1: the large-steps optimizer (vertex_grad.wgsl leaves ∂L/∂v, no parametrization)
    weight_sum: f32,   // Σ of the per-view loss weights as uploaded (iou_grad.wgsl, record.wgsl)
}

// topo (fit passes): one u32 array holding, one after another,
//   nbr_offsets[num_verts + 1] | neighbors[nbr_offsets[num_verts]] |
//   slot_offsets[num_verts + 1] | edge_slots[...]  (slot = edge * 4 + role, roles v0, v1, v2, v3);
// offsets are relative to the start of their list.
