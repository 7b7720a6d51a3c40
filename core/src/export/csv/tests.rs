//! CSV and pasted lines → preview rows, bad rows by line.

use super::*;

fn csv(text: &str) -> ListPreview {
    import_csv(text, &ListOptions::default()).unwrap()
}

fn with_template(t: &str) -> ListOptions {
    ListOptions {
        template: Some(t.into()),
        ..ListOptions::default()
    }
}

#[test]
fn export_csv_rows_with_quotes_newlines_and_locales() {
    let text = "\u{feff}Title,What happens,Text,text:zh-Hans,text:ar,Shot size\r\n\
        Hook,\"A cup of tea, steaming\",\"New \"\"Oolong\"\"\",新品上市,وصل حديثاً,close-up\r\n\
        Reveal,\"Two lines:\r\nthe pot pours\",,限时优惠 50%,خصم ٥٠٪,wide\r\n";
    let p = csv(text);
    assert!(p.bad_rows.is_empty(), "{:?}", p.bad_rows);
    assert_eq!(
        p.roles,
        [
            ColumnRole::Title,
            ColumnRole::Prompt,
            ColumnRole::Text(String::new()),
            ColumnRole::Text("zh-Hans".into()),
            ColumnRole::Text("ar".into()),
            ColumnRole::ShotSize,
        ]
    );
    assert_eq!(p.rows.len(), 2);
    let a = &p.rows[0];
    assert_eq!((a.line, a.title.as_str()), (2, "Hook"));
    assert_eq!(a.prompt, "A cup of tea, steaming");
    assert_eq!(a.texts[""], "New \"Oolong\"");
    assert_eq!(a.texts["zh-Hans"], "新品上市");
    assert_eq!(a.texts["ar"], "وصل حديثاً");
    assert_eq!(a.shot_size, "close-up");
    let b = &p.rows[1];
    assert_eq!(b.line, 3);
    assert_eq!(b.prompt, "Two lines:\nthe pot pours");
    assert!(!b.texts.contains_key(""));
    assert_eq!(b.texts["zh-Hans"], "限时优惠 50%");
    assert_eq!(b.texts["ar"], "خصم ٥٠٪");
}

#[test]
fn export_csv_bad_rows_are_reported_by_line() {
    let text = "title,prompt,price\n\
        ok,fine,1\n\
        short,row\n\
        \n\
        \"multi\nline\",\"uses {colour}\",2\n\
        after,\"ab\"c,3\n\
        last,\"never closed,4\n\
        more,rows,5\n";
    let p = csv(text);
    assert_eq!(p.rows.len(), 1);
    assert_eq!(p.rows[0].line, 2);
    let bad: Vec<(usize, &str)> = p
        .bad_rows
        .iter()
        .map(|b| (b.line, b.message.as_str()))
        .collect();
    assert_eq!(
        bad,
        [
            (3, "2 fields; the header has 3"),
            (
                5,
                "“prompt” uses {colour}, but no column is called colour (write {{ for a brace)"
            ),
            (
                7,
                "text after a closing quote (write \"\" for a quote inside a quoted field)"
            ),
            (8, "a quote opened on line 8 is never closed"),
        ]
    );
}

#[test]
fn export_csv_template_fills_variables() {
    let text = "title,product,price\nSlide 1,Oolong,€4\nSlide 2,乌龙茶,¥30\n";
    let p = import_csv(
        text,
        &with_template("{product} for {price}, on a marble table"),
    )
    .unwrap();
    assert_eq!(p.roles[1], ColumnRole::Variable("product".into()));
    assert_eq!(p.rows[0].prompt, "Oolong for €4, on a marble table");
    assert_eq!(p.rows[1].prompt, "乌龙茶 for ¥30, on a marble table");
    assert_eq!(p.rows[1].variables["price"], "¥30");
    assert_eq!(
        import_csv(text, &with_template("{product} in {colour}"))
            .unwrap_err()
            .to_string(),
        "the frame template uses {colour}, but no column is called colour"
    );
    // Placeholders in cells use the row's variables.
    let p = csv("prompt,text,product\n\"{product} on a table\",Buy {product},Tea\n");
    assert_eq!(p.rows[0].prompt, "Tea on a table");
    assert_eq!(p.rows[0].texts[""], "Buy Tea");
}

#[test]
fn export_csv_limits_and_header_problems() {
    let mut o = ListOptions::default();
    o.limits.max_rows = 2;
    o.limits.max_field_chars = 10;
    let p = import_csv("prompt\na\nb\nc\nd\n", &o).unwrap();
    assert_eq!(p.rows.len(), 2);
    assert_eq!(p.bad_rows.len(), 1);
    assert_eq!(p.bad_rows[0].line, 4);
    assert!(p.bad_rows[0]
        .message
        .starts_with("too many rows: at most 2"));
    let p = import_csv("prompt\n12345678901\n", &o).unwrap();
    assert_eq!(
        p.bad_rows[0].message,
        "“prompt” is longer than 10 characters"
    );
    o.limits.max_input_bytes = 4;
    assert_eq!(
        import_csv("prompt\n", &o).unwrap_err().to_string(),
        "the list is 7 bytes; at most 4 bytes can be imported"
    );
    assert_eq!(csv_err("\n\n"), ListError::Empty);
    assert_eq!(
        csv_err("title,Title\n").to_string(),
        "header row: columns “title” and “Title” both map to the same field"
    );
    assert_eq!(
        import_csv_bytes(b"prompt\nok\ncaf\xe9\n", &ListOptions::default()).unwrap_err(),
        ListError::NotUtf8(3)
    );
}

fn csv_err(text: &str) -> ListError {
    import_csv(text, &ListOptions::default()).unwrap_err()
}

#[test]
fn export_csv_semicolons_tabs_and_chosen_roles() {
    let p = csv("title;prompt\nA;x, y\n");
    assert_eq!(p.rows[0].prompt, "x, y");
    let p = csv("title\tprompt\tbeat\nA\tdoor opens\t1\n");
    assert_eq!(p.rows[0].variables["beat"], "1");
    let o = ListOptions {
        roles: Some(vec![ColumnRole::Prompt, ColumnRole::Ignore]),
        ..ListOptions::default()
    };
    let p = import_csv("Szene,Notiz\nTür geht auf,egal\n", &o).unwrap();
    assert_eq!(p.rows[0].prompt, "Tür geht auf");
    assert!(p.rows[0].variables.is_empty());
}

#[test]
fn export_csv_pasted_lines() {
    let p = import_lines(
        "  first frame \r\n\r\nsecond 第二\rthird عربي\n",
        &ListOptions::default(),
    )
    .unwrap();
    let got: Vec<(usize, &str)> = p.rows.iter().map(|r| (r.line, r.prompt.as_str())).collect();
    assert_eq!(
        got,
        [(1, "first frame"), (3, "second 第二"), (4, "third عربي")]
    );
    let p = import_lines("tea\ncoffee\n", &with_template("A cup of {line}")).unwrap();
    assert_eq!(p.rows[1].prompt, "A cup of coffee");
    assert_eq!(
        import_lines("x", &with_template("{thing}")).unwrap_err(),
        ListError::UnknownTemplateVariable("thing".into())
    );
    assert_eq!(
        import_lines(" \n\n", &ListOptions::default()).unwrap_err(),
        ListError::Empty
    );
}
