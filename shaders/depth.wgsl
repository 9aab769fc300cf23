// depth.wgsl — the depth prior of a one-view fit (MATH.md; CPU oracle: fit::depth::depth_loss), per
// vertex: r = |z_c − z₀| − t·h(q) with q = (x_c, y_c) / (z₀ tan θ) (weak perspective; orthographic:
// q = s·(x_c, y_c), both cam_project at depth z₀) and h view 0's height map (world units at thickness t = 1,
// bilinear between pixel centres, 0 beyond the image), L_depth = (λ / N) Σ r². Adds ∂L_depth/∂v into v_verts (after gather.wgsl,
// before vertex_grad.wgsl) and writes (λ / N) r² into depth_res[i].x (summed by reduce.wgsl).
// Only dispatched when λ_depth > 0.
// Dispatch: (ceil(num_verts / GROUP), 1, 1).

@group(0) @binding(0) var<uniform> fu: FitUniforms;
@group(0) @binding(1) var<storage, read> cams: array<Camera>;        // view 0 is the prior's view
@group(0) @binding(2) var<storage, read> verts: array<vec4f>;
@group(0) @binding(3) var<storage, read> hmap: array<f32>;           // depth_size², row 0 at the top
@group(0) @binding(4) var<storage, read_write> v_verts: array<vec4f>; // see gather.wgsl
@group(0) @binding(5) var<storage, read_write> depth_res: array<vec4f>;

fn h_at(i: i32, j: i32) -> f32 {
    let w = i32(fu.depth_size);
    if (i < 0 || j < 0 || i >= w || j >= w) {
        return 0.0;
    }
    return hmap[u32(j * w + i)];
}

@compute @workgroup_size(GROUP)
fn main(@builtin(global_invocation_id) gid: vec3u) {
    let i = gid.x;
    if (i >= fu.num_verts) {
        return;
    }
    depth_res[i] = vec4f(0.0);
    let cam = cams[0];
    let p = verts[i].xyz - cam.eye_tan.xyz;
    let xc = dot(cam.r0.xyz, p);
    let yc = dot(cam.r1.xyz, p);
    let zc = dot(cam.r2.xyz, p);
    if (zc <= fu.depth_near) {
        return;
    }
    // weak perspective at the centre's depth (see fit::depth::depth_loss)
    let q = cam_project(cam, vec3f(xc, yc, fu.depth_z0));
    let xs = q.x;
    let ys = q.y;
    // bilinear lookup in pixel coordinates (pixel centres at integers)
    let w = f32(fu.depth_size);
    let u = (xs + 1.0) * w * 0.5 - 0.5;
    let v = (1.0 - ys) * w * 0.5 - 0.5;
    var hv = 0.0;
    var hx = 0.0;
    var hy = 0.0;
    if (u >= -1.0 && v >= -1.0 && u < w && v < w) {
        let fi = floor(u);
        let fj = floor(v);
        let a = u - fi;
        let b = v - fj;
        let i0 = i32(fi);
        let j0 = i32(fj);
        let h00 = h_at(i0, j0);
        let h10 = h_at(i0 + 1, j0);
        let h01 = h_at(i0, j0 + 1);
        let h11 = h_at(i0 + 1, j0 + 1);
        let th = fu.thickness;
        hv = th * ((1.0 - a) * (1.0 - b) * h00 + a * (1.0 - b) * h10 + (1.0 - a) * b * h01 + a * b * h11);
        hx = th * ((1.0 - b) * (h10 - h00) + b * (h11 - h01)) * w * 0.5;
        hy = -th * ((1.0 - a) * (h01 - h00) + a * (h11 - h10)) * w * 0.5;
    }
    let off = zc - fu.depth_z0;
    let r = abs(off) - hv;
    let k = fu.lambda_depth / f32(fu.num_verts);
    let rz = cam.r2.xyz;
    let rows = cam_lateral_rows(cam, fu.depth_z0);
    let dxs = rows[0];
    let dys = rows[1];
    let g = 2.0 * k * r * (sign(off) * rz - (hx * dxs + hy * dys));
    v_verts[i] = vec4f(v_verts[i].xyz + g, 0.0);
    depth_res[i] = vec4f(k * r * r, 0.0, 0.0, 0.0);
}
