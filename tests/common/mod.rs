//! Helpers shared by the browser tests: mounting, querying and waiting on the real DOM.
#![allow(dead_code)]

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// The test page's document.
pub fn doc() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Mounts a view into a fresh element of its own (all tests share one page). Keep the
/// handle alive: dropping it unmounts.
pub fn mount<F, N>(f: F) -> (Element, leptos::mount::UnmountHandle<N::State>)
where
    F: FnOnce() -> N + 'static,
    N: IntoView,
{
    let root = doc().create_element("section").unwrap();
    doc().body().unwrap().append_child(&root).unwrap();
    let handle = leptos::mount::mount_to(root.clone().unchecked_into(), f);
    (root, handle)
}

/// A name no other test run uses (databases persist in the test profile).
pub fn unique_name(prefix: &str) -> String {
    format!("test-{prefix}-{:x}", continuity::web::clock::random_u64())
}

/// Leaks a string for a `&'static str` prop (fine in tests).
pub fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

/// First element matching a CSS selector.
pub fn query(selector: &str) -> Option<Element> {
    doc().query_selector(selector).unwrap()
}

/// All elements matching a CSS selector.
pub fn query_all(selector: &str) -> Vec<Element> {
    let list = doc().query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

/// Text of the first match.
pub fn text(selector: &str) -> String {
    query(selector)
        .and_then(|e| e.text_content())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Clicks the first match.
pub fn click(selector: &str) {
    query(selector)
        .unwrap_or_else(|| panic!("no {selector}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

/// Types into an input or textarea the way a user does (value + `input` event).
pub fn set_input(selector: &str, value: &str) {
    let el = query(selector).unwrap_or_else(|| panic!("no {selector}"));
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(value);
    }
    let ev = web_sys::Event::new_with_event_init_dict("input", &{
        let init = web_sys::EventInit::new();
        init.set_bubbles(true);
        init
    })
    .unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Polls `cond` every 20 ms for up to 20 s; panics with `what` if it never holds.
pub async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        continuity::web::clock::sleep(20, None).await.unwrap();
    }
    panic!("timed out waiting for {what}");
}

/// Resets the URL hash so the next test starts on the projects screen.
pub fn reset_hash() {
    let _ = web_sys::window().unwrap().location().set_hash("");
}

/// All bytes of a Blob (tests only).
pub async fn blob_bytes(blob: &web_sys::Blob) -> Vec<u8> {
    let buf = JsFuture::from(blob.array_buffer()).await.unwrap();
    js_sys::Uint8Array::new(&buf).to_vec()
}

// ---------------------------------------------------------------------------------------------
// Helpers for the API tests (tests/api.rs): the fake server, its journal, hashes and PNGs.
// ---------------------------------------------------------------------------------------------

/// Base URL of the running fake (`continuity-server --provider fake`), fixed at compile time by
/// `CONTINUITY_FAKE_URL` (scripts/test.sh sets it); it is another origin than the test page,
/// exactly like api.openai.com is for the deployed app.
pub fn fake_url() -> &'static str {
    option_env!("CONTINUITY_FAKE_URL")
        .unwrap_or("http://127.0.0.1:18787")
        .trim_end_matches('/')
}

/// GETs `url` and parses the body as JSON (tests only; panics on any failure).
pub async fn fetch_json(url: &str) -> serde_json::Value {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .unwrap_or_else(|e| panic!("GET {url} failed: {e:?}"))
        .unchecked_into();
    assert!(response.ok(), "GET {url}: HTTP {}", response.status());
    let text = JsFuture::from(response.text().unwrap()).await.unwrap();
    serde_json::from_str(&text.as_string().unwrap()).unwrap()
}

/// Every entry of the fake's journal (`GET /_fake/requests`, oldest first).
pub async fn fake_journal() -> Vec<serde_json::Value> {
    match fetch_json(&format!("{}/_fake/requests", fake_url())).await {
        serde_json::Value::Array(entries) => entries,
        other => panic!("the journal is not an array: {other}"),
    }
}

/// The journal entries whose prompt contains `needle`, oldest first. Tests put a random token
/// in their prompts, so they never see each other's requests (nor an earlier run's: the fake's
/// journal outlives a test run) and never need to clear the shared journal.
pub async fn journal_for(needle: &str) -> Vec<serde_json::Value> {
    fake_journal()
        .await
        .into_iter()
        .filter(|e| {
            e["params"]["prompt"]
                .as_str()
                .is_some_and(|p| p.contains(needle))
        })
        .collect()
}

/// Lower-case hex SHA-256 of `bytes`, computed by the browser's WebCrypto (the fake's journal
/// reports the same digest of every file it received).
pub async fn sha256_hex(bytes: &[u8]) -> String {
    let subtle = web_sys::window().unwrap().crypto().unwrap().subtle();
    let promise = subtle
        .digest_with_str_and_u8_array("SHA-256", bytes)
        .unwrap();
    let buffer = JsFuture::from(promise).await.unwrap();
    js_sys::Uint8Array::new(&buffer)
        .to_vec()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// CRC-32 (ISO-HDLC, the one PNG chunks use), bit by bit: slow but tiny and obviously right.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Adler-32, the checksum that ends a zlib stream.
pub fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &x in bytes {
        a = (a + u32::from(x)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// Encodes an 8-bit RGBA PNG with `pixel(x, y)` as the colour of each pixel. The zlib stream
/// uses *stored* (uncompressed) deflate blocks, which every decoder must accept: no compressor
/// is needed, so the test controls every byte and can hash exactly what it sends.
pub fn png_rgba(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
    // Scanlines: filter type 0 (None) then the row's RGBA bytes.
    let mut raw = Vec::with_capacity(((width * 4 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    // zlib: CMF/FLG (deflate, 32 KiB window, no dictionary, FCHECK makes it a multiple of 31),
    // stored blocks of at most 65,535 bytes (BFINAL on the last), then Adler-32 big-endian.
    let mut zlib = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65_535).collect();
    for (i, block) in blocks.iter().enumerate() {
        zlib.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        zlib.extend_from_slice(&len.to_le_bytes());
        zlib.extend_from_slice(&(!len).to_le_bytes());
        zlib.extend_from_slice(block);
    }
    zlib.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut chunk = |kind: &[u8; 4], data: &[u8]| {
        png.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let start = png.len();
        png.extend_from_slice(kind);
        png.extend_from_slice(data);
        let crc = crc32(&png[start..]);
        png.extend_from_slice(&crc.to_be_bytes());
    };
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace.
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(b"IHDR", &ihdr);
    chunk(b"IDAT", &zlib);
    chunk(b"IEND", &[]);
    png
}

/// First match of `selector` inside `root` (so a test never sees another test's DOM).
pub fn query_in(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

/// First match of `selector` inside `root`, or a panic naming it.
pub fn find(root: &Element, selector: &str) -> Element {
    query_in(root, selector).unwrap_or_else(|| panic!("no {selector}"))
}

/// Clicks the first `selector` inside `root`, like a user.
pub fn press(root: &Element, selector: &str) {
    find(root, selector).unchecked_into::<HtmlElement>().click();
}

/// Creates a series on the projects screen as a user does: the Custom template with
/// `custom_frames` frames (the default 9-slide carousel when `None`), named `name`; waits for
/// its frame cards and returns how many there are.
pub async fn create_series(root: &Element, name: &str, custom_frames: Option<usize>) -> usize {
    if let Some(n) = custom_frames {
        press(root, "#tpl-custom");
        wait_for("the frame count field", || {
            query_in(root, "[data-testid=custom-frames]").is_some()
        })
        .await;
        type_into(&find(root, "[data-testid=custom-frames]"), &n.to_string());
    }
    type_into(&find(root, "[data-testid=new-name]"), name);
    press(root, "[data-testid=create-series]");
    let frames = custom_frames.unwrap_or(9);
    wait_for("the frame cards", || {
        query_all_in(root, "[data-testid=frame-card]").len() == frames
    })
    .await;
    frames
}

/// All matches of `selector` inside `root`.
pub fn query_all_in(root: &Element, selector: &str) -> Vec<Element> {
    let list = root.query_selector_all(selector).unwrap();
    (0..list.length())
        .filter_map(|i| list.item(i)?.dyn_into().ok())
        .collect()
}

/// Trimmed text of an element.
pub fn text_of(el: &Element) -> String {
    el.text_content().unwrap_or_default().trim().to_string()
}

/// Types into a given input or textarea the way a user does (value + bubbling `input`).
pub fn type_into(el: &Element, value: &str) {
    set_value(el, value);
    fire(el, "input");
}

/// Sets a given input's value and fires `change`, like a user committing a field (leaving it
/// or pressing Enter); some settings only listen to `change`.
pub fn commit_value(el: &Element, value: &str) {
    set_value(el, value);
    fire(el, "change");
}

fn set_value(el: &Element, value: &str) {
    if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
        input.set_value(value);
    } else if let Some(area) = el.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.set_value(value);
    } else {
        panic!("not an input or textarea: {}", el.outer_html());
    }
}

fn fire(el: &Element, name: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let ev = web_sys::Event::new_with_event_init_dict(name, &init).unwrap();
    el.dispatch_event(&ev).unwrap();
}

/// Clicks the first `selector` inside `root` whose text is exactly `label` (for buttons that
/// have no test id, found the way a user finds them: by what they say).
pub fn click_labelled(root: &Element, selector: &str, label: &str) {
    query_all_in(root, selector)
        .into_iter()
        .find(|e| text_of(e) == label)
        .unwrap_or_else(|| panic!("no {selector} saying {label:?}"))
        .unchecked_into::<HtmlElement>()
        .click();
}

// ---------------------------------------------------------------------------------------------
// Helpers for the series tests (tests/series.rs): files, selects, shown images, raw storage.
// ---------------------------------------------------------------------------------------------

/// A `File` named `name` with type `mime` holding exactly `bytes`, like one a user picks.
/// (`new File(parts, name, {type})` through `Reflect`: the crate does not enable web-sys'
/// `FilePropertyBag` feature that `File::new_with_u8_array_sequence_and_options` needs.)
pub fn file_from_bytes(bytes: &[u8], name: &str, mime: &str) -> web_sys::File {
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"type".into(), &mime.into()).unwrap();
    let ctor: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"File".into())
        .unwrap()
        .unchecked_into();
    let args = js_sys::Array::of3(&parts, &name.into(), &options);
    js_sys::Reflect::construct(&ctor, &args)
        .unwrap()
        .unchecked_into()
}

/// Puts `files` into a file input the way the picker does (through a `DataTransfer`, the only
/// way to build a `FileList`) and fires `change`. `DataTransfer.items.add` is called through
/// `Reflect`: the crate does not enable web-sys' `DataTransferItemList` feature.
pub fn pick_files(input: &Element, files: &[web_sys::File]) {
    let transfer = web_sys::DataTransfer::new().unwrap();
    let items = js_sys::Reflect::get(&transfer, &"items".into()).unwrap();
    let add: js_sys::Function = js_sys::Reflect::get(&items, &"add".into())
        .unwrap()
        .unchecked_into();
    for file in files {
        add.call1(&items, file).unwrap();
    }
    input
        .dyn_ref::<HtmlInputElement>()
        .unwrap_or_else(|| panic!("not an input: {}", input.outer_html()))
        .set_files(transfer.files().as_ref());
    fire(input, "change");
}

/// Chooses `value` in a `<select>` and fires `change`, like a user picking an option.
pub fn choose(select: &Element, value: &str) {
    let el = select
        .dyn_ref::<web_sys::HtmlSelectElement>()
        .unwrap_or_else(|| panic!("not a select: {}", select.outer_html()));
    el.set_value(value);
    assert_eq!(el.value(), value, "the select has no option {value:?}");
    fire(select, "change");
}

/// The bytes behind a URL the page can fetch (an `<img>`'s `blob:` object URL).
pub async fn url_bytes(url: &str) -> Vec<u8> {
    let window = web_sys::window().unwrap();
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str(url))
        .await
        .unwrap_or_else(|e| panic!("GET {url} failed: {e:?}"))
        .unchecked_into();
    let buffer = JsFuture::from(response.array_buffer().unwrap())
        .await
        .unwrap();
    js_sys::Uint8Array::new(&buffer).to_vec()
}

/// SHA-256 of the image an `<img>` shows (by its `src`).
pub async fn shown_sha256(img: &Element) -> String {
    let src = img.get_attribute("src").expect("the image has a src");
    sha256_hex(&url_bytes(&src).await).await
}

/// The decoded size of an `<img>`, once it has loaded and decoded (`None` before, or when it
/// failed to decode). Read through `Reflect`: web-sys' `HtmlImageElement` is not enabled.
pub fn decoded_size(img: &Element) -> Option<(u32, u32)> {
    let get = |name: &str| js_sys::Reflect::get(img, &name.into()).ok();
    let complete = get("complete").and_then(|v| v.as_bool()).unwrap_or(false);
    let width = get("naturalWidth").and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
    let height = get("naturalHeight").and_then(|v| v.as_f64()).unwrap_or(0.0) as u32;
    (complete && width > 0).then_some((width, height))
}

/// Resolves an IndexedDB request (tests only; panics on error).
async fn idb_done(request: &web_sys::IdbRequest) -> wasm_bindgen::JsValue {
    use wasm_bindgen::closure::Closure;
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
        });
        let failed = Closure::once_into_js(move || {
            let _ = reject.call0(&wasm_bindgen::JsValue::NULL);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(failed.unchecked_ref()));
    });
    JsFuture::from(promise).await.expect("IndexedDB request");
    request.result().unwrap()
}

/// Every key of the `images` store of database `name`, read with a raw IndexedDB connection
/// (the app's `Db` has no way to list keys; tests use this to prove nothing extra was stored).
pub async fn stored_image_keys(name: &str) -> Vec<String> {
    let factory = web_sys::window().unwrap().indexed_db().unwrap().unwrap();
    let open = factory.open(name).unwrap();
    let db: web_sys::IdbDatabase = idb_done(&open).await.unchecked_into();
    let tx = db.transaction_with_str("images").unwrap();
    let keys = idb_done(&tx.object_store("images").unwrap().get_all_keys().unwrap()).await;
    db.close();
    js_sys::Array::from(&keys)
        .iter()
        .filter_map(|k| k.as_string())
        .collect()
}

/// Starts Leptos's task executor (mounting does that), for tests that drive the app layer
/// without mounting a view.
pub fn init_executor() {
    let (_root, handle) = mount(|| ());
    std::mem::forget(handle);
}

/// Scrolls to the thumbnails inside `root` that have not loaded yet, as a person scrolls to
/// what they want to see: thumbnails read storage only once they are near the viewport.
/// Returns how many thumbnails under `selector` have a decoded image.
pub fn reveal_thumbs(root: &Element, selector: &str) -> usize {
    let holders = query_all_in(root, &format!("{selector} .thumb"));
    let mut shown = 0;
    for holder in &holders {
        match query_in(holder, "img") {
            Some(img) if decoded_size(&img).is_some() => shown += 1,
            _ => holder.scroll_into_view(),
        }
    }
    shown
}

/// Opens the series screen's drawer behind `button` (e.g. `open-bible`) and waits until its
/// content — a lazy part, mounted the first time it opens — shows `ready`; then closes it as
/// a user does ("Close"). The content stays in the page after.
pub async fn load_drawer(root: &Element, button: &str, ready: &str, close: &str) {
    press(root, &format!("[data-testid={button}]"));
    wait_for(ready, || {
        query_in(root, &format!("[data-testid={ready}]")).is_some()
    })
    .await;
    press(root, &format!("[data-testid={close}]"));
}

/// [`load_drawer`] for the "Bible" drawer (the bible editor's fields stay in the page).
pub async fn load_bible(root: &Element) {
    load_drawer(root, "open-bible", "series-style", "close-bible").await;
}

/// [`load_drawer`] for the "Series settings" drawer (output settings and storage).
pub async fn load_series_settings(root: &Element) {
    load_drawer(
        root,
        "open-series-settings",
        "variants",
        "close-series-settings",
    )
    .await;
}

/// Opens the plan of every frame made on its own, as a user who wants no anchor says so: the
/// series' More menu → "Generate without an anchor" (the primary button walks the anchor
/// flow instead). Returns when the plan shows.
pub async fn plan_without_anchor(root: &Element) {
    press(root, "[data-testid=series-more]");
    press(root, "[data-testid=generate-independent]");
    wait_for("the plan", || {
        query_in(root, "[data-testid=plan-summary]").is_some()
    })
    .await;
}
