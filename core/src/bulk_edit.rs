//! One edit across many frames (issue 22): the frames chosen on the board (a checkbox each,
//! Shift-click for a range), one directed edit per chosen frame from its active version, and
//! the optional mask region, the same for every frame, in relative coordinates (fractions of
//! the image's width and height, so one region fits frames of any size).

use crate::model::Series;
use crate::requests::{Item, Work};

/// The frames from `from` to `to` in `order`, both included, in board order (a Shift-click
/// range). Either end missing from `order`: just `to` (if it is there).
pub fn range(order: &[String], from: &str, to: &str) -> Vec<String> {
    let at = |id: &str| order.iter().position(|x| x == id);
    match (at(from), at(to)) {
        (Some(a), Some(b)) => order[a.min(b)..=a.max(b)].to_vec(),
        (_, Some(b)) => vec![order[b].clone()],
        _ => Vec::new(),
    }
}

/// The edits for the chosen frames: one per frame that has an active version (job id = frame
/// id, in board order), and the titles of the chosen frames that have no image to edit yet.
pub fn items(
    series: &Series,
    chosen: &[String],
    instruction: &str,
    masked: bool,
) -> (Vec<Item>, Vec<String>) {
    let mut items = Vec::new();
    let mut without_image = Vec::new();
    for id in &series.frame_order {
        if !chosen.contains(id) {
            continue;
        }
        let Some(frame) = series.frame(id) else {
            continue;
        };
        match series.active(frame) {
            Some(version) => items.push(Item {
                job_id: id.clone(),
                frame_id: id.clone(),
                work: Work::Edit {
                    base: version.id.clone(),
                    instruction: instruction.trim().to_string(),
                    masked,
                    marked: false,
                },
            }),
            None => without_image.push(frame.title.clone()),
        }
    }
    (items, without_image)
}

/// A rectangle of an image in fractions of its size (0 = left / top edge, 1 = right / bottom).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Region {
    /// Left edge.
    pub left: f64,
    /// Top edge.
    pub top: f64,
    /// Width.
    pub width: f64,
    /// Height.
    pub height: f64,
}

impl Region {
    /// The region from percentages as typed ("10", "12.5 %"): each a number, the rectangle
    /// inside the image and not empty; otherwise what is wrong, for the user.
    pub fn from_percent(left: &str, top: &str, width: &str, height: &str) -> Result<Self, String> {
        let read = |name: &str, text: &str| -> Result<f64, String> {
            let n: f64 = text
                .trim()
                .trim_end_matches('%')
                .trim()
                .parse()
                .map_err(|_| format!("{name} is not a number of percent (0 to 100)."))?;
            if !(0.0..=100.0).contains(&n) {
                return Err(format!("{name} must be between 0 and 100 %."));
            }
            Ok(n / 100.0)
        };
        let region = Region {
            left: read("Left", left)?,
            top: read("Top", top)?,
            width: read("Width", width)?,
            height: read("Height", height)?,
        };
        if region.width <= 0.0 || region.height <= 0.0 {
            return Err("The region needs a width and a height above 0 %.".into());
        }
        if region.left + region.width > 1.0 + 1e-9 || region.top + region.height > 1.0 + 1e-9 {
            return Err("The region goes past the image's edge: left + width and top + height must stay within 100 %.".into());
        }
        Ok(region)
    }

    /// The region in pixels of a `width`×`height` image: `(x, y, w, h)`, edges rounded to the
    /// nearest pixel, at least one pixel each way, inside the image.
    pub fn pixels(&self, width: u32, height: u32) -> (u32, u32, u32, u32) {
        let edge = |f: f64, size: u32| ((f * f64::from(size)).round() as u32).min(size);
        let (x0, y0) = (edge(self.left, width), edge(self.top, height));
        let x1 = edge(self.left + self.width, width).max(x0 + 1).min(width);
        let y1 = edge(self.top + self.height, height).max(y0 + 1).min(height);
        let (x0, y0) = (x0.min(x1.saturating_sub(1)), y0.min(y1.saturating_sub(1)));
        (x0, y0, x1 - x0, y1 - y0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_range_runs_either_way_in_board_order() {
        let order = ids(&["a", "b", "c", "d", "e"]);
        assert_eq!(range(&order, "b", "d"), ids(&["b", "c", "d"]));
        assert_eq!(range(&order, "d", "b"), ids(&["b", "c", "d"]));
        assert_eq!(range(&order, "c", "c"), ids(&["c"]));
        assert_eq!(range(&order, "gone", "e"), ids(&["e"]));
        assert!(range(&order, "a", "gone").is_empty());
    }

    #[test]
    fn regions_are_read_from_percent_and_refused_when_outside() {
        let r = Region::from_percent("10", "20 %", "50", "25.5").unwrap();
        assert_eq!(r.pixels(1000, 2000), (100, 400, 500, 510));
        assert_eq!(
            Region::from_percent("60", "0", "50", "10").unwrap_err(),
            "The region goes past the image's edge: left + width and top + height must stay within 100 %."
        );
        assert!(Region::from_percent("x", "0", "5", "5")
            .unwrap_err()
            .starts_with("Left is not a number"));
        assert!(Region::from_percent("0", "0", "0", "5")
            .unwrap_err()
            .contains("width and a height"));
        assert!(Region::from_percent("0", "-1", "5", "5")
            .unwrap_err()
            .starts_with("Top must be"));
        // The whole image, and a sliver: always at least a pixel, never past the edge.
        let all = Region::from_percent("0", "0", "100", "100").unwrap();
        assert_eq!(all.pixels(1024, 1536), (0, 0, 1024, 1536));
        let sliver = Region::from_percent("99.99", "0", "0.01", "100").unwrap();
        assert_eq!(sliver.pixels(100, 100), (99, 0, 1, 100));
    }
}
