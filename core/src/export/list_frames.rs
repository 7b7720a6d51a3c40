//! A list preview ([`crate::export::csv`]) accepted: one new frame per row, appended to the
//! series. Only this step changes the series, after the user has seen the preview.

use crate::export::csv::ListPreview;
use crate::export::import::limits::MAX_FRAMES;
use crate::model::shot::OnImageText;
use crate::model::{make_id, Frame, Series};
use std::collections::BTreeMap;

/// Appends one frame per row of `preview` (bad rows are not in `rows` and make nothing):
/// title (empty: "Frame N"), prompt (its `{variables}` already filled by the CSV module), shot
/// size, and the on-image text — the series' first locale is the source text (a `text` column
/// or `text:<first locale>`), every other `text:<locale>` goes into `translations`, matched to
/// the series' spelling of the tag. New frames show every bible entity, as a frame added by
/// hand does. Returns the new frame ids in order, or why nothing was added (the series would
/// pass the frame limit).
pub fn apply_list(
    series: &mut Series,
    preview: &ListPreview,
    mut ids: impl FnMut() -> u64,
) -> Result<Vec<String>, String> {
    let total = series.frames.len() + preview.rows.len();
    if total > MAX_FRAMES {
        return Err(format!(
            "The series would have {total} frames; at most {MAX_FRAMES} are possible. Import fewer rows."
        ));
    }
    let source = series.locales.first().cloned();
    let entities: Vec<String> = series.bible.entities.iter().map(|e| e.id.clone()).collect();
    let mut added = Vec::with_capacity(preview.rows.len());
    for row in &preview.rows {
        let title = match row.title.trim() {
            "" => format!("Frame {}", series.frames.len() + 1),
            t => t.to_string(),
        };
        let mut frame = Frame::new(make_id("f", ids()), series.id.clone(), title);
        frame.prompt = row.prompt.clone();
        frame.shot.shot_size = row.shot_size.trim().to_string();
        frame.shot.entities = entities.clone();
        let mut text = String::new();
        let mut translations = BTreeMap::new();
        for (locale, value) in &row.texts {
            if value.is_empty() {
                continue;
            }
            let is_source = locale.is_empty()
                || source
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case(locale));
            if is_source {
                if text.is_empty() {
                    text = value.clone();
                }
            } else {
                let tag = series
                    .locales
                    .iter()
                    .find(|l| l.eq_ignore_ascii_case(locale))
                    .cloned()
                    .unwrap_or_else(|| locale.clone());
                translations.insert(tag, value.clone());
            }
        }
        if !text.is_empty() || !translations.is_empty() {
            frame.shot.texts.push(OnImageText {
                text,
                // Empty: the compiler names the language from the script.
                language: String::new(),
                placement: String::new(),
                translations,
            });
        }
        added.push(frame.id.clone());
        series.frames.push(frame);
    }
    series.frame_order = series.frames.iter().map(|f| f.id.clone()).collect();
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::csv::{import_csv, ListOptions};
    use crate::model::template::Template;

    fn series(locales: &[&str]) -> Series {
        let mut n = 0;
        let mut s = Series::from_template("List", Template::Comic, "gpt-image-2", 0.0, move || {
            n += 1;
            n
        });
        s.locales = locales.iter().map(|l| l.to_string()).collect();
        s
    }

    fn counter() -> impl FnMut() -> u64 {
        let mut n = 1000;
        move || {
            n += 1;
            n
        }
    }

    #[test]
    fn export_list_rows_become_frames_with_locale_texts() {
        let csv = "title,prompt,text,text:zh-hans,text:ar,shot,product,price\n\
                   Hook,\"{product} on a table, morning\",Fresh,新鲜,طازج,wide,Tea,3\n\
                   \"Offer\nline 2\",{product} for {price},\"Only \"\"{price}\"\" €\",只要3欧元,فقط ٣ يورو,close-up,Tea,3\n\
                   ,bad row is fine,,,,,,\n";
        let preview = import_csv(csv, &ListOptions::default()).unwrap();
        assert_eq!(preview.rows.len(), 3);
        let mut s = series(&["en", "zh-Hans", "ar"]);
        let before = s.frames.len();
        let ids = apply_list(&mut s, &preview, counter()).unwrap();
        assert_eq!(ids.len(), 3);
        assert_eq!(s.frames.len(), before + 3);
        assert_eq!(s.frame_order.len(), s.frames.len());
        let hook = s.frame(&ids[0]).unwrap();
        assert_eq!(hook.title, "Hook");
        assert_eq!(hook.prompt, "Tea on a table, morning");
        assert_eq!(hook.shot.shot_size, "wide");
        let t = &hook.shot.texts[0];
        assert_eq!(t.text, "Fresh");
        assert_eq!(
            t.translations["zh-Hans"], "新鲜",
            "the series' spelling of the tag"
        );
        assert_eq!(t.translations["ar"], "طازج");
        let offer = s.frame(&ids[1]).unwrap();
        assert_eq!(offer.title, "Offer\nline 2");
        assert_eq!(offer.prompt, "Tea for 3");
        assert_eq!(offer.shot.texts[0].text, "Only \"3\" €");
        assert_eq!(offer.shot.texts[0].translations["ar"], "فقط ٣ يورو");
        let untitled = s.frame(&ids[2]).unwrap();
        assert_eq!(untitled.title, format!("Frame {}", before + 3));
        assert!(untitled.shot.texts.is_empty());
        // Every translation is ready for a locale variant.
        assert!(crate::locale::instruction(&hook.shot.texts, "ar").is_ok());
    }

    #[test]
    fn export_list_source_locale_column_and_no_locales() {
        let csv = "title,text:zh-Hans,text:ar\n开场,你好,مرحبا\n";
        let preview = import_csv(csv, &ListOptions::default()).unwrap();
        let mut zh = series(&["zh-Hans", "ar"]);
        let ids = apply_list(&mut zh, &preview, counter()).unwrap();
        let t = &zh.frame(&ids[0]).unwrap().shot.texts[0];
        assert_eq!(t.text, "你好", "the first locale is the source text");
        assert_eq!(t.translations.len(), 1);
        assert_eq!(t.translations["ar"], "مرحبا");
        let mut plain = series(&[]);
        let ids = apply_list(&mut plain, &preview, counter()).unwrap();
        let t = &plain.frame(&ids[0]).unwrap().shot.texts[0];
        assert_eq!((t.text.as_str(), t.translations.len()), ("", 2));
    }

    #[test]
    fn export_list_refuses_past_the_frame_limit() {
        let lines = "x\n".repeat(MAX_FRAMES);
        let preview = crate::export::csv::import_lines(&lines, &ListOptions::default()).unwrap();
        let mut s = series(&[]);
        let err = apply_list(&mut s, &preview, counter()).unwrap_err();
        assert!(err.contains("2004 frames"), "{err}");
        assert_eq!(s.frames.len(), 4, "nothing added");
    }
}
