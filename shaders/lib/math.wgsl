// lib/math.wgsl — scalar helpers: stable log1p, softplus, sigmoid, 1 − e^l, 2-D cross product, finiteness.

// log(1 + y) for y in [0, 1], accurate for small y
fn log1p_small(y: f32) -> f32 {
    if (y < 1e-4) {
        return y - 0.5 * y * y;
    }
    return log(1.0 + y);
}

// softplus(x) = log(1 + e^x), stable for any x
fn softplus(x: f32) -> f32 {
    return max(x, 0.0) + log1p_small(exp(-abs(x)));
}

fn sigmoid(x: f32) -> f32 {
    if (x >= 0.0) {
        return 1.0 / (1.0 + exp(-x));
    }
    let e = exp(x);
    return e / (1.0 + e);
}

// 1 - e^l for l <= 0, accurate when l is near 0 (S from log T)
fn one_minus_exp(l: f32) -> f32 {
    if (l > -1e-3) {
        return -l * (1.0 + l * (0.5 + l / 6.0));
    }
    return 1.0 - exp(l);
}

fn cross2(u: vec2f, v: vec2f) -> f32 {
    return u.x * v.y - u.y * v.x;
}

fn is_finite(x: f32) -> bool {
    // exponent bits all ones means inf or NaN; `x != x` may be optimised away
    return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u;
}
