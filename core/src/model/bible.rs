//! The series bible: what every frame of a series shares — style, palette, world, typography
//! rules, global constraints, and the characters / products / props with their reference images.

use serde::{Deserialize, Serialize};

/// Visual style, each part optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Style {
    /// The overall look in the user's words, e.g. "flat vector, teal and coral, soft grain":
    /// the one place for style text (what older series kept as a separate "series style" is
    /// folded in here when they load).
    pub look: String,
    /// Medium, e.g. "flat vector illustration", "35 mm photograph".
    pub medium: String,
    /// Rendering, e.g. "clean lines, soft paper grain".
    pub rendering: String,
    /// Lens / camera, e.g. "50 mm, shallow depth of field".
    pub lens: String,
    /// Lighting, e.g. "soft morning light from the left".
    pub lighting: String,
}

/// One palette colour.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Swatch {
    /// `#RRGGBB`.
    pub hex: String,
    /// Optional name, e.g. "teal".
    #[serde(default)]
    pub name: String,
}

/// What an entity is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    /// A person, animal or mascot.
    #[default]
    Character,
    /// A product that must look exactly like itself.
    Product,
    /// A recurring object or place.
    Prop,
}

impl EntityKind {
    /// Display name.
    pub fn label(self) -> &'static str {
        match self {
            EntityKind::Character => "Character",
            EntityKind::Product => "Product",
            EntityKind::Prop => "Prop",
        }
    }
}

/// A reference image stored in IndexedDB (the `images` store, by `id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefImage {
    /// IndexedDB key of the `Blob`.
    pub id: String,
    /// Original file name, for display.
    #[serde(default)]
    pub name: String,
    /// MIME type (PNG, JPEG or WebP).
    pub mime: String,
    /// Pixel width.
    pub width: u32,
    /// Pixel height.
    pub height: u32,
}

/// A character, product or prop that recurs across frames.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Entity {
    /// Unique id within the project.
    pub id: String,
    /// Character, product or prop.
    #[serde(default)]
    pub kind: EntityKind,
    /// Name used in prompts, e.g. "Mira".
    pub name: String,
    /// Canonical description, sent verbatim in every frame it appears in.
    #[serde(default)]
    pub description: String,
    /// Features that must never change (e.g. "red scarf", "logo on the left").
    #[serde(default)]
    pub must_not_change: Vec<String>,
    /// Reference images, identity first (order matters).
    #[serde(default)]
    pub references: Vec<RefImage>,
}

/// The series bible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[cfg_attr(feature = "store", derive(reactive_stores::Store))]
pub struct Bible {
    /// Visual style.
    pub style: Style,
    /// Palette, in order of importance.
    pub palette: Vec<Swatch>,
    /// Setting / world.
    pub setting: String,
    /// Rules for text drawn in the image (fonts, placement, casing).
    pub typography: String,
    /// Things every frame must do.
    pub always: Vec<String>,
    /// Things no frame may do.
    pub never: Vec<String>,
    /// Characters, products and props.
    #[cfg_attr(feature = "store", store(key: String = |e| e.id.clone()))]
    pub entities: Vec<Entity>,
}

impl Bible {
    /// The entity with this id.
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.id == id)
    }

    /// The entity with this id, mutably.
    pub fn entity_mut(&mut self, id: &str) -> Option<&mut Entity> {
        self.entities.iter_mut().find(|e| e.id == id)
    }

    /// Whether anything is written in it (a style, palette, setting, rule or entity): the
    /// guide's first step is done.
    pub fn is_written(&self) -> bool {
        let style = &self.style;
        [
            &style.look,
            &style.medium,
            &style.rendering,
            &style.lens,
            &style.lighting,
            &self.setting,
            &self.typography,
        ]
        .iter()
        .any(|text| !text.trim().is_empty())
            || !self.palette.is_empty()
            || !self.entities.is_empty()
            || !self.always.is_empty()
            || !self.never.is_empty()
    }

    /// Keys of every reference image (for export and clean-up).
    pub fn image_keys(&self) -> impl Iterator<Item = &str> {
        self.entities
            .iter()
            .flat_map(|e| e.references.iter().map(|r| r.id.as_str()))
    }
}

/// Checks a palette colour: `#RGB` or `#RRGGBB`, returned as upper-case `#RRGGBB`.
pub fn normalize_hex(hex: &str) -> Option<String> {
    let h = hex.trim().trim_start_matches('#');
    if !h.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    match h.len() {
        6 => Some(format!("#{}", h.to_ascii_uppercase())),
        3 => Some(format!(
            "#{}",
            h.chars()
                .flat_map(|c| [c, c])
                .collect::<String>()
                .to_ascii_uppercase()
        )),
        _ => None,
    }
}

/// Splits a multi-line text field into trimmed, non-empty lines (lists are edited as text).
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The palette as text: `#1F6FEB teal, #FF6600 coral`.
pub fn palette_text(palette: &[Swatch]) -> String {
    palette
        .iter()
        .map(|s| {
            if s.name.is_empty() {
                s.hex.clone()
            } else {
                format!("{} {}", s.hex, s.name)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses palette text (comma- or line-separated `#hex name` entries); entries that are not
/// colours are returned apart, to be shown to the user.
pub fn parse_palette(text: &str) -> (Vec<Swatch>, Vec<String>) {
    let mut swatches = Vec::new();
    let mut bad = Vec::new();
    for part in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let (hex, name) = part.split_once(' ').unwrap_or((part, ""));
        match normalize_hex(hex) {
            Some(hex) => swatches.push(Swatch {
                hex,
                name: name.trim().to_string(),
            }),
            None => bad.push(part.to_string()),
        }
    }
    (swatches, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_colours_are_normalised_or_refused() {
        assert_eq!(normalize_hex("#1f6feb").as_deref(), Some("#1F6FEB"));
        assert_eq!(normalize_hex("f60").as_deref(), Some("#FF6600"));
        assert_eq!(normalize_hex("#12345"), None);
        assert_eq!(normalize_hex("#GGGGGG"), None);
    }

    #[test]
    fn palettes_parse_with_names_and_report_errors() {
        let (ok, bad) = parse_palette("#1f6feb teal, f60 coral, not-a-colour, #FFFFFF");
        assert_eq!(ok.len(), 3);
        assert_eq!(
            ok[0],
            Swatch {
                hex: "#1F6FEB".into(),
                name: "teal".into()
            }
        );
        assert_eq!(ok[1].hex, "#FF6600");
        assert_eq!(bad, vec!["not-a-colour"]);
        assert_eq!(palette_text(&ok), "#1F6FEB teal, #FF6600 coral, #FFFFFF");
        let (again, _) = parse_palette(&palette_text(&ok));
        assert_eq!(again, ok, "the text form round-trips");
    }

    #[test]
    fn list_fields_split_into_lines() {
        assert_eq!(
            lines(" red scarf \n\n  round glasses"),
            vec!["red scarf", "round glasses"]
        );
    }
}
