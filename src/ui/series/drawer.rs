//! [`Drawer`]: a panel that slides over the board from the right (the bible, the series
//! settings), opened from the title bar. A native `<dialog>` shown with `showModal()`: focus
//! moves in and stays in, Escape closes it, and the page behind is inert. Its content mounts
//! the first time it opens (a lazy part loads then) and stays mounted after.

use leptos::html;
use leptos::prelude::*;

/// A drawer with a title and a "Close" button.
#[component]
pub fn Drawer(
    /// Whether it is open (the title bar's button sets it; closing clears it).
    open: RwSignal<bool>,
    /// Its title (and accessible name).
    title: &'static str,
    /// Id of the title element.
    title_id: &'static str,
    /// `data-testid` of the dialog.
    testid: &'static str,
    /// `data-testid` of its "Close" button.
    close_testid: &'static str,
    /// What it holds.
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let wanted = Memo::new(move |was: Option<&bool>| was.copied().unwrap_or(false) || open.get());
    Effect::new(move |_| {
        let want = open.get();
        if let Some(d) = dialog.get() {
            if want && !d.open() {
                let _ = d.show_modal();
            } else if !want && d.open() {
                d.close();
            }
        }
    });
    view! {
        <dialog node_ref=dialog class="drawer" aria-labelledby=title_id data-testid=testid
            on:close=move |_| {
                // The close event is queued: the drawer may have been opened again since.
                if dialog.get_untracked().is_some_and(|d| !d.open()) {
                    open.set(false);
                }
            }>
            <header class="drawer-head">
                <h2 id=title_id>{title}</h2>
                <button class="btn small" data-testid=close_testid on:click=move |_| open.set(false)>"Close"</button>
            </header>
            <div class="drawer-body">
                <Show when=move || wanted.get()>{children()}</Show>
            </div>
        </dialog>
    }
}
