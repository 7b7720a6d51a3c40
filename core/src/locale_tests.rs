//! Locale variants: the text-only instruction for left-to-right and right-to-left scripts
//! (golden files pin the exact words), refusals, and which locales a frame still needs.

use super::*;
use crate::model::shot::OnImageText;
use crate::model::template::Template;
use crate::model::Version;

fn text(source: &str, translations: &[(&str, &str)]) -> OnImageText {
    OnImageText {
        text: source.into(),
        language: String::new(),
        placement: "top third".into(),
        translations: translations
            .iter()
            .map(|(l, t)| (l.to_string(), t.to_string()))
            .collect(),
    }
}

fn carousel() -> Series {
    let mut n = 0;
    let mut s = Series::from_template("Sale", Template::Carousel, "gpt-image-2", 1.0, || {
        n += 1;
        n
    });
    s.locales = vec!["en".into(), "zh-Hans".into(), "ar".into(), "hi".into()];
    let f = s.frames[0].id.clone();
    s.frames[0].shot.texts = vec![
        text(
            "Spring sale",
            &[
                ("zh-Hans", "春季特卖"),
                ("ar", "تخفيضات الربيع"),
                ("hi", "वसंत सेल"),
            ],
        ),
        text("50% off", &[("zh-Hans", "5 折"), ("ar", "خصم 50%")]),
    ];
    s.apply(crate::model::action::Edit::result(
        &f,
        vec![Version::sample("v1", &f, None)],
    ))
    .unwrap();
    s
}

/// Compares with `src/locale_golden/<name>.txt`, or writes it when `UPDATE_GOLDEN=1`.
fn check_golden(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/locale_golden")
        .join(format!("{name}.txt"));
    if std::env::var("UPDATE_GOLDEN").as_deref() == Ok("1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; create with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        expected,
        actual,
        "{} differs (UPDATE_GOLDEN=1 to accept)",
        path.display()
    );
}

#[test]
fn a_left_to_right_variant_names_every_exact_string() {
    let s = carousel();
    let c = compile_locale(&s, 0, "zh-Hans").unwrap();
    check_golden("zh-Hans", &c.prompt);
    assert!(c.prompt.starts_with(
        "EDIT IMAGE 1\nReplace only the text in image 1 with its Chinese (Simplified) version:"
    ));
    assert!(c.prompt.contains(
        r#"Replace "Spring sale" with "春季特卖" (in Han script, simplified characters)."#
    ));
    assert!(!c.prompt.contains("right to left"));
    assert_eq!(
        c.references[0].key, "h-v1",
        "image 1 is the frame's active version"
    );
    // The text section shows the new text, so the prompt never asks for both languages.
    assert!(
        c.prompt.contains("TEXT IN IMAGE\n- \"春季特卖\""),
        "{}",
        c.prompt
    );
    assert!(!c.prompt.contains("TEXT IN IMAGE\n- \"Spring sale\""));
}

#[test]
fn a_right_to_left_variant_says_so() {
    let s = carousel();
    let c = compile_locale(&s, 0, "ar").unwrap();
    check_golden("ar", &c.prompt);
    assert!(c
        .prompt
        .contains("(in Arabic script, written right to left)"));
    assert!(c.prompt.contains("aligned as right-to-left text is"));
    assert!(is_rtl("ar") && is_rtl("he") && is_rtl("fa-IR") && !is_rtl("hi") && !is_rtl("ru"));
}

#[test]
fn untranslated_text_is_refused_by_name() {
    let s = carousel();
    let err = compile_locale(&s, 0, "hi").unwrap_err();
    assert_eq!(err, NotReady::Untranslated(vec!["50% off".into()]));
    assert_eq!(
        err.to_string(),
        r#"Add the translation of "50% off" first."#
    );
    assert_eq!(instruction(&[], "ar"), Err(NotReady::NoText));
}

#[test]
fn missing_locales_are_the_translated_ones_without_a_variant() {
    let mut s = carousel();
    let f = s.frames[0].id.clone();
    assert_eq!(
        missing_locales(&s, &f),
        vec!["zh-Hans", "ar"],
        "hi is not translated; en is the source"
    );
    s.frames[0]
        .locale_versions
        .insert("zh-Hans".into(), "v9".into());
    assert_eq!(missing_locales(&s, &f), vec!["ar"]);
    assert_eq!(name("zh-Hans"), "Chinese (Simplified)");
    assert_eq!(name("x-klingon"), "x-klingon");
}

#[test]
fn locale_lists_are_read_from_text() {
    assert_eq!(
        parse_list("en, ZH-hans ar\nen;  x-custom"),
        vec!["en", "zh-Hans", "ar", "x-custom"]
    );
    assert!(parse_list(" , ").is_empty());
}
