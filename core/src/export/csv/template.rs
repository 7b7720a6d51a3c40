//! `{variable}` placeholders: `"{product} for {price}"` filled from a row. `{{` and `}}` are a
//! literal brace. Values are inserted as they are and never expanded again, so a cell cannot
//! make a template grow (no recursion, output bounded by template × longest value).

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Text(&'a str),
    Brace(char),
    Var(&'a str),
}

/// Longest name inside braces; longer brace text is kept as literal text.
const MAX_NAME: usize = 64;

fn pieces(t: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = t;
    while !rest.is_empty() {
        let Some(i) = rest.find(['{', '}']) else {
            out.push(Piece::Text(rest));
            break;
        };
        if i > 0 {
            out.push(Piece::Text(&rest[..i]));
        }
        let tail = &rest[i..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Brace(tail.as_bytes()[0] as char));
            rest = &tail[2..];
            continue;
        }
        if let Some(stripped) = tail.strip_prefix('{') {
            if let Some(end) = stripped.find(['{', '}', '\n']) {
                let name = stripped[..end].trim();
                if stripped[end..].starts_with('}') && !name.is_empty() && name.len() <= MAX_NAME {
                    out.push(Piece::Var(name));
                    rest = &stripped[end + 1..];
                    continue;
                }
            }
        }
        // A lone brace: text.
        out.push(Piece::Text(&tail[..1]));
        rest = &tail[1..];
    }
    out
}

/// The placeholder names `t` uses, in order of first use.
pub fn variables(t: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for p in pieces(t) {
        if let Piece::Var(n) = p {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_owned());
            }
        }
    }
    names
}

/// Fills `t` with `lookup`; `Err(name)` for the first placeholder it cannot fill.
pub fn expand<'v>(t: &str, lookup: impl Fn(&str) -> Option<&'v str>) -> Result<String, String> {
    let mut out = String::with_capacity(t.len());
    for p in pieces(t) {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Brace(c) => out.push(c),
            Piece::Var(n) => out.push_str(lookup(n).ok_or_else(|| n.to_owned())?),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn look(n: &str) -> Option<&'static str> {
        match n {
            "product" => Some("Tea {price}"),
            "price" => Some("€4"),
            _ => None,
        }
    }

    #[test]
    fn export_csv_template_expands_without_recursion() {
        assert_eq!(
            expand("{product} for {price}", look).unwrap(),
            "Tea {price} for €4"
        );
        assert_eq!(expand("{ price }!", look).unwrap(), "€4!");
        assert_eq!(expand("{{literal}} {price}", look).unwrap(), "{literal} €4");
        assert_eq!(expand("a { b", look).unwrap(), "a { b");
        assert_eq!(expand("a } b {}", look).unwrap(), "a } b {}");
        assert_eq!(expand("{colour}", look), Err("colour".into()));
        assert_eq!(variables("{a} {b} {a} {{c}}"), ["a", "b"]);
        assert_eq!(expand("开场 {price}", look).unwrap(), "开场 €4");
    }
}
