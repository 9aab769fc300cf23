// cg.wgsl — solves M y = b with M = I + λL (L the combinatorial Laplacian of the topology: degree on
// the diagonal, −1 per edge) by conjugate gradients, x, y and z as three systems (per-component α, β),
// warm-started from y (non-finite entries start at 0). One workgroup runs the whole solve: every dot
// product is workgroup_sum (fixed order), so the result is deterministic; it stops once
// ‖r‖² ≤ tol2 · ‖b‖² for all three components or after max_iters, with no readback. The solution is
// left in y and copied into `out`; cg_stats[out_index] = (iterations, max relative residual, 0, 0).
// Oracle: fit::large_steps::cg_solve. Dispatch: (1, 1, 1).

struct CgUniforms {
    n: u32,
    max_iters: u32,
    lambda: f32,
    tol2: f32,
    out_index: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

@group(0) @binding(0) var<uniform> cu: CgUniforms;
@group(0) @binding(1) var<storage, read> topo: array<u32>;           // layout: the "topo" comment in lib/fit.wgsl
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;      // warm start in, solution out
@group(0) @binding(4) var<storage, read_write> work: array<vec4f>;   // r | p | q, n each
@group(0) @binding(5) var<storage, read_write> out: array<vec4f>;    // a copy of the solution
@group(0) @binding(6) var<storage, read_write> cg_stats: array<vec4f>;

var<workgroup> s_done: u32;

// (M p)_i for p = work[n..2n]
fn apply_p(i: u32) -> vec3f {
    let n = cu.n;
    let nb = n + 1u;
    let p = work[n + i].xyz;
    var s = vec3f(0.0);
    for (var e = topo[i]; e < topo[i + 1u]; e++) {
        s += work[n + topo[nb + e]].xyz;
    }
    return p + cu.lambda * (f32(topo[i + 1u] - topo[i]) * p - s);
}

// (M y)_i
fn apply_y(i: u32) -> vec3f {
    let nb = cu.n + 1u;
    let x = y[i].xyz;
    var s = vec3f(0.0);
    for (var e = topo[i]; e < topo[i + 1u]; e++) {
        s += y[topo[nb + e]].xyz;
    }
    return x + cu.lambda * (f32(topo[i + 1u] - topo[i]) * x - s);
}

fn finite3(v: vec3f) -> bool {
    return is_finite(v.x) && is_finite(v.y) && is_finite(v.z);
}

// a / b per component, 0 where b = 0
fn ratio(a: vec3f, b: vec3f) -> vec3f {
    return select(a / b, vec3f(0.0), b == vec3f(0.0));
}

// workgroup_sum, then a barrier so that no invocation overwrites the sum before all have read it
fn wsum(t: u32, v: vec3f) -> vec3f {
    let s = workgroup_sum(t, vec4f(v, 0.0)).xyz;
    workgroupBarrier();
    return s;
}

@compute @workgroup_size(REDUCE)
fn main(@builtin(local_invocation_index) t: u32) {
    let n = cu.n;
    for (var i = t; i < n; i += REDUCE) {
        if (!finite3(y[i].xyz)) {
            y[i] = vec4f(0.0);
        }
    }
    storageBarrier();
    var acc_rr = vec3f(0.0);
    var acc_bb = vec3f(0.0);
    for (var i = t; i < n; i += REDUCE) {
        let bi = b[i].xyz;
        let r = bi - apply_y(i);
        work[i] = vec4f(r, 0.0);
        work[n + i] = vec4f(r, 0.0);
        acc_rr += r * r;
        acc_bb += bi * bi;
    }
    var rr = wsum(t, acc_rr);
    let bb = wsum(t, acc_bb);
    let goal = cu.tol2 * bb + vec3f(1e-30);
    if (t == 0u) {
        s_done = select(0u, 1u, all(rr <= goal));
    }
    var iters = 0u;
    for (var k = 0u; k < cu.max_iters; k++) {
        if (workgroupUniformLoad(&s_done) != 0u) {
            break;
        }
        storageBarrier();   // p of every invocation visible
        var acc_pq = vec3f(0.0);
        for (var i = t; i < n; i += REDUCE) {
            let q = apply_p(i);
            work[2u * n + i] = vec4f(q, 0.0);
            acc_pq += work[n + i].xyz * q;
        }
        let alpha = ratio(rr, wsum(t, acc_pq));
        var acc = vec3f(0.0);
        for (var i = t; i < n; i += REDUCE) {
            y[i] = vec4f(y[i].xyz + alpha * work[n + i].xyz, 0.0);
            let r = work[i].xyz - alpha * work[2u * n + i].xyz;
            work[i] = vec4f(r, 0.0);
            acc += r * r;
        }
        let rr_new = wsum(t, acc);
        let beta = ratio(rr_new, rr);
        storageBarrier();   // every q read before p changes
        for (var i = t; i < n; i += REDUCE) {
            work[n + i] = vec4f(work[i].xyz + beta * work[n + i].xyz, 0.0);
        }
        rr = rr_new;
        iters += 1u;
        if (t == 0u) {
            s_done = select(0u, 1u, all(rr <= goal));
        }
    }
    for (var i = t; i < n; i += REDUCE) {
        out[i] = y[i];
    }
    if (t == 0u) {
        let rel = sqrt(ratio(rr, bb));
        cg_stats[cu.out_index] = vec4f(f32(iters), max(rel.x, max(rel.y, rel.z)), 0.0, 0.0);
    }
}
