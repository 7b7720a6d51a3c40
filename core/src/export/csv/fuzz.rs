//! Fuzz-style properties of the list import: random and mutated input never panics, rows and
//! fields stay within the limits, line numbers are real lines, and quoting round-trips.

use super::*;
use proptest::prelude::*;

fn quote(f: &str) -> String {
    format!("\"{}\"", f.replace('"', "\"\""))
}

fn limits() -> ListOptions {
    let mut o = ListOptions::default();
    o.limits.max_rows = 20;
    o.limits.max_field_chars = 50;
    o
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn export_csv_fuzz_random_input_never_panics(
        text in "[a-z,;\t\"\r\n{}é开ع ]{0,400}",
        bytes in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let o = limits();
        for p in [import_csv(&text, &o), import_lines(&text, &o), import_csv_bytes(&bytes, &o)]
            .into_iter()
            .flatten()
        {
            let lines = text.matches(['\n', '\r']).count().max(bytes.len()) + 2;
            prop_assert!(p.rows.len() <= o.limits.max_rows);
            prop_assert!(p.rows.len() + p.bad_rows.len() <= o.limits.max_rows + 1);
            for r in &p.rows {
                prop_assert!(r.line >= 1 && r.line <= lines);
                prop_assert!(r.prompt.chars().count() <= o.limits.max_field_chars);
            }
            for b in &p.bad_rows {
                prop_assert!(b.line >= 1 && b.line <= lines);
            }
        }
    }

    #[test]
    fn export_csv_fuzz_quoted_fields_round_trip(
        rows in prop::collection::vec(
            ("[^\u{0}]{1,30}", "[^\u{0}]{0,30}", "[a-z0-9 ]{0,8}"), 1..12),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("title,prompt,sku{nl}");
        for (t, p, s) in &rows {
            // Placeholders are not what this property is about.
            let (t, p) = (t.replace(['{', '}'], "·"), p.replace(['{', '}'], "·"));
            text.push_str(&format!("{},{},{}{nl}", quote(&t), quote(&p), quote(s)));
        }
        let got = import_csv(&text, &ListOptions::default()).unwrap();
        let kept: Vec<_> = rows
            .iter()
            .map(|(t, p, s)| (t.replace(['{', '}'], "·"), p.replace(['{', '}'], "·"), s))
            .filter(|(t, p, _)| !(t.trim().is_empty() && p.trim().is_empty()))
            .collect();
        // A row with neither title nor prompt makes no frame: it is reported (or, when wholly
        // blank, skipped), never imported.
        let blank = rows.len() - kept.len();
        prop_assert!(got.bad_rows.len() <= blank, "{:?}", got.bad_rows);
        for b in &got.bad_rows {
            prop_assert!(b.message.contains("no title"), "{:?}", b);
        }
        prop_assert_eq!(got.rows.len(), kept.len());
        for (r, (t, p, s)) in got.rows.iter().zip(&kept) {
            let norm = |x: &str| x.replace("\r\n", "\n").replace('\r', "\n").trim().to_owned();
            prop_assert_eq!(&r.title, &norm(t));
            prop_assert_eq!(&r.prompt, &norm(p));
            prop_assert_eq!(&r.variables["sku"], s.trim());
        }
    }
}
