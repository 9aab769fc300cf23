//! The plot of loss and soft IoU over the kept steps, in the room the controls leave under them.
use super::state::{Fit, Layout, PanelSet};
use bevy::prelude::*;
use bevy_egui::{EguiContexts, EguiPrimaryContextPass, egui};

pub fn plugin(app: &mut App) {
    app.add_systems(EguiPrimaryContextPass, plot.in_set(PanelSet::Plot));
}

fn plot(mut contexts: EguiContexts, fit: Res<Fit>, layout: Res<Layout>) -> Result {
    let Some(rect) = layout.plot else { return Ok(()) };
    let ctx = contexts.ctx_mut()?;
    let mut ui =
        egui::Ui::new(ctx.clone(), "softras-plot".into(), egui::UiBuilder::new().layer_id(egui::LayerId::background()).max_rect(rect));
    let history = fit.0.history();
    let loss: egui_plot::PlotPoints = history.iter().map(|h| [h.step as f64, h.loss]).collect();
    let iou: egui_plot::PlotPoints = history.iter().map(|h| [h.step as f64, h.soft_iou_mean]).collect();
    egui_plot::Plot::new("history").height(150.0).legend(egui_plot::Legend::default()).show(&mut ui, |p| {
        p.line(egui_plot::Line::new("loss", loss));
        p.line(egui_plot::Line::new("soft IoU", iou));
    });
    Ok(())
}
