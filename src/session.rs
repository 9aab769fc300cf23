//! A live fit that a user steers while it runs (the viewer's engine, with no Bevy in it): settings act
//! on the very next step, a new target restarts the fit, a bad file leaves the current fit running.
//! The fit's policy (σ schedule, roll-back, history, best mesh) is `softras fit`'s own [`Driver`]; the
//! session adds the fit thread, whose readbacks come back while the next batch already runs.
use crate::Camera;
use crate::error::{Error, Result};
use crate::fit::gpu::{GpuFitter, HISTORY, PendingReadback, Snapshot};
use crate::fit::{Check, Driver, FitParams, FitTarget, Fitter, Live, StepStats};
use crate::gpu::GpuContext;
use crate::mesh::Mesh;
use crate::views::{self, Placement, View};
use glam::Vec3;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::{Duration, Instant};

/// Batches of steps on their way at once: while one runs, the next is already queued, so the device
/// never waits for the window's frame.
const MAX_IN_FLIGHT: usize = 2;
/// The automatic batch size keeps one batch under this much device time (settings changes show soon).
const MAX_BATCH_TIME: Duration = Duration::from_millis(100);
/// The fit thread keeps a roll-back point only when every step sent has come back and been kept
/// (nothing on its way): once the last one is older than this, a frame holds its batch back for one.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(500);

pub use crate::fit::SigmaSchedule;

/// Work for the fit thread.
enum Job {
    /// Run one step per entry with its settings, then read back; with `snapshot`, first keep the
    /// current state as the roll-back point.
    Steps { lives: Vec<Live>, snapshot: bool },
    /// Render the current mesh at σ and read back (paused, after a σ change).
    Render(f64),
    /// Return to the roll-back point, then render at σ and read back.
    Restore(f64),
}

/// A finished job: its steps, when it was taken up and when its results were seen, and the results.
struct Done {
    steps: u32,
    started: Instant,
    finished: Instant,
    result: Result<Snapshot>,
}

/// The thread that owns the GPU fitter: it submits each job's steps and readback as soon as the job
/// comes, behind the work already queued, so the device does not run dry while results travel back.
/// The window's thread never waits for the device (some drivers, e.g. lavapipe, even run the work
/// inside `submit`). The readbacks go to [`wait_thread`]. It ends when the session drops its sender.
fn fit_thread(mut fitter: GpuFitter, jobs: Receiver<Job>, submitted: Sender<(u32, Instant, Result<PendingReadback>)>) {
    while let Ok(job) = jobs.recv() {
        let started = Instant::now();
        let (n, r) = match job {
            Job::Steps { lives, snapshot } => {
                let steps = |f: &mut GpuFitter| {
                    if snapshot {
                        f.snapshot()?;
                    }
                    lives.iter().try_for_each(|live| f.step(live))?;
                    f.begin_readback(None)
                };
                (lives.len() as u32, steps(&mut fitter))
            }
            Job::Render(sigma) => (0, fitter.begin_readback(Some(sigma))),
            Job::Restore(sigma) => (0, fitter.restore().and_then(|_| fitter.begin_readback(Some(sigma)))),
        };
        if submitted.send((n, started, r)).is_err() {
            return;
        }
    }
}

/// Waits for each readback in turn (blocking on the device, not spinning) and hands the results over.
fn wait_thread(submitted: Receiver<(u32, Instant, Result<PendingReadback>)>, done: Sender<Done>) {
    while let Ok((steps, started, r)) = submitted.recv() {
        let result = r.and_then(PendingReadback::wait);
        if done.send(Done { steps, started, finished: Instant::now(), result }).is_err() {
            return;
        }
    }
}

/// The fit thread and its channels.
struct Worker {
    jobs: Sender<Job>,
    /// (In a mutex only to make the session `Sync`, as a Bevy resource must be.)
    done: std::sync::Mutex<Receiver<Done>>,
    /// Jobs sent whose results have not come back.
    in_flight: usize,
    /// Of those, the ones sent before a roll-back: their results are dropped.
    stale: usize,
}

impl Worker {
    fn start(fitter: GpuFitter) -> Result<Worker> {
        let (jobs, job_rx) = channel();
        let (sub_tx, sub_rx) = channel();
        let (done_tx, done) = channel();
        let spawn_error = |e| Error::Gpu(format!("could not start the fit threads: {e}"));
        std::thread::Builder::new().name("softras-fit".into()).spawn(move || fit_thread(fitter, job_rx, sub_tx)).map_err(spawn_error)?;
        std::thread::Builder::new().name("softras-readback".into()).spawn(move || wait_thread(sub_rx, done_tx)).map_err(spawn_error)?;
        Ok(Worker { jobs, done: std::sync::Mutex::new(done), in_flight: 0, stale: 0 })
    }

    fn receiver(&mut self) -> &Receiver<Done> {
        self.done.get_mut().unwrap_or_else(|p| p.into_inner())
    }

    fn send(&mut self, job: Job) -> Result<()> {
        self.jobs.send(job).map_err(|_| Error::Gpu("the fit thread has stopped".into()))?;
        self.in_flight += 1;
        Ok(())
    }
}

/// Picks the number of steps per batch when `auto_steps` is on: grows while the device runs dry
/// between frames, never past [`MAX_BATCH_TIME`] of measured device time.
#[derive(Clone, Debug)]
pub struct Pacer {
    pub batch: u32,
    /// Device seconds per step (an exponential average of what completed batches took).
    pub step_time: Option<f64>,
    last_done: Option<Instant>,
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer { batch: 1, step_time: None, last_done: None }
    }
}

impl Pacer {
    /// A batch of `steps` taken up at `started` was seen finished at `now`.
    fn finished(&mut self, steps: u32, started: Instant, now: Instant) {
        if steps > 0 {
            let busy_from = self.last_done.map_or(started, |t| t.max(started));
            let per_step = now.duration_since(busy_from).as_secs_f64() / steps as f64;
            self.step_time = Some(self.step_time.map_or(per_step, |t| 0.7 * t + 0.3 * per_step));
        }
        self.last_done = Some(now);
    }

    /// The next batch's size; `idle`: nothing was queued, so the device may have waited.
    fn next(&mut self, idle: bool) -> u32 {
        if idle && self.last_done.is_some() {
            self.batch = (self.batch + 1).max(self.batch * 3 / 2);
        }
        let cap = self.step_time.map_or(HISTORY, |t| (MAX_BATCH_TIME.as_secs_f64() / t.max(1e-9)) as u32);
        self.batch = self.batch.min(cap).clamp(1, HISTORY);
        self.batch
    }
}

/// Settings that need a restart of the fit from the template.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RestartSettings {
    pub size: u32,
    pub template_level: u32,
    pub optimizer: crate::fit::Optimizer,
    /// λ of the large-steps optimizer.
    pub smoothness: f64,
}

impl RestartSettings {
    /// The restart settings a fit runs with now.
    pub fn of(p: &FitParams) -> RestartSettings {
        RestartSettings { size: p.size, template_level: p.template_level, optimizer: p.optimizer, smoothness: p.smoothness }
    }
}

pub struct Session {
    ctx: Arc<GpuContext>,
    pub params: FitParams,
    /// The fit's policy and numbers: `driver.live` (σ, learning rate, λs) and `driver.schedule` act on
    /// the next step; the steps submitted and kept, the history, the best mesh. No step limit unless
    /// `driver.limit` is set.
    pub driver: Driver,
    /// Steps submitted per frame when `auto_steps` is off.
    pub steps_per_frame: u32,
    /// Let the [`Pacer`] choose the steps per frame (the default on real GPUs).
    pub auto_steps: bool,
    pub pacer: Pacer,
    pub playing: bool,
    pub template: Mesh,
    /// The user's own template (`--template`), kept for every restart; None: each target's default start.
    custom_template: Option<Mesh>,
    pub target: FitTarget,
    /// The views the target is made of ([`views::build`]), as the user edits them.
    views: Vec<View>,
    /// Warnings of the last build (a sheet's views disagreeing on an extent).
    pub view_warnings: Vec<String>,
    /// The depth weight as the user gave it (None: by the number of views), for a new number of views.
    depth_setting: Option<f64>,
    worker: Worker,
    /// When the fit thread was last asked to keep a roll-back point.
    snapshot_at: Option<Instant>,
    /// A frame held its batch back for a roll-back point (the device waiting then is not the pacer's).
    held_back: bool,
    /// The last error to show (a bad file, a failed save); the fit goes on.
    pub error: Option<String>,
    /// The last message that is not an error (a file saved).
    pub notice: Option<String>,
    /// The mesh as of the last readback (step [`Session::done`] after a batch).
    pub vertices: Vec<Vec3>,
    /// Soft silhouettes (views × size²) of the last forward pass that came back, per-view soft IoU.
    pub silhouettes: Vec<f32>,
    pub view_ious: Vec<f64>,
    /// The σ those silhouettes were rendered at.
    pub shown_sigma: f64,
    /// Bumped whenever new results arrive (the viewer re-uploads only then).
    pub version: u64,
    /// Bumped whenever the fit restarts (reset, new target, new size or template): the template's
    /// faces and the target's cameras may have changed.
    pub epoch: u64,
}

impl Session {
    /// A session on `target` with `params` (an icosphere template of `params.template_level`); its
    /// views are the target's masks as they are, with their cameras.
    pub fn new(ctx: Arc<GpuContext>, params: FitParams, target: FitTarget, template: Option<Mesh>) -> Result<Session> {
        let views = views::from_target(&target);
        Session::start(ctx, params, views, target, Vec::new(), template)
    }

    /// A session on the target made of `views` at `params.size` ([`views::build`]).
    pub fn with_views(ctx: Arc<GpuContext>, params: FitParams, views: Vec<View>, template: Option<Mesh>) -> Result<Session> {
        let built = views::build(&views, params.size, &params)?;
        Session::start(ctx, params, views, built.target, built.warnings, template)
    }

    fn start(
        ctx: Arc<GpuContext>,
        params: FitParams,
        views: Vec<View>,
        target: FitTarget,
        view_warnings: Vec<String>,
        template: Option<Mesh>,
    ) -> Result<Session> {
        let depth_setting = params.lambda_depth;
        let params = params.for_views(target.cameras.len());
        params.validate()?;
        let custom_template = template.clone();
        let template = match template {
            Some(t) => t,
            None => crate::fit::depth::start_template(&params, &target)?,
        };
        let fitter = GpuFitter::new(ctx.clone(), &template, &target, &params)?;
        let vertices = template.vertices.clone();
        // a CPU adapter (lavapipe) draws the window on the same cores: one step per frame there
        let auto_steps = ctx.info.device_type != wgpu::DeviceType::Cpu;
        Ok(Session {
            ctx,
            driver: Driver::unbounded(&params),
            params,
            steps_per_frame: 1,
            auto_steps,
            pacer: Pacer::default(),
            playing: true,
            template,
            custom_template,
            target,
            views,
            view_warnings,
            depth_setting,
            worker: Worker::start(fitter)?,
            snapshot_at: None,
            held_back: false,
            error: None,
            notice: None,
            vertices,
            silhouettes: Vec::new(),
            view_ious: Vec::new(),
            shown_sigma: f64::NAN,
            version: 0,
            epoch: 0,
        })
    }

    /// Steps submitted to the fit thread.
    pub fn step(&self) -> u32 {
        self.driver.planned()
    }

    /// Steps whose numbers have come back and been kept.
    pub fn done(&self) -> u32 {
        self.driver.kept()
    }

    /// Numbers of the kept steps.
    pub fn history(&self) -> &[StepStats] {
        self.driver.history()
    }

    /// One frame's work, never waiting for the device: takes the results that have come back, then
    /// (when fewer than [`MAX_IN_FLIGHT`] batches are on their way) hands the fit thread this frame's
    /// steps — the pacer's batch with `auto_steps`, else `steps_per_frame`; one with `single`. When
    /// nothing is on its way, the batch first keeps a roll-back point; when that point is older than
    /// [`SNAPSHOT_EVERY`], a frame sends nothing so that the queue empties. Paused, a change of σ
    /// renders the current mesh at the new σ instead. Play (or a single step) after a divergence
    /// goes on with a fresh count of roll-backs.
    pub fn frame(&mut self, single: bool) -> Result<()> {
        self.collect()?;
        if (self.playing || single) && self.driver.ending().is_some() {
            self.driver.resume();
        }
        let idle = self.worker.in_flight == 0;
        let snapshot_due = self.snapshot_at.is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY);
        let n = if single {
            1
        } else if !self.playing || self.worker.in_flight >= MAX_IN_FLIGHT {
            0
        } else if snapshot_due && !idle {
            self.held_back = true;
            0
        } else if self.auto_steps {
            self.pacer.next(idle && !std::mem::take(&mut self.held_back))
        } else {
            self.steps_per_frame.clamp(1, HISTORY)
        };
        let snapshot = idle && self.driver.planned() == self.driver.kept();
        let lives = if n > 0 { self.driver.next_batch(n) } else { Vec::new() };
        if !lives.is_empty() {
            if snapshot {
                self.driver.snapshot_taken();
                self.snapshot_at = Some(Instant::now());
            }
            self.worker.send(Job::Steps { lives, snapshot })?;
            self.shown_sigma = self.driver.live.sigma;
        } else if idle && self.driver.live.sigma != self.shown_sigma {
            self.worker.send(Job::Render(self.driver.live.sigma))?;
            self.shown_sigma = self.driver.live.sigma;
        }
        Ok(())
    }

    /// Takes whatever results have come back, oldest first, without waiting.
    pub fn collect(&mut self) -> Result<()> {
        while let Ok(d) = self.worker.receiver().try_recv() {
            self.take(d)?;
        }
        Ok(())
    }

    /// Waits until every batch on its way has come back (tests, saving).
    pub fn finish(&mut self) -> Result<()> {
        while self.worker.in_flight > 0 {
            let d = self.worker.receiver().recv().map_err(|_| Error::Gpu("the fit thread has stopped".into()))?;
            self.take(d)?;
        }
        Ok(())
    }

    fn take(&mut self, d: Done) -> Result<()> {
        self.worker.in_flight -= 1;
        self.pacer.finished(d.steps, d.started, d.finished);
        let snap = d.result?;
        if self.worker.stale > 0 {
            self.worker.stale -= 1;
            return Ok(());
        }
        self.apply(snap)
    }

    /// Hands a readback's numbers to the driver and shows its mesh; a non-finite step sends the fit
    /// thread back to its roll-back point instead (the results already on their way are dropped).
    fn apply(&mut self, snap: Snapshot) -> Result<()> {
        let Snapshot { vertices, stats, silhouettes, ious } = snap;
        let bad = stats.iter().find(|s| !s.is_finite()).map(|s| s.step);
        match self.driver.check(stats, || Ok(vertices.clone()))? {
            Check::Kept => {}
            check => {
                self.worker.stale = self.worker.in_flight;
                self.worker.send(Job::Restore(self.driver.live.sigma))?;
                self.shown_sigma = self.driver.live.sigma;
                let step = bad.unwrap_or_default();
                self.error = Some(match (check, self.driver.ending()) {
                    (Check::Diverged, Some(crate::fit::Ending::Diverged(msg))) => {
                        self.playing = false;
                        format!("step {step}: {msg}; paused")
                    }
                    _ => format!(
                        "step {step}: the loss became non-finite; rolled back to step {}, learning rate halved to {:.2e}",
                        self.driver.kept(),
                        self.driver.live.lr
                    ),
                });
                return Ok(());
            }
        }
        self.vertices = vertices;
        self.silhouettes = silhouettes;
        self.view_ious = ious;
        self.version += 1;
        Ok(())
    }

    /// A new fitter (reset, new target, new size): the old fit thread is let go with its queued
    /// batches, and the count starts over at step 0 with the template shown; the live settings stay.
    fn restart_on(&mut self, fitter: GpuFitter) -> Result<()> {
        self.worker = Worker::start(fitter)?;
        self.pacer = Pacer::default();
        self.driver.restart(&self.params);
        (self.snapshot_at, self.held_back) = (None, false);
        self.vertices = self.template.vertices.clone();
        self.silhouettes.clear();
        self.view_ious.clear();
        self.shown_sigma = f64::NAN;
        self.version += 1;
        self.epoch += 1;
        Ok(())
    }

    /// Back to the start (the user's template, or the target's default start), same target and settings.
    pub fn reset(&mut self) -> Result<()> {
        let template = self.start_template(&self.params, &self.target)?;
        let fitter = GpuFitter::new(self.ctx.clone(), &template, &self.target, &self.params)?;
        self.template = template;
        self.restart_on(fitter)
    }

    /// Changes image size, template level or optimizer: restarts from the template. A new optimizer
    /// starts at its own default learning rate (`fit`'s when `--lr` is not given).
    pub fn restart_with(&mut self, r: RestartSettings) -> Result<()> {
        let new_optimizer = r.optimizer != self.params.optimizer;
        let lr = if new_optimizer { crate::fit::large_steps::default_lr(r.optimizer) } else { self.params.lr };
        let params = FitParams {
            size: r.size,
            template_level: r.template_level,
            optimizer: r.optimizer,
            smoothness: r.smoothness,
            lr,
            ..self.params.clone()
        };
        params.validate()?;
        let target = match r.size == self.target.size {
            true => self.target.clone(),
            false => views::build(&self.views, r.size, &params)?.target,
        };
        let template = self.start_template(&params, &target)?;
        let fitter = GpuFitter::new(self.ctx.clone(), &template, &target, &params)?;
        (self.params, self.target, self.template) = (params, target, template);
        self.restart_on(fitter)?;
        if new_optimizer {
            self.driver.live.lr = lr;
        }
        Ok(())
    }

    /// Loads a picture (drag and drop, Open…) and restarts on it, seen from the front; on error the
    /// current fit goes on and the message is kept in `error`.
    pub fn load_picture(&mut self, path: &Path) -> bool {
        let result = Camera::new(self.params.distance, 0.0, 0.0, self.params.view_angle)
            .and_then(|c| View::from_file(path, Placement::Centred(c)))
            .and_then(|v| self.replace_views(vec![v]));
        self.error = result.err().map(|e| e.to_string());
        self.error.is_none()
    }

    /// The target's views.
    pub fn views(&self) -> &[View] {
        &self.views
    }

    /// These settings for `n` views: the depth weight as the user gave it, by the number of views.
    fn params_for(&self, n: usize) -> FitParams {
        FitParams { lambda_depth: self.depth_setting, ..self.params.clone() }.for_views(n)
    }

    /// New views, and a fit on them that starts from `start` (None: the target's default start).
    fn restart_on_views(&mut self, views: Vec<View>, start: Option<Mesh>) -> Result<()> {
        let mut params = self.params_for(views.len());
        let built = views::build(&views, params.size, &params)?;
        // views that become (or stop being) a sheet: σ follows the start, unless the user moved it
        let sigma = self.sigma_for(&params, &built.target);
        if let Some(sigma) = sigma {
            params.sigma = sigma;
        }
        let template = match start {
            Some(m) => crate::fit::prepare_template(m)?.0,
            None => self.start_template(&params, &built.target)?,
        };
        let fitter = GpuFitter::new(self.ctx.clone(), &template, &built.target, &params)?;
        let prior_changed = params.has_depth_prior(views.len()) != self.params.has_depth_prior(self.views.len());
        if prior_changed {
            self.driver.live.lambda_depth = params.lambda_depth.unwrap_or(0.0);
        }
        if let Some(sigma) = sigma {
            self.driver.live.sigma = sigma;
        }
        (self.params, self.target, self.template, self.views) = (params, built.target, template, views);
        self.view_warnings = built.warnings;
        self.restart_on(fitter)
    }

    /// The σ for a new target when it takes the hull's σ and the current one does not (or the other
    /// way round) and σ is still the other start's default: [`crate::fit::depth::HULL_SIGMA`] or
    /// `fit`'s default; None: σ stays.
    fn sigma_for(&self, params: &FitParams, target: &FitTarget) -> Option<f64> {
        use crate::fit::depth::{HULL_SIGMA, hull_sigma};
        let (was, now) = (hull_sigma(&self.params, &self.target), hull_sigma(params, target));
        let (from, to) = if now { (FitParams::default().sigma, HULL_SIGMA) } else { (HULL_SIGMA, FitParams::default().sigma) };
        (was != now && !self.driver.schedule.on && self.driver.live.sigma == from).then_some(to)
    }

    /// Replaces the views (a new picture, a views CSV) and starts over from the target's default start.
    /// On error nothing changes.
    pub fn replace_views(&mut self, views: Vec<View>) -> Result<()> {
        self.restart_on_views(views, None)
    }

    /// Edits the views (add, remove, angles, weight, invert, threshold) and **continues the fit from the
    /// current mesh** on the new target (the optimizer's state and the step count start over). On error
    /// nothing changes.
    pub fn edit_views(&mut self, edit: impl FnOnce(&mut Vec<View>) -> Result<()>) -> Result<()> {
        let mut views = self.views.clone();
        edit(&mut views)?;
        let current = Mesh { vertices: self.vertices.clone(), faces: self.template.faces.clone() };
        self.restart_on_views(views, Some(current))
    }

    /// Adds a picture as a view from (elevation, azimuth), labelled `label` (else by its file name), and
    /// continues the fit ([`views::add_picture`]: a sheet view, or a camera view beside camera views).
    pub fn add_picture(&mut self, path: &Path, label: Option<&str>, elevation: f64, azimuth: f64) -> Result<()> {
        let mut view = View::from_file(path, Placement::Sheet { elevation, azimuth })?;
        if let Some(l) = label {
            view.name = l.to_string();
        }
        self.edit_views(|views| views::add_picture(views, view, elevation, azimuth))
    }

    /// Saves the views as a views CSV with their processed masks beside it ([`views::save_csv`]): `fit
    /// --views CSV` then fits the same target. Returns the mask files written.
    pub fn save_views(&self, csv: &Path) -> Result<Vec<std::path::PathBuf>> {
        views::save_csv(csv, &self.target, &self.view_files())
    }

    /// Opens a views CSV (`fit --views`'s format) and starts over on it, at the size of its first
    /// picture when that is square (as `fit --views`), else at the current size.
    pub fn open_views(&mut self, csv: &Path) -> Result<()> {
        let views = views::load_csv(csv, &self.params, crate::camera::Projection::Perspective)?;
        let size = match views.first().map(|v| &v.source) {
            Some(views::Source::Picture(p)) if p.width == p.height => p.width,
            _ => self.params.size,
        };
        let old = self.params.size;
        self.params.size = size;
        let r = self.replace_views(views);
        if r.is_err() {
            self.params.size = old;
        }
        r
    }

    /// Waits for the steps on their way, then writes the mesh atomically: PLY when the name ends in
    /// `.ply`, OBJ (with normals) otherwise. (The viewer saves [`Session::current_mesh`] on a thread of
    /// its own instead, without waiting.)
    pub fn save_mesh(&mut self, path: &Path) -> Result<()> {
        self.finish()?;
        self.current_mesh().save(path)
    }

    /// The mesh as of the last readback.
    pub fn current_mesh(&self) -> Mesh {
        Mesh { vertices: self.vertices.clone(), faces: self.template.faces.clone() }
    }

    /// The files the views were read from (saving the views never writes over them).
    pub fn view_files(&self) -> Vec<std::path::PathBuf> {
        self.views.iter().filter_map(|v| v.file.clone()).collect()
    }

    /// The camera 90° in azimuth beside view `view` (same distance, elevation and view angle): from it
    /// the depth of a one-view fit shows without orbiting.
    pub fn side_camera(&self, view: usize) -> Camera {
        let c = self.target.cameras[view.min(self.target.cameras.len() - 1)];
        Camera { azimuth: c.azimuth + 90.0, ..c }
    }

    /// The current mesh's near-hard silhouette (σ 3e-5, `size`², f64 CPU engine: the window's thread
    /// never waits for the device) from [`Session::side_camera`].
    pub fn side_silhouette(&self, view: usize, size: u32) -> Vec<f32> {
        let mesh = Mesh { vertices: self.vertices.clone(), faces: self.template.faces.clone() };
        let s = crate::raster::RasterSettings::square(size, 3e-5);
        crate::raster::cpu::forward(&mesh, &[self.side_camera(view)], &s).sil.iter().map(|&x| x as f32).collect()
    }

    /// The user's template, or the default start for `target` ([`crate::fit::depth::start_template`]).
    fn start_template(&self, params: &FitParams, target: &FitTarget) -> Result<Mesh> {
        match &self.custom_template {
            Some(t) => Ok(t.clone()),
            None => crate::fit::depth::start_template(params, target),
        }
    }

    pub fn adapter(&self) -> String {
        self.ctx.describe()
    }
}

/// A one-picture target seen from the front at the parameters' distance and view angle.
pub fn single_target(mask: &crate::target::Mask, params: &FitParams) -> Result<FitTarget> {
    Ok(FitTarget {
        size: mask.width,
        cameras: vec![Camera::new(params.distance, 0.0, 0.0, params.view_angle)?],
        masks: mask.values.clone(),
        names: vec!["picture".into()],
        weights: vec![1.0],
    })
}
