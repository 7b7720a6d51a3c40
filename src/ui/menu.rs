//! [`MenuButton`]: a button that opens a menu of actions (a popover in the top layer, so a
//! card's containment never clips it). The platform gives light dismiss, Escape and focus
//! return; this adds the position under the button, focus on the first item when it opens,
//! ↑/↓/Home/End between items, and closing after an item is chosen.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The menu items (enabled `role=menuitem` buttons) of the menu `menu`.
fn items(menu: &web_sys::Element) -> Vec<web_sys::HtmlElement> {
    let Ok(list) = menu.query_selector_all("[role=menuitem]:not([disabled])") else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

/// Puts the menu under the button (above it when there is no room below), its right edge at
/// the button's right edge, inside the viewport.
fn place(button: &web_sys::Element, menu: &web_sys::HtmlElement) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let rect = button.get_bounding_client_rect();
    let width = f64::from(menu.offset_width().max(224));
    let height = f64::from(menu.offset_height().max(1));
    let view_w = window
        .inner_width()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(1024.0);
    let view_h = window
        .inner_height()
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(768.0);
    let left = (rect.right() - width).clamp(8.0, (view_w - width - 8.0).max(8.0));
    let below = rect.bottom() + 4.0;
    let top = if below + height > view_h - 8.0 && rect.top() - height - 4.0 > 8.0 {
        rect.top() - height - 4.0
    } else {
        below
    };
    let style = menu.style();
    let _ = style.set_property("left", &format!("{left:.0}px"));
    let _ = style.set_property("top", &format!("{top:.0}px"));
}

/// A menu button and its menu. `children` are the items: `<button role="menuitem">`s; the
/// menu closes after one is chosen.
#[component]
pub fn MenuButton(
    /// The button's (and the menu's) accessible name, e.g. "More actions".
    label: String,
    /// What the button shows (e.g. "⋯"); the label when empty.
    #[prop(optional)]
    text: &'static str,
    /// A page-unique id for the menu.
    id: String,
    /// `data-testid` of the button.
    #[prop(optional)]
    testid: &'static str,
    /// Extra classes of the button.
    #[prop(optional)]
    class: &'static str,
    /// The items.
    children: Children,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    let menu = NodeRef::<leptos::html::Div>::new();
    // Placed before the platform shows it (the click runs before the popover opens).
    let on_click = move |_| {
        if let (Some(b), Some(m)) = (button.get_untracked(), menu.get_untracked()) {
            place(&b, &m);
        }
    };
    let on_toggle = move |_| {
        let Some(m) = menu.get_untracked() else {
            return;
        };
        let shown = m.matches(":popover-open").unwrap_or(false);
        open.set(shown);
        if shown {
            if let Some(b) = button.get_untracked() {
                place(&b, &m);
            }
            if let Some(first) = items(&m).first() {
                let _ = first.focus();
            }
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let Some(m) = menu.get_untracked() else {
            return;
        };
        let list = items(&m);
        if list.is_empty() {
            return;
        }
        let active = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.active_element());
        let at = list.iter().position(|i| {
            active
                .as_ref()
                .is_some_and(|a| a == i.unchecked_ref::<web_sys::Element>())
        });
        let last = list.len() - 1;
        let to = match ev.key().as_str() {
            "ArrowDown" => at.map_or(0, |i| if i >= last { 0 } else { i + 1 }),
            "ArrowUp" => at.map_or(last, |i| if i == 0 { last } else { i - 1 }),
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        ev.prevent_default();
        let _ = list[to].focus();
    };
    // After an item's own click handler: close.
    let on_chosen = move |ev: leptos::ev::MouseEvent| {
        let chosen = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .and_then(|t| t.closest("[role=menuitem]").ok().flatten())
            .is_some();
        if let (true, Some(m)) = (chosen, menu.get_untracked()) {
            let _ = m.hide_popover();
        }
    };
    let shown_text = if text.is_empty() {
        label.clone()
    } else {
        text.to_string()
    };
    view! {
        <button type="button" node_ref=button class=format!("btn ghost small menu-button {class}") aria-label=label.clone()
            aria-haspopup="menu" aria-expanded=move || open.get().to_string() aria-controls=id.clone()
            popovertarget=id.clone() data-testid=testid on:click=on_click>{shown_text}</button>
        <div node_ref=menu id=id popover="auto" role="menu" aria-label=label class="card menu"
            on:toggle=on_toggle on:keydown=on_key on:click=on_chosen>
            {children()}
        </div>
    }
}
