//! The markup painter ("Mark changes"): a drawing layer over the image on which the user
//! marks what to change — a pen line, an arrow, a circle, a typed note — with undo and clear.
//! Drags are Pointer Events with pointer capture (mouse, pen and touch); positions are mapped
//! back to image pixels, so the layer sent is the image's size whatever the screen shows.

use crate::web::markup::{draw_marks, Mark, Point, Tool};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The painter, sized like the image it sits on (`width`×`height` image pixels; the canvas is
/// stretched over the image by CSS).
#[component]
pub fn MarkupPainter(
    /// Image width in pixels.
    width: u32,
    /// Image height in pixels.
    height: u32,
    /// The marks drawn so far (shared with the edit form).
    marks: RwSignal<Vec<Mark>>,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let tool = RwSignal::new(Tool::Circle);
    let note = RwSignal::new(String::new());
    let drawing = StoredValue::new_local(None::<Mark>);
    let redraw = move || {
        if let Some(c) = canvas.get_untracked() {
            let live = drawing.get_value();
            marks.with_untracked(|m| draw_marks(&c, m, live.as_ref()));
        }
    };
    // Redraw whenever the marks change (a new mark, undo, clear).
    Effect::new(move |_| {
        marks.track();
        redraw();
    });
    let to_image = move |ev: &web_sys::PointerEvent| -> Option<Point> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = (ev.client_x() as f64 - rect.left()) * width as f64 / rect.width();
        let y = (ev.client_y() as f64 - rect.top()) * height as f64 / rect.height();
        Some((x, y))
    };
    let down = move |ev: web_sys::PointerEvent| {
        let Some(p) = to_image(&ev) else { return };
        ev.prevent_default();
        let mark = match tool.get_untracked() {
            // A note is placed where the image is clicked, with the text typed so far.
            Tool::Note => {
                let text = note.get_untracked();
                if !text.trim().is_empty() {
                    marks.update(|m| m.push(Mark::Note(p, text.trim().to_string())));
                    note.set(String::new());
                }
                return;
            }
            Tool::Pen => Mark::Pen(vec![p]),
            Tool::Arrow => Mark::Arrow(p, p),
            Tool::Circle => Mark::Circle(p, p),
        };
        if let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        drawing.set_value(Some(mark));
        redraw();
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if drawing.with_value(Option::is_none) {
            return;
        }
        let Some(p) = to_image(&ev) else { return };
        drawing.update_value(|m| match m {
            Some(Mark::Pen(points)) => points.push(p),
            Some(Mark::Arrow(_, to) | Mark::Circle(_, to)) => *to = p,
            _ => {}
        });
        redraw();
    };
    let up = move |_ev: web_sys::PointerEvent| {
        if let Some(mark) = drawing.try_update_value(Option::take).flatten() {
            marks.update(|m| m.push(mark));
        }
    };
    let tools = Tool::ALL
        .into_iter()
        .map(|(t, label)| {
            view! {
                <button type="button" class="btn small" aria-pressed=move || (tool.get() == t).to_string()
                    on:click=move |_| tool.set(t)>{label}</button>
            }
        })
        .collect_view();
    view! {
        <div class="mask-painter markup-painter">
            <canvas node_ref=canvas class="mask-canvas" width=width height=height data-testid="markup-canvas"
                aria-label="Markup: draw circles, arrows and notes on what to change"
                on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=up></canvas>
            <div class="row mask-tools" role="toolbar" aria-label="Markup tools">
                {tools}
                <Show when=move || tool.get() == Tool::Note>
                    <label class="field narrow"><span>"Note"</span>
                        <input type="text" data-testid="markup-note" placeholder="Type, then click the image"
                            prop:value=move || note.get() on:input:target=move |ev| note.set(ev.target().value())/>
                    </label>
                </Show>
                <button type="button" class="btn ghost small" data-testid="undo-mark"
                    on:click=move |_| marks.update(|m| { m.pop(); }) disabled=move || marks.with(Vec::is_empty)>"Undo"</button>
                <button type="button" class="btn ghost small" data-testid="clear-marks"
                    on:click=move |_| marks.set(Vec::new())>"Clear"</button>
            </div>
        </div>
    }
}
