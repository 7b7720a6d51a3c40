//! Series templates: how many frames a new series gets, in which aspect, with which titles.

use super::size::Size;
use serde::{Deserialize, Serialize};

/// The kinds of series a user can start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Template {
    /// 9-slide social carousel, 4:5 (hook → body → call to action).
    Carousel,
    /// 12-panel storyboard, 16:9.
    Storyboard,
    /// 6-view character sheet, 1:1.
    CharacterSheet,
    /// 6-shot product set, 1:1.
    ProductSet,
    /// 4-panel comic, 4:5.
    Comic,
    /// A custom number of 1:1 frames.
    Custom {
        /// How many frames.
        frames: usize,
    },
}

/// The most frames a custom series may start with (a cost bomb guard; frames can be added later).
pub const MAX_CUSTOM_FRAMES: usize = 48;

impl Template {
    /// The templates offered when creating a series, in display order.
    pub const PRESETS: [Template; 5] = [
        Template::Carousel,
        Template::Storyboard,
        Template::CharacterSheet,
        Template::ProductSet,
        Template::Comic,
    ];

    /// Stable key for forms and tests.
    pub fn key(self) -> &'static str {
        match self {
            Template::Carousel => "carousel",
            Template::Storyboard => "storyboard",
            Template::CharacterSheet => "character_sheet",
            Template::ProductSet => "product_set",
            Template::Comic => "comic",
            Template::Custom { .. } => "custom",
        }
    }

    /// Display name.
    pub fn label(self) -> String {
        match self {
            Template::Carousel => "9-slide carousel".into(),
            Template::Storyboard => "12-panel storyboard".into(),
            Template::CharacterSheet => "6-view character sheet".into(),
            Template::ProductSet => "6-shot product set".into(),
            Template::Comic => "4-panel comic".into(),
            Template::Custom { frames } => format!("Custom, {frames} frames"),
        }
    }

    /// One line explaining what the template is for.
    pub fn blurb(self) -> &'static str {
        match self {
            Template::Carousel => "Social slides: hook, body, call to action.",
            Template::Storyboard => "Panels across a three-act arc.",
            Template::CharacterSheet => "Turnaround: front, ¾, profile, back, expressions, poses.",
            Template::ProductSet => "E-commerce shots of one product.",
            Template::Comic => "Setup, build, turn, punchline.",
            Template::Custom { .. } => "Any number of square frames.",
        }
    }

    /// Aspect ratio label, e.g. `4:5`.
    pub fn aspect_label(self) -> &'static str {
        match self {
            Template::Carousel | Template::Comic => "4:5",
            Template::Storyboard => "16:9",
            _ => "1:1",
        }
    }

    /// The output size of every frame: valid for gpt-image-2 (tested) and near the aspect.
    pub fn size(self) -> Size {
        match self {
            Template::Carousel | Template::Comic => Size::new(1024, 1280),
            Template::Storyboard => Size::new(1536, 864),
            _ => Size::new(1024, 1024),
        }
    }

    /// Number of frames a new series gets.
    pub fn frame_count(self) -> usize {
        match self {
            Template::Carousel => 9,
            Template::Storyboard => 12,
            Template::CharacterSheet | Template::ProductSet => 6,
            Template::Comic => 4,
            Template::Custom { frames } => frames.clamp(1, MAX_CUSTOM_FRAMES),
        }
    }

    /// The title of frame `index` (0-based).
    pub fn frame_title(self, index: usize) -> String {
        let n = index + 1;
        match self {
            Template::Carousel => {
                let role = match index {
                    0 => "Hook",
                    8 => "Call to action",
                    7 => "Payoff",
                    _ => "Body",
                };
                format!("Slide {n} · {role}")
            }
            Template::Storyboard => {
                let act = match index {
                    0..=2 => "Act I",
                    3..=8 => "Act II",
                    _ => "Act III",
                };
                format!("Panel {n} · {act}")
            }
            Template::CharacterSheet => {
                const VIEWS: [&str; 6] = [
                    "Front",
                    "Three-quarter",
                    "Profile",
                    "Back",
                    "Expressions",
                    "Poses & outfit",
                ];
                format!("View {n} · {}", VIEWS.get(index).unwrap_or(&"Extra"))
            }
            Template::ProductSet => {
                const SHOTS: [&str; 6] =
                    ["Hero", "Detail", "In use", "Scale", "Flat lay", "Lifestyle"];
                format!("Shot {n} · {}", SHOTS.get(index).unwrap_or(&"Extra"))
            }
            Template::Comic => {
                const BEATS: [&str; 4] = ["Setup", "Build", "Turn", "Punchline"];
                format!("Panel {n} · {}", BEATS.get(index).unwrap_or(&"Extra"))
            }
            Template::Custom { .. } => format!("Frame {n}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::size::SizeRule;

    #[test]
    fn every_template_size_is_valid_for_gpt_image_2() {
        let rule = SizeRule::gpt_image_2();
        for t in Template::PRESETS
            .into_iter()
            .chain([Template::Custom { frames: 3 }])
        {
            assert_eq!(rule.check(t.size()), Ok(()), "{}", t.label());
        }
    }

    #[test]
    fn template_sizes_match_their_aspect() {
        let close = |t: Template, ratio: f64| (t.size().aspect() - ratio).abs() < 0.01;
        assert!(close(Template::Carousel, 4.0 / 5.0));
        assert!(close(Template::Storyboard, 16.0 / 9.0));
        assert!(close(Template::CharacterSheet, 1.0));
    }

    #[test]
    fn frame_counts_follow_the_names() {
        assert_eq!(Template::Carousel.frame_count(), 9);
        assert_eq!(Template::Storyboard.frame_count(), 12);
        assert_eq!(Template::CharacterSheet.frame_count(), 6);
        assert_eq!(Template::Custom { frames: 0 }.frame_count(), 1);
        assert_eq!(
            Template::Custom { frames: 500 }.frame_count(),
            MAX_CUSTOM_FRAMES
        );
    }

    #[test]
    fn titles_follow_the_arc() {
        assert_eq!(Template::Carousel.frame_title(0), "Slide 1 · Hook");
        assert_eq!(
            Template::Carousel.frame_title(8),
            "Slide 9 · Call to action"
        );
        assert_eq!(Template::Storyboard.frame_title(11), "Panel 12 · Act III");
        assert_eq!(Template::CharacterSheet.frame_title(3), "View 4 · Back");
    }
}
