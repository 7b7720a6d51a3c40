//! The mask painter: a canvas over the image on which the user paints what may change, with a
//! brush of a chosen size, an eraser, clear, invert and undo of the last stroke. Works with a
//! mouse, a pen and touch (Pointer Events, with pointer capture).

pub use crate::web::canvas::Mask;
use crate::web::canvas::{draw_overlay, Stroke};
use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The painter, sized like the image it sits on (`width`×`height` image pixels; the canvas is
/// stretched over the image by CSS, and pointer positions are mapped back to image pixels).
#[component]
pub fn MaskPainter(
    /// Image width in pixels.
    width: u32,
    /// Image height in pixels.
    height: u32,
    /// The mask being painted (shared with the edit form).
    mask: RwSignal<Mask>,
) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let size = RwSignal::new(((width.max(height) as f64) / 24.0).round().max(4.0));
    let erasing = RwSignal::new(false);
    let drawing = StoredValue::new_local(None::<Stroke>);
    // Redraw whenever the strokes change (undo, clear, invert) — and after each move.
    Effect::new(move |_| {
        let m = mask.get();
        if let Some(c) = canvas.get() {
            let mut strokes = m.strokes.clone();
            if let Some(live) = drawing.get_value() {
                strokes.push(live);
            }
            draw_overlay(&c, &strokes, m.inverted);
        }
    });
    let to_image = move |ev: &web_sys::PointerEvent| -> Option<(f64, f64)> {
        let c = canvas.get_untracked()?;
        let rect = c.get_bounding_client_rect();
        if rect.width() <= 0.0 || rect.height() <= 0.0 {
            return None;
        }
        let x = (ev.client_x() as f64 - rect.left()) * width as f64 / rect.width();
        let y = (ev.client_y() as f64 - rect.top()) * height as f64 / rect.height();
        Some((x, y))
    };
    let redraw_live = move || {
        if let Some(c) = canvas.get_untracked() {
            let m = mask.get_untracked();
            let mut strokes = m.strokes;
            if let Some(live) = drawing.get_value() {
                strokes.push(live);
            }
            draw_overlay(&c, &strokes, m.inverted);
        }
    };
    let down = move |ev: web_sys::PointerEvent| {
        let Some(p) = to_image(&ev) else { return };
        ev.prevent_default();
        if let Some(target) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        {
            let _ = target.set_pointer_capture(ev.pointer_id());
        }
        drawing.set_value(Some(Stroke {
            points: vec![p],
            size: size.get_untracked(),
            erase: erasing.get_untracked(),
        }));
        redraw_live();
    };
    let moved = move |ev: web_sys::PointerEvent| {
        if drawing.with_value(Option::is_none) {
            return;
        }
        let Some(p) = to_image(&ev) else { return };
        drawing.update_value(|s| {
            if let Some(s) = s {
                s.points.push(p);
            }
        });
        redraw_live();
    };
    let up = move |_ev: web_sys::PointerEvent| {
        if let Some(stroke) = drawing.try_update_value(Option::take).flatten() {
            mask.update(|m| m.strokes.push(stroke));
        }
    };
    let undo = move |_| {
        mask.update(|m| {
            m.strokes.pop();
        })
    };
    let clear = move |_| mask.set(Mask::default());
    let invert = move |_| mask.update(|m| m.inverted = !m.inverted);
    view! {
        <div class="mask-painter">
            <canvas node_ref=canvas class="mask-canvas" width=width height=height data-testid="mask-canvas"
                aria-label="Mask: paint the area that may change"
                on:pointerdown=down on:pointermove=moved on:pointerup=up on:pointercancel=up></canvas>
            <div class="row mask-tools" role="toolbar" aria-label="Mask tools">
                <label class="field narrow"><span>"Brush size"</span>
                    <input type="range" min="2" max=(width.max(height) / 4).to_string() data-testid="brush-size"
                        prop:value=move || size.get().to_string()
                        on:input:target=move |ev| { if let Ok(v) = ev.target().value().parse::<f64>() { size.set(v) } }/>
                </label>
                <button type="button" class="btn small" aria-pressed=move || (!erasing.get()).to_string() on:click=move |_| erasing.set(false)>"Brush"</button>
                <button type="button" class="btn small" aria-pressed=move || erasing.get().to_string() data-testid="eraser" on:click=move |_| erasing.set(true)>"Eraser"</button>
                <button type="button" class="btn ghost small" data-testid="undo-stroke" on:click=undo disabled=move || mask.with(|m| m.strokes.is_empty())>"Undo stroke"</button>
                <button type="button" class="btn ghost small" data-testid="invert-mask" on:click=invert>"Invert"</button>
                <button type="button" class="btn ghost small" data-testid="clear-mask" on:click=clear>"Clear"</button>
            </div>
        </div>
    }
}
