//! Target masks from user images (src/target.rs): every format, alpha, polarity, Otsu, crop/pad, views,
//! the views CSV, and the errors a user can cause. Images are generated here, in a temporary folder.
use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
use softras::target::{
    Mask, Polarity, hard_iou, load_picture, load_view, load_views_csv, picture_from_bytes, save_mask_png, view_from_bytes,
};

fn encode(img: &DynamicImage, fmt: ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, fmt).unwrap_or_else(|e| panic!("encoding {fmt:?}: {e}"));
    out.into_inner()
}

fn in_disc(x: u32, y: u32, cx: f64, cy: f64, r: f64) -> bool {
    let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
    dx * dx + dy * dy <= r * r
}

/// The expected result for a disc: a centred disc of diameter 80% of `size`.
fn centred_disc(size: u32) -> Vec<f32> {
    let c = size as f64 / 2.0;
    (0..size * size).map(|i| in_disc(i % size, i / size, c, c, 0.4 * size as f64) as u32 as f32).collect()
}

fn err(r: softras::Result<Mask>) -> String {
    match r {
        Ok(m) => panic!("expected an error, got a {}×{} mask", m.width, m.height),
        Err(e) => e.to_string(),
    }
}

fn centroid(m: &Mask) -> (f64, f64) {
    let (mut sx, mut sy, mut s) = (0.0, 0.0, 0.0);
    for (i, &v) in m.values.iter().enumerate() {
        let (x, y) = ((i as u32 % m.width) as f64 + 0.5, (i as u32 / m.width) as f64 + 0.5);
        sx += v as f64 * x;
        sy += v as f64 * y;
        s += v as f64;
    }
    (sx / s, sy / s)
}

/// (x0, x1, y0, y1) of the values > 0.5, inclusive.
fn extent(m: &Mask) -> (u32, u32, u32, u32) {
    let (mut x0, mut x1, mut y0, mut y1) = (u32::MAX, 0, u32::MAX, 0);
    for (i, &v) in m.values.iter().enumerate() {
        if v > 0.5 {
            let (x, y) = (i as u32 % m.width, i as u32 / m.width);
            (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
        }
    }
    (x0, x1, y0, y1)
}

const W: u32 = 90;
const H: u32 = 70;
/// An off-centre disc, bright on dark.
fn disc_gray(w: u32, h: u32, fg: u8, bg: u8) -> ImageBuffer<Luma<u8>, Vec<u8>> {
    ImageBuffer::from_fn(w, h, |x, y| Luma([if in_disc(x, y, 30.0, 40.0, 20.0) { fg } else { bg }]))
}

#[test]
fn every_format_gives_the_centred_disc() {
    let g8 = disc_gray(W, H, 230, 20);
    let g16: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_fn(W, H, |x, y| Luma([g8.get_pixel(x, y)[0] as u16 * 257]));
    // an RGB image whose colours differ but whose luminance separates the disc
    let rgb: ImageBuffer<Rgb<u8>, Vec<u8>> =
        ImageBuffer::from_fn(W, H, |x, y| if g8.get_pixel(x, y)[0] > 100 { Rgb([250, 240, 60]) } else { Rgb([10, 30, 90]) });
    let cases = [
        ("png8", encode(&DynamicImage::ImageLuma8(g8.clone()), ImageFormat::Png)),
        ("png16", encode(&DynamicImage::ImageLuma16(g16.clone()), ImageFormat::Png)),
        ("jpeg", encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Jpeg)),
        ("bmp", encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Bmp)),
        ("webp", encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::WebP)),
        ("tiff16", encode(&DynamicImage::ImageLuma16(g16), ImageFormat::Tiff)),
        ("tiff-rgb", encode(&DynamicImage::ImageRgb8(rgb.clone()), ImageFormat::Tiff)),
        ("gif", encode(&DynamicImage::ImageRgb8(rgb), ImageFormat::Gif)),
    ];
    let want = centred_disc(64);
    let dir = softras_tempdir();
    for (name, bytes) in cases {
        let m = picture_from_bytes(&bytes, 64, Polarity::Auto, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((m.width, m.height, m.values.len()), (64, 64, 64 * 64), "{name}");
        assert!(m.values.iter().all(|v| (0.0..=1.0).contains(v)), "{name}");
        let iou = hard_iou(&m.values, &want);
        assert!(iou > 0.93, "{name}: IoU {iou}");
        let (cx, cy) = centroid(&m);
        assert!((cx - 32.0).abs() < 0.75 && (cy - 32.0).abs() < 0.75, "{name}: centroid ({cx}, {cy})");
        // the same through a file
        let p = dir.join(format!("disc.{name}"));
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(load_picture(&p, 64, Polarity::Auto).unwrap(), m, "{name}");
    }
}

#[test]
fn alpha_is_kept_soft_and_luminance_ignored() {
    // white everywhere (luminance says nothing); alpha is a disc with a soft edge 4 px wide
    let img: ImageBuffer<Rgba<u8>, Vec<u8>> = ImageBuffer::from_fn(W, H, |x, y| {
        let d = ((x as f64 + 0.5 - 30.0).powi(2) + (y as f64 + 0.5 - 40.0).powi(2)).sqrt();
        let a = ((22.0 - d) / 4.0).clamp(0.0, 1.0);
        Rgba([255, 255, 255, (a * 255.0).round() as u8])
    });
    let bytes = encode(&DynamicImage::ImageRgba8(img.clone()), ImageFormat::Png);
    let m = picture_from_bytes(&bytes, 64, Polarity::Auto, "alpha.png").unwrap();
    let iou = hard_iou(&m.values, &centred_disc(64));
    assert!(iou > 0.93, "IoU {iou}");
    let soft = m.values.iter().filter(|&&v| v > 0.05 && v < 0.95).count();
    assert!(soft > 40, "only {soft} soft values: alpha was thresholded");
    assert_eq!(picture_from_bytes(&bytes, 64, Polarity::Normal, "alpha.png").unwrap(), m);
    // Inverted: the transparent part is the object, so the disc is a hole in the middle of it
    let inv = picture_from_bytes(&bytes, 64, Polarity::Inverted, "alpha.png").unwrap();
    let c = inv.values[(27 * 64 + 20) as usize];
    assert!(c < 0.01, "disc centre {c}");
    // LumaA 16-bit works the same way
    let la: ImageBuffer<LumaA<u16>, Vec<u16>> = ImageBuffer::from_fn(W, H, |x, y| LumaA([0, img.get_pixel(x, y)[3] as u16 * 257]));
    let m16 = picture_from_bytes(&encode(&DynamicImage::ImageLumaA16(la), ImageFormat::Png), 64, Polarity::Auto, "la16").unwrap();
    let diff = m16.values.iter().zip(&m.values).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(diff < 1e-3, "LumaA16 vs RGBA8: {diff}");
    // an opaque alpha channel is trivial: luminance decides
    let opaque: ImageBuffer<Rgba<u8>, Vec<u8>> =
        ImageBuffer::from_fn(W, H, |x, y| if in_disc(x, y, 30.0, 40.0, 20.0) { Rgba([0, 0, 0, 255]) } else { Rgba([255, 255, 255, 255]) });
    let mo = picture_from_bytes(&encode(&DynamicImage::ImageRgba8(opaque), ImageFormat::Png), 64, Polarity::Auto, "o").unwrap();
    assert!(hard_iou(&mo.values, &centred_disc(64)) > 0.93);
    assert!(mo.values.iter().filter(|&&v| v > 0.5).count() < 64 * 64 * 6 / 10);
}

#[test]
fn polarity_auto_normal_inverted() {
    let png = |img: ImageBuffer<Luma<u8>, Vec<u8>>| encode(&DynamicImage::ImageLuma8(img), ImageFormat::Png);
    let white_on_black = png(disc_gray(W, H, 255, 0));
    let black_on_white = png(disc_gray(W, H, 0, 255));
    let p = |b: &[u8], pol| picture_from_bytes(b, 48, pol, "p").unwrap();
    let a = p(&white_on_black, Polarity::Auto);
    assert!(hard_iou(&a.values, &centred_disc(48)) > 0.9);
    assert_eq!(p(&black_on_white, Polarity::Auto), a);
    assert_eq!(p(&white_on_black, Polarity::Normal), a);
    assert_eq!(p(&black_on_white, Polarity::Inverted), a);
    // flipped: the background is the object (the whole image, centred), the disc a hole in it
    let f = p(&white_on_black, Polarity::Inverted);
    assert_eq!(f, p(&black_on_white, Polarity::Normal));
    assert_ne!(f, a);
    // the image (90×70) fills 80% of the square's width; its disc (centre 30, 40) is at
    // 48 · (0.1 + 0.8 · (30/90, (40 + 10)/90)) = (17.6, 26.1)
    assert!(f.values[26 * 48 + 17] < 0.01, "hole {}", f.values[26 * 48 + 17]);
    assert!(f.values[24 * 48 + 36] > 0.99);
    assert!(f.values[24 * 48 + 1] < 0.01, "margin");
    assert!(f.values[2 * 48 + 24] < 0.01, "margin");
}

#[test]
fn two_levels_separate_exactly_without_resampling() {
    // a 16×12 rectangle at (9..25, 20..32) in 40×40: long side 16 → a 20×20 square → size 20, no resize
    let rect = |x: u32, y: u32| (9..25).contains(&x) && (20..32).contains(&y);
    let mut want = vec![0f32; 400];
    for y in 4..16 {
        for x in 2..18 {
            want[y * 20 + x] = 1.0;
        }
    }
    // 8-bit, levels 100 / 140
    let g8: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::from_fn(40, 40, |x, y| Luma([if rect(x, y) { 140 } else { 100 }]));
    let m = picture_from_bytes(&encode(&DynamicImage::ImageLuma8(g8), ImageFormat::Png), 20, Polarity::Auto, "g8").unwrap();
    assert_eq!(m.values, want);
    // 16-bit, levels 30000 / 30100: the same 8-bit bin, still separated
    let g16: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_fn(40, 40, |x, y| Luma([if rect(x, y) { 30000 } else { 30100 }]));
    let m = picture_from_bytes(&encode(&DynamicImage::ImageLuma16(g16), ImageFormat::Png), 20, Polarity::Auto, "g16").unwrap();
    assert_eq!(m.values, want, "dark rectangle, auto polarity");
    // a three-level image: Otsu puts the middle level with the nearer one
    let g3: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::from_fn(40, 40, |x, y| {
        Luma([if rect(x, y) {
            200
        } else if x < 3 {
            60
        } else {
            40
        }])
    });
    let m = picture_from_bytes(&encode(&DynamicImage::ImageLuma8(g3), ImageFormat::Png), 20, Polarity::Auto, "g3").unwrap();
    assert_eq!(m.values, want);
}

#[test]
fn off_centre_rectangle_is_centred_at_80_percent() {
    // a 40×16 rectangle at x 3..43, y 50..66 of a 120×90 image: square 50, ×2 to 100
    let img: ImageBuffer<Rgb<u8>, Vec<u8>> =
        ImageBuffer::from_fn(
            120,
            90,
            |x, y| if (3..43).contains(&x) && (50..66).contains(&y) { Rgb([20, 20, 20]) } else { Rgb([200, 210, 220]) },
        );
    let m = picture_from_bytes(&encode(&DynamicImage::ImageRgb8(img), ImageFormat::Bmp), 100, Polarity::Auto, "r").unwrap();
    let (cx, cy) = centroid(&m);
    assert!((cx - 50.0).abs() < 0.1 && (cy - 50.0).abs() < 0.1, "centroid ({cx}, {cy})");
    let (x0, x1, y0, y1) = extent(&m);
    assert!((x1 + 1 - x0).abs_diff(80) <= 1, "width {}", x1 + 1 - x0);
    assert!((y1 + 1 - y0).abs_diff(32) <= 1, "height {}", y1 + 1 - y0);
    assert!((x0 as i32 - 10).abs() <= 1 && (y0 as i32 - 34).abs() <= 1, "({x0}, {y0})");
    let total: f64 = m.values.iter().map(|&v| v as f64).sum();
    assert!((total - 80.0 * 32.0).abs() < 40.0, "area {total}");
    // a 2-pixel speck far away does not move it
    let specked: ImageBuffer<Rgb<u8>, Vec<u8>> = ImageBuffer::from_fn(120, 90, |x, y| {
        if ((3..43).contains(&x) && (50..66).contains(&y)) || ((110..112).contains(&x) && y == 4) {
            Rgb([20, 20, 20])
        } else {
            Rgb([200, 210, 220])
        }
    });
    let s = picture_from_bytes(&encode(&DynamicImage::ImageRgb8(specked), ImageFormat::Png), 100, Polarity::Auto, "s").unwrap();
    assert_eq!(s, m);
}

#[test]
fn large_noisy_photo() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let (w, h) = (4000u32, 3000u32);
    // a bright ellipse (semi-axes 900 × 600, centre 2600, 1300) on a dark, noisy, unevenly lit ground
    let img: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::from_fn(w, h, |x, y| {
        let (dx, dy) = ((x as f64 - 2600.0) / 900.0, (y as f64 - 1300.0) / 600.0);
        let base = if dx * dx + dy * dy <= 1.0 { 170.0 } else { 50.0 + 20.0 * x as f64 / w as f64 };
        Luma([(base + rng.random_range(-25.0..25.0f64)).clamp(0.0, 255.0) as u8])
    });
    let t = std::time::Instant::now();
    let bytes = encode(&DynamicImage::ImageLuma8(img), ImageFormat::Jpeg);
    let t_enc = t.elapsed();
    let t = std::time::Instant::now();
    let m = picture_from_bytes(&bytes, 128, Polarity::Auto, "photo.jpg").unwrap();
    eprintln!("4000×3000 JPEG: encode {t_enc:?}, picture_from_bytes {:?}", t.elapsed());
    // the ellipse fills 80% of the width, centred: 102.4 × 68.3 px
    let want: Vec<f32> = (0..128 * 128)
        .map(|i| {
            let (x, y) = ((i % 128) as f64 + 0.5 - 64.0, (i / 128) as f64 + 0.5 - 64.0);
            ((x / 51.2).powi(2) + (y / (51.2 * 600.0 / 900.0)).powi(2) <= 1.0) as u32 as f32
        })
        .collect();
    let iou = hard_iou(&m.values, &want);
    assert!(iou > 0.95, "IoU {iou}");
}

#[test]
fn views_are_soft_and_uncropped() {
    // an off-centre soft blob: values 0.6 … 1.0 of the max inside, 0.1 outside
    let img: ImageBuffer<Luma<u16>, Vec<u16>> = ImageBuffer::from_fn(64, 64, |x, y| {
        let v = if in_disc(x, y, 16.0, 20.0, 10.0) { 0.6 + 0.4 * x as f64 / 64.0 } else { 0.1 };
        Luma([(v * 50000.0) as u16])
    });
    let raw: Vec<f32> = img.as_raw().iter().map(|&v| v as f32 / 65535.0).collect();
    let max = raw.iter().cloned().fold(0f32, f32::max);
    let bytes = encode(&DynamicImage::ImageLuma16(img), ImageFormat::Png);
    let m = view_from_bytes(&bytes, 64, "v.png").unwrap();
    assert_eq!((m.width, m.height), (64, 64));
    for (a, b) in m.values.iter().zip(&raw) {
        assert!((a - b / max).abs() < 1e-6, "{a} vs {}", b / max);
    }
    assert!(m.values.iter().any(|&v| (v - 0.1 / (max * 65535.0 / 50000.0)).abs() < 1e-3), "the 0.1 ground is kept soft");
    // resized, not cropped: the blob stays off-centre
    let s = view_from_bytes(&bytes, 32, "v.png").unwrap();
    let (cx, cy) = centroid(&Mask { width: 32, height: 32, values: s.values.iter().map(|&v| (v > 0.5) as u32 as f32).collect() });
    assert!((cx - 8.0).abs() < 0.5 && (cy - 10.0).abs() < 0.5, "({cx}, {cy})");
    // a non-square view is stretched to a square
    let wide: ImageBuffer<Rgba<u8>, Vec<u8>> =
        ImageBuffer::from_fn(80, 40, |x, y| Rgba([9, 9, 9, if (20..40).contains(&x) && (10..30).contains(&y) { 255 } else { 0 }]));
    let dir = softras_tempdir();
    let p = dir.join("wide.png");
    std::fs::write(&p, encode(&DynamicImage::ImageRgba8(wide), ImageFormat::Png)).unwrap();
    let v = load_view(&p, 40).unwrap();
    let (x0, x1, y0, y1) = extent(&v);
    assert!(x0.abs_diff(10) <= 1 && x1.abs_diff(19) <= 1 && y0.abs_diff(10) <= 1 && y1.abs_diff(29) <= 1, "{:?}", (x0, x1, y0, y1));
}

#[test]
fn bad_pictures_are_explained() {
    let p = |b: &[u8]| err(picture_from_bytes(b, 32, Polarity::Auto, "bad.png"));
    let v = |b: &[u8]| err(view_from_bytes(b, 32, "bad.png"));
    let good = encode(&DynamicImage::ImageLuma8(disc_gray(W, H, 255, 0)), ImageFormat::Png);
    // corrupt: a PNG cut in half, random bytes
    for bytes in [&good[..good.len() / 2], &b"not an image at all, just some text"[..]] {
        for e in [p(bytes), v(bytes)] {
            assert!(e.contains("cannot read image bad.png"), "{e}");
        }
    }
    for e in [p(&[]), v(&[])] {
        assert!(e.contains("cannot read image bad.png") && e.contains("empty"), "{e}");
    }
    let one = encode(&DynamicImage::ImageLuma8(ImageBuffer::from_pixel(1, 1, Luma([255]))), ImageFormat::Png);
    for e in [p(&one), v(&one)] {
        assert!(e.contains("too small"), "{e}");
    }
    let blank = encode(&DynamicImage::ImageLuma8(ImageBuffer::from_pixel(20, 20, Luma([128]))), ImageFormat::Png);
    assert!(p(&blank).contains("the mask of bad.png is empty: no object found"), "{}", p(&blank));
    let black = encode(&DynamicImage::ImageLuma8(ImageBuffer::from_pixel(20, 20, Luma([0]))), ImageFormat::Png);
    assert!(v(&black).contains("the mask of bad.png is empty"), "{}", v(&black));
    // full: every view value above half of the max; a fully transparent picture taken inverted
    let light: ImageBuffer<Luma<u8>, Vec<u8>> = ImageBuffer::from_fn(20, 20, |x, _| Luma([200 + x as u8]));
    let e = v(&encode(&DynamicImage::ImageLuma8(light), ImageFormat::Png));
    assert!(e.contains("covers the whole image"), "{e}");
    let clear = encode(&DynamicImage::ImageRgba8(ImageBuffer::from_pixel(20, 20, Rgba([255, 0, 0, 0]))), ImageFormat::Png);
    let e = err(picture_from_bytes(&clear, 32, Polarity::Inverted, "bad.png"));
    assert!(e.contains("covers the whole image"), "{e}");
    assert!(p(&clear).contains("is empty"), "{}", p(&clear));
    // size 0, a missing file
    assert!(err(picture_from_bytes(&good, 0, Polarity::Auto, "x")).contains("size"));
    assert!(err(view_from_bytes(&good, 0, "x")).contains("size"));
    let dir = softras_tempdir();
    let e = err(load_picture(&dir.join("nope.png"), 32, Polarity::Auto));
    assert!(e.contains("nope.png"), "{e}");
    let e = err(load_view(&dir.join("nope.png"), 32));
    assert!(e.contains("nope.png"), "{e}");
}

#[test]
fn views_csv() {
    let dir = softras_tempdir();
    std::fs::create_dir(dir.join("img")).unwrap();
    std::fs::write(dir.join("img/a.png"), b"x").unwrap();
    std::fs::write(dir.join("b.png"), b"x").unwrap();
    let csv = dir.join("views.csv");
    std::fs::write(&csv, " azimuth , note, file ,elevation,distance\n0,front, img/a.png ,30,2.732\n-90.5,side,b.png,-15,3\n\n").unwrap();
    let v = load_views_csv(&csv).unwrap();
    assert_eq!(v.len(), 2);
    assert_eq!(v[0].file, dir.join("img/a.png"));
    assert_eq!((v[0].distance, v[0].elevation, v[0].azimuth), (2.732, 30.0, 0.0));
    assert_eq!(v[1].file, dir.join("b.png"));
    assert_eq!((v[1].distance, v[1].elevation, v[1].azimuth), (3.0, -15.0, -90.5));

    let bad = |text: &str| -> String {
        std::fs::write(&csv, text).unwrap();
        match load_views_csv(&csv) {
            Ok(v) => panic!("expected an error for {text:?}, got {v:?}"),
            Err(e) => e.to_string(),
        }
    };
    let e = bad("file,distance,elevation,azimuth\nb.png,2,0,0\nx.png,2,0,0\n");
    assert!(e.contains("row 2: x.png does not exist"), "{e}");
    let e = bad("file,distance,elevation\nb.png,2,0\n");
    assert!(e.contains("missing column \"azimuth\""), "{e}");
    let e = bad("file,distance,elevation,azimuth\nb.png,2,0,0\nb.png,2,0,0\nb.png,2,abc,0\n");
    assert!(e.contains("row 3: elevation \"abc\" is not a number"), "{e}");
    let e = bad("file,distance,elevation,azimuth\nb.png,2,0,inf\n");
    assert!(e.contains("row 1: azimuth \"inf\" is not a finite number"), "{e}");
    let e = bad("file,distance,elevation,azimuth\nb.png,0,0,0\n");
    assert!(e.contains("row 1: distance must be > 0"), "{e}");
    let e = bad("file,distance,elevation,azimuth\n");
    assert!(e.contains("no views"), "{e}");
    let e = bad("file,distance,elevation,azimuth\nb.png,2,0\n");
    assert!(e.contains("row 1") && e.contains("azimuth"), "{e}");
    let e = load_views_csv(&dir.join("missing.csv")).unwrap_err();
    assert!(matches!(e, softras::Error::Io { .. }), "{e}");
    assert!(e.to_string().contains("missing.csv"), "{e}");
}

#[test]
fn views_csv_weight_column() {
    let dir = softras_tempdir();
    std::fs::write(dir.join("b.png"), b"x").unwrap();
    let csv = dir.join("views.csv");
    let load = |text: &str| {
        std::fs::write(&csv, text).unwrap();
        load_views_csv(&csv)
    };
    let weights = |text: &str| load(text).unwrap().iter().map(|v| v.weight).collect::<Vec<_>>();
    // no column: every weight 1; a column (any case, any place) with empty cells: 1 there
    assert_eq!(weights("file,distance,elevation,azimuth\nb.png,2,0,0\nb.png,2,0,90\n"), [1.0, 1.0]);
    assert_eq!(weights("WEIGHT,file,distance,elevation,azimuth\n2.5,b.png,2,0,0\n,b.png,2,0,90\n0,b.png,2,0,180\n"), [2.5, 1.0, 0.0]);
    // a short row without the weight cell: 1
    assert_eq!(weights("file,distance,elevation,azimuth,weight\nb.png,2,0,0\nb.png,2,0,0,1e-3\n"), [1.0, 1e-3]);
    let err = |text: &str| load(text).unwrap_err().to_string();
    let h = "file,distance,elevation,azimuth,weight\n";
    let e = err(&format!("{h}b.png,2,0,0,1\nb.png,2,0,0,-1\n"));
    assert!(e.contains("row 2: weight must be ≥ 0, got -1"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,abc\n"));
    assert!(e.contains("row 1: weight \"abc\" is not a number"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,inf\n"));
    assert!(e.contains("row 1: weight \"inf\" is not a finite number"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,1\nb.png,2,0,0,nan\n"));
    assert!(e.contains("row 2: weight \"nan\" is not a finite number"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,1e39\n"));
    assert!(e.contains("row 1: weight 1e39 is too large"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,0\n"));
    assert!(e.contains("row 1's weight is 0: at least one view needs a weight > 0"), "{e}");
    let e = err(&format!("{h}b.png,2,0,0,0\n\nb.png,2,0,0,-0\nb.png,2,0,0,1e-50\n"));
    assert!(e.contains("every row's weight (rows 1 to 3) is 0"), "{e}");
}

#[test]
fn save_png_and_iou() {
    let dir = softras_tempdir();
    let m = Mask { width: 3, height: 2, values: vec![0.0, 0.25, 0.5, 0.75, 1.0, 0.6] };
    let p = dir.join("m.png");
    save_mask_png(&p, &m).unwrap();
    let back = image::open(&p).unwrap().to_luma16();
    assert_eq!(back.dimensions(), (3, 2));
    let want: Vec<u16> = m.values.iter().map(|v| (v * 65535.0f32).round() as u16).collect();
    assert_eq!(back.as_raw(), &want);
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let wrong = Mask { width: 3, height: 3, values: vec![0.0; 6] };
    assert!(save_mask_png(&dir.join("w.png"), &wrong).is_err());
    assert!(!dir.join("w.png").exists());

    assert_eq!(hard_iou(&[0.0, 0.2], &[0.5, 0.1]), 1.0, "two empty masks");
    assert_eq!(hard_iou(&[1.0, 0.6, 0.0, 0.9], &[1.0, 0.4, 0.7, 0.51]), 0.5);
    assert_eq!(hard_iou(&[1.0], &[1.0, 1.0]), 0.0, "different lengths");
}

fn softras_tempdir() -> std::path::PathBuf {
    crate::mesh::tempdir()
}

#[test]
fn a_long_thin_picture_is_cropped_in_bounded_memory_and_matches_a_smaller_copy() {
    // 2000 × 6000 with a 1400 × 5000 bar: the padded square would be 7500² (225 MB of f32); it is
    // box-averaged into 4096² instead, and must give the same mask as the same picture at half size
    // (whose 3750² square takes the plain path)
    let big = |scale: u32| {
        let (w, h) = (2000 / scale, 6000 / scale);
        let img = ImageBuffer::from_fn(w, h, |x, y| {
            let inside = x >= 300 / scale && x < 1700 / scale && y >= 500 / scale && y < 5500 / scale;
            Luma([if inside { 255u8 } else { 0 }])
        });
        encode(&DynamicImage::ImageLuma8(img), ImageFormat::Png)
    };
    let a = picture_from_bytes(&big(1), 64, Polarity::Auto, "big").unwrap();
    let b = picture_from_bytes(&big(2), 64, Polarity::Auto, "half").unwrap();
    let worst = a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(worst < 0.05, "masks differ by {worst}");
    let covered: f32 = a.values.iter().sum::<f32>() / (64.0 * 64.0);
    // 0.8 of the height and 0.8 × 1400/5000 of the width
    assert!((covered - 0.8 * 0.8 * 0.28).abs() < 0.02, "covered fraction {covered}");
}
