//! The window itself, under Xvfb with whatever Vulkan driver is there (lavapipe in CI): a screenshot
//! after some steps must show the mesh and the panels, not a blank or black frame.
use std::process::Command;

#[test]
fn viewer_screenshot_shows_the_mesh_and_the_panels() {
    let have_xvfb = Command::new("sh").args(["-c", "command -v xvfb-run"]).output().is_ok_and(|o| o.status.success());
    assert!(have_xvfb, "the viewer test needs xvfb-run (apt-get install xvfb xauth; ./test installs it)");
    let d = crate::mesh::tempdir();
    let shot = d.join("shot.png");
    let out = Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            env!("CARGO_BIN_EXE_softras"),
            "view",
            "--size",
            "64",
            "--template-level",
            "3",
            "--screenshot",
            shot.to_str().unwrap(),
            "--after-steps",
            "20",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "viewer failed: {}", String::from_utf8_lossy(&out.stderr));
    let img = image::open(&shot).unwrap().into_rgb8();
    assert!(img.width() >= 640 && img.height() >= 400, "{:?}", img.dimensions());
    // the mesh: the viewport (right of the 330-px panel, above the 190-px image strip) has the mesh's
    // orange, not just the background
    let (w, h) = img.dimensions();
    let mut mesh_px = 0;
    for y in (h / 8)..(h * 3 / 4) {
        for x in (w / 2 - 100)..(w / 2 + 300).min(w) {
            let p = img.get_pixel(x, y).0;
            if p[0] > 90 && p[0] as i32 > p[2] as i32 + 40 {
                mesh_px += 1;
            }
        }
    }
    assert!(mesh_px > 2000, "no mesh in the viewport ({mesh_px} orange pixels)");
    // the panels: many distinct colours overall (text, plot, images), not a flat frame
    let mut colours = std::collections::HashSet::new();
    for p in img.pixels() {
        colours.insert(p.0);
    }
    assert!(colours.len() > 50, "only {} colours: blank frame?", colours.len());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ERROR"), "errors while rendering: {stderr}");
}

/// A multi-view fit shows the strip of every view's difference, the selected one framed in yellow.
#[test]
fn viewer_shows_a_strip_of_views_for_multi_view_fits() {
    let d = crate::mesh::tempdir();
    let (shape, shot) = (d.join("animal.obj"), d.join("views.png"));
    let bin = env!("CARGO_BIN_EXE_softras");
    assert!(Command::new(bin).args(["shape", "animal", shape.to_str().unwrap()]).status().unwrap().success());
    let out = Command::new("xvfb-run")
        .args([
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            bin,
            "view",
            "--target-mesh",
            shape.to_str().unwrap(),
            "--num-views",
            "6",
            "--size",
            "32",
            "--template-level",
            "2",
            "--screenshot",
            shot.to_str().unwrap(),
            "--after-steps",
            "5",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "viewer failed: {}", String::from_utf8_lossy(&out.stderr));
    let img = image::open(&shot).unwrap().into_rgb8();
    let (w, h) = img.dimensions();
    // the strip sits at the bottom, right of the controls: the yellow frame of view 1 and the
    // difference colours of the six thumbnails
    let (mut yellow, mut white) = (0, 0);
    for y in (h * 3 / 4)..h {
        for x in 330..w {
            let p = img.get_pixel(x, y).0;
            if p[0] > 230 && (190..=240).contains(&p[1]) && p[2] < 60 {
                yellow += 1;
            }
            if p.iter().all(|&c| c > 245) {
                white += 1;
            }
        }
    }
    assert!(yellow >= 4 * 30, "no framed thumbnail in the strip ({yellow} yellow pixels)");
    assert!(white > 500, "no silhouettes in the panels ({white} white pixels)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ERROR"), "errors while rendering: {stderr}");
}
