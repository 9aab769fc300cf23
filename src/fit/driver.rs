//! The step driver: the policy of a fit, shared by `softras fit` ([`run`]) and the viewer's
//! [`crate::session::Session`]. It plans batches of steps (each step's [`Live`] settings, σ from the
//! schedule), judges each batch's numbers when they come back (keep, or roll back to the last good
//! snapshot with the learning rate halved, or give up after [`MAX_ROLLBACKS`]), and keeps the history,
//! the best step with a host copy of its mesh, and why the fit ended. It owns no engine: [`run`] calls
//! a [`Fitter`] in between, the session a fit thread whose readbacks come back later.
use super::{FitParams, Fitter, Live, StepStats};
use crate::error::{Error, Result};
use glam::Vec3;

/// Roll-backs allowed before a fit is declared diverged.
pub const MAX_ROLLBACKS: u32 = 5;

/// A σ schedule: log-linear from `start` at step 0 to `end` at step `steps`, then held (the law of
/// `fit --sigma-end`, [`FitParams::sigma_at`]). The viewer switches it on and off while the fit runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SigmaSchedule {
    pub on: bool,
    pub start: f64,
    pub end: f64,
    pub steps: u32,
}

impl SigmaSchedule {
    /// `params`'s schedule: on with `--sigma-end` (and more than one step), else off at `sigma` with a
    /// tenth of it as the end the viewer offers.
    pub fn of(params: &FitParams) -> SigmaSchedule {
        SigmaSchedule {
            on: params.sigma_end.is_some() && params.steps > 1,
            start: params.sigma,
            end: params.sigma_end.unwrap_or(params.sigma * 0.1),
            steps: params.steps,
        }
    }

    /// σ at 0-based step `step`.
    pub fn at(&self, step: u32) -> f64 {
        log_linear(self.start, self.end, self.steps.max(2), step)
    }
}

/// σ at 0-based `step` of `steps` (≥ 2), log-linear from `start` to `end`, held after the last step.
pub(super) fn log_linear(start: f64, end: f64, steps: u32, step: u32) -> f64 {
    let t = step.min(steps - 1) as f64 / (steps - 1) as f64;
    (start.ln() * (1.0 - t) + end.ln() * t).exp()
}

/// Why a fit ended.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub enum Ending {
    Done,
    Interrupted,
    /// Repeated non-finite numbers: the message says which setting to lower.
    Diverged(String),
    /// The engine failed mid-fit (the GPU device lost, out of memory): its message.
    Failed(String),
}

pub struct FitOutcome {
    pub steps: u32,
    pub last: Option<StepStats>,
    pub best: Option<StepStats>,
    pub history: Vec<StepStats>,
    pub ending: Ending,
    pub rollbacks: u32,
    /// Learning rate at the end (halved at each roll-back).
    pub lr: f64,
    /// A host copy of the best mesh's vertices, taken at each new best, so that a fit whose engine
    /// fails (the device lost) can still save it.
    pub best_vertices: Option<Vec<Vec3>>,
}

/// What the driver made of a batch's numbers ([`Driver::check`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Check {
    /// Every step finite: kept in the history. The engine takes its state as the new roll-back point.
    Kept,
    /// A non-finite step: the plan and the history go back to the roll-back point, with the learning
    /// rate halved. The engine returns to its roll-back point.
    RolledBack,
    /// Too many roll-backs: the fit has ended ([`Ending::Diverged`]). The engine returns to its
    /// roll-back point, the last good state.
    Diverged,
}

/// The state and policy of one fit, step by step (see the module doc).
#[derive(Clone, Debug)]
pub struct Driver {
    params: FitParams,
    /// The settings of the next step (the viewer's sliders change them; a roll-back halves `lr`).
    /// With the schedule on, each step's σ comes from the schedule and `live.sigma` follows it.
    pub live: Live,
    pub schedule: SigmaSchedule,
    /// Steps after which the fit is done (None: runs until stopped, as the viewer does).
    pub limit: Option<u32>,
    /// Batches end at multiples of this many steps (the checks of `fit`).
    check_every: u32,
    /// Steps planned (handed to the engine) and steps kept (checked and finite).
    planned: u32,
    kept: u32,
    /// Kept steps at the engine's roll-back point ([`Driver::snapshot_taken`]).
    snapshot: u32,
    history: Vec<StepStats>,
    last: Option<StepStats>,
    best: Option<StepStats>,
    best_vertices: Option<Vec<Vec3>>,
    rollbacks: u32,
    ending: Option<Ending>,
}

impl Driver {
    /// The driver of the viewer: no step limit, batches as large as asked for.
    pub fn unbounded(params: &FitParams) -> Driver {
        Driver { limit: None, check_every: u32::MAX, ..Driver::new(params, u32::MAX) }
    }

    /// The driver of `fit`: `params.steps` steps from `params.live()`, σ from `--sigma-end`'s schedule,
    /// a check every `params.check_every` steps (at most `max_pending`, what the engine can hold).
    pub fn new(params: &FitParams, max_pending: u32) -> Driver {
        Driver {
            live: params.live(),
            schedule: SigmaSchedule::of(params),
            limit: Some(params.steps),
            check_every: params.check_every.min(max_pending).max(1),
            params: params.clone(),
            planned: 0,
            kept: 0,
            snapshot: 0,
            history: Vec::new(),
            last: None,
            best: None,
            best_vertices: None,
            rollbacks: 0,
            ending: None,
        }
    }

    /// Starts over at step 0 on `params` (the viewer's restarts): the live settings, the schedule, the
    /// limit and the batching stay; the count, the history and the best mesh go.
    pub fn restart(&mut self, params: &FitParams) {
        let (live, schedule, limit, check_every) = (self.live, self.schedule, self.limit, self.check_every);
        *self = Driver { live, schedule, limit, check_every, ..Driver::new(params, u32::MAX) };
    }

    /// The settings of 0-based step `step` (σ from the schedule when it is on).
    pub fn live_at(&self, step: u32) -> Live {
        Live { sigma: if self.schedule.on { self.schedule.at(step) } else { self.live.sigma }, ..self.live }
    }

    /// Plans the next batch: the settings of each of its steps, at most `want`, ending at the next check
    /// and at the step limit; empty once the fit has ended or reached its limit.
    pub fn next_batch(&mut self, want: u32) -> Vec<Live> {
        if self.ending.is_some() {
            return Vec::new();
        }
        let to_check = self.check_every - self.planned % self.check_every;
        let to_limit = self.limit.map_or(u32::MAX, |l| l.saturating_sub(self.planned));
        let n = want.min(to_check).min(to_limit);
        let lives: Vec<Live> = (self.planned..self.planned + n).map(|k| self.live_at(k)).collect();
        if let Some(last) = lives.last() {
            self.live.sigma = last.sigma;
        }
        self.planned += n;
        lives
    }

    /// The engine has kept its state after every kept step as its roll-back point. [`run`] does so at
    /// every check; the viewer's session only when no batch is on its way.
    pub fn snapshot_taken(&mut self) {
        debug_assert_eq!(self.planned, self.kept, "a roll-back point holds only checked steps");
        self.snapshot = self.kept;
    }

    /// Judges a batch's numbers (oldest first, the batch after the last kept step). `keep_best` is
    /// called when the batch's last step is the best so far: it keeps that state in the engine and
    /// returns the host copy of its mesh. A roll-back drops every step after the roll-back point from
    /// the plan and the history. See [`Check`] for what the engine does next.
    pub fn check(&mut self, batch: Vec<StepStats>, keep_best: impl FnOnce() -> Result<Vec<Vec3>>) -> Result<Check> {
        let Some(&last) = batch.last() else { return Ok(Check::Kept) };
        if batch.iter().all(StepStats::is_finite) {
            if self.best.is_none_or(|b| last.loss < b.loss) {
                let vertices = keep_best()?;
                self.best = Some(last);
                self.best_vertices = Some(vertices);
            }
            self.history.extend_from_slice(&batch);
            self.last = Some(last);
            self.kept = last.step;
            return Ok(Check::Kept);
        }
        self.rollbacks += 1;
        (self.planned, self.kept) = (self.snapshot, self.snapshot);
        self.history.truncate(self.history.partition_point(|s| s.step <= self.snapshot));
        self.last = self.history.last().copied();
        self.live.lr *= 0.5;
        if self.rollbacks > MAX_ROLLBACKS {
            self.ending = Some(Ending::Diverged(format!(
                "the loss or gradient became NaN/infinite {} times, even at learning rate {:.3e}: lower --lr \
                 (now {}) or raise --sigma (now {:e})",
                self.rollbacks,
                self.live.lr * 2.0,
                self.params.lr,
                self.live_at(self.kept).sigma
            )));
            return Ok(Check::Diverged);
        }
        log::warn!("non-finite loss or gradient near step {}: rolled back, learning rate halved to {:e}", self.kept, self.live.lr);
        Ok(Check::RolledBack)
    }

    /// Ends the fit (a stop request, an engine failure); the first ending stays.
    pub fn end(&mut self, ending: Ending) {
        self.ending.get_or_insert(ending);
    }

    /// Lets an ended fit go on (the viewer's Play after a divergence), with a fresh count of roll-backs.
    pub fn resume(&mut self) {
        self.ending = None;
        self.rollbacks = 0;
    }

    /// Steps planned so far (handed to the engine, not yet all checked).
    pub fn planned(&self) -> u32 {
        self.planned
    }

    /// Kept steps at the engine's roll-back point.
    pub fn snapshot_step(&self) -> u32 {
        self.snapshot
    }

    /// Steps kept: checked, finite, in the history.
    pub fn kept(&self) -> u32 {
        self.kept
    }

    pub fn history(&self) -> &[StepStats] {
        &self.history
    }

    pub fn last(&self) -> Option<&StepStats> {
        self.last.as_ref()
    }

    pub fn best(&self) -> Option<&StepStats> {
        self.best.as_ref()
    }

    /// The host copy of the best mesh's vertices (taken at each new best).
    pub fn best_vertices(&self) -> Option<&[Vec3]> {
        self.best_vertices.as_deref()
    }

    pub fn rollbacks(&self) -> u32 {
        self.rollbacks
    }

    /// Why the fit ended; None while it runs.
    pub fn ending(&self) -> Option<&Ending> {
        self.ending.as_ref()
    }

    /// The fit's outcome (Done unless it ended otherwise).
    pub fn into_outcome(self) -> FitOutcome {
        FitOutcome {
            steps: self.kept,
            last: self.last,
            best: self.best,
            history: self.history,
            ending: self.ending.unwrap_or(Ending::Done),
            rollbacks: self.rollbacks,
            lr: self.live.lr,
            best_vertices: self.best_vertices,
        }
    }
}

/// Runs `params.steps` steps, checking every `check_every`; `progress` sees each batch of stats;
/// `stop` is polled between steps (Ctrl-C).
pub fn run(
    fitter: &mut dyn Fitter,
    params: &FitParams,
    stop: &std::sync::atomic::AtomicBool,
    mut progress: impl FnMut(&StepStats, &[StepStats]),
) -> Result<FitOutcome> {
    let mut driver = Driver::new(params, fitter.max_pending());
    match run_steps(fitter, &mut driver, stop, &mut progress) {
        Ok(()) => Ok(driver.into_outcome()),
        // a GPU failure mid-fit ends the fit with what was kept; bad settings are still errors
        Err(Error::Gpu(msg)) if driver.kept() > 0 => {
            driver.end(Ending::Failed(format!("GPU: {msg}")));
            Ok(driver.into_outcome())
        }
        Err(e) => Err(e),
    }
}

fn run_steps(
    fitter: &mut dyn Fitter,
    driver: &mut Driver,
    stop: &std::sync::atomic::AtomicBool,
    progress: &mut impl FnMut(&StepStats, &[StepStats]),
) -> Result<()> {
    use std::sync::atomic::Ordering;
    fitter.snapshot()?;
    driver.snapshot_taken();
    loop {
        let lives = driver.next_batch(u32::MAX);
        if lives.is_empty() {
            return Ok(());
        }
        for live in &lives {
            if stop.load(Ordering::SeqCst) {
                driver.end(Ending::Interrupted);
                return Ok(());
            }
            fitter.step(live)?;
        }
        let batch = fitter.drain_stats()?;
        match driver.check(batch, || {
            fitter.keep_best()?;
            fitter.vertices(true)
        })? {
            Check::Kept => {
                fitter.snapshot()?;
                driver.snapshot_taken();
                let last = driver.last().expect("a kept batch has a last step");
                progress(last, driver.history());
            }
            Check::RolledBack | Check::Diverged => fitter.restore()?,
        }
    }
}
