#![no_main]
//! Arbitrary bytes as a picture through `target::picture_from_bytes` (the polarity chosen by the input's
//! length modulo 3: decoders ignore trailing bytes, so the fuzzer can vary it) and as a view through `target::view_from_bytes`: Ok or Err, no panic, and a mask is
//! size×size with values in [0, 1].
mod common;

use libfuzzer_sys::fuzz_target;
use softras::target::{Mask, Polarity, picture_from_bytes, view_from_bytes};

const SIZE: u32 = 32;

fn check(m: &Mask) {
    assert_eq!((m.width, m.height), (SIZE, SIZE));
    assert_eq!(m.values.len(), (SIZE * SIZE) as usize);
    assert!(m.values.iter().all(|v| (0.0..=1.0).contains(v)));
}

fuzz_target!(|data: &[u8]| {
    common::install_panic_hook();
    let polarity = match data.len() % 3 {
        1 => Polarity::Normal,
        2 => Polarity::Inverted,
        _ => Polarity::Auto,
    };
    if let Ok(m) = picture_from_bytes(data, SIZE, polarity, "fuzz") {
        check(&m);
    }
    if let Ok(m) = view_from_bytes(data, SIZE, "fuzz") {
        check(&m);
    }
});
