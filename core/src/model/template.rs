//! Series templates: how many frames a new series gets, in which aspect, with which titles,
//! and the shot spec each frame starts with (role, framing, camera, composition).

use super::shot::ShotSpec;
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

impl Template {
    /// What one frame is called, capitalised: "Slide", "Panel", "View", "Shot" or "Frame".
    pub fn unit(self) -> &'static str {
        match self {
            Template::Carousel => "Slide",
            Template::Storyboard | Template::Comic => "Panel",
            Template::CharacterSheet => "View",
            Template::ProductSet => "Shot",
            Template::Custom { .. } => "Frame",
        }
    }

    /// What the whole series is called: "carousel", "storyboard", "character sheet",
    /// "product set", "comic" or "series".
    pub fn noun(self) -> &'static str {
        match self {
            Template::Carousel => "carousel",
            Template::Storyboard => "storyboard",
            Template::CharacterSheet => "character sheet",
            Template::ProductSet => "product set",
            Template::Comic => "comic",
            Template::Custom { .. } => "series",
        }
    }

    /// The shot spec frame `index` (0-based) of a new series starts with: shot size, camera
    /// angle and composition naming the frame's role in the series; for character sheets
    /// also the neutral background, lighting and constraints every view shares; for product
    /// sets the studio background (where the shot calls for one) and lighting. Custom series
    /// and frames past the template's count start empty. Mood, text and entities are always
    /// left to the user (they belong to the story, not the format).
    pub fn shot_spec(self, index: usize) -> ShotSpec {
        let row = match self {
            Template::Carousel => CAROUSEL.get(index),
            Template::Storyboard => STORYBOARD.get(index),
            Template::CharacterSheet => CHARACTER_SHEET.get(index),
            Template::ProductSet => PRODUCT_SET.get(index),
            Template::Comic => COMIC.get(index),
            Template::Custom { .. } => None,
        };
        let Some(&(shot_size, camera_angle, composition)) = row else {
            return ShotSpec::default();
        };
        let mut spec = ShotSpec {
            shot_size: shot_size.into(),
            camera_angle: camera_angle.into(),
            composition: composition.into(),
            ..ShotSpec::default()
        };
        match self {
            // A turnaround is only usable if every view is drawn the same way, on the same
            // empty background (this setting overrides the bible's world for these frames).
            Template::CharacterSheet => {
                spec.setting = "Plain neutral light-grey studio background, no scenery".into();
                spec.lighting = "Even, flat studio light; no cast shadows on the background".into();
                spec.constraints = CHARACTER_SHEET_RULES
                    .iter()
                    .map(|r| r.to_string())
                    .collect();
            }
            Template::ProductSet => {
                // `index` is in range: the row above exists.
                spec.setting = PRODUCT_SETTING[index].into();
                spec.lighting = PRODUCT_LIGHTING[index].into();
            }
            _ => {}
        }
        spec
    }
}

/// One row per frame: shot size, camera angle, composition (with the frame's role).
type ShotRow = (&'static str, &'static str, &'static str);

// Carousel slides only set framing (no lighting, mood or constraints): a 4:5 social slide
// lives or dies by where the headline goes, and the story belongs to the user.
const CAROUSEL: [ShotRow; 9] = [
    ("Close-up", "Eye level", "Hook slide: one bold, simple focal subject that stops the scroll, high contrast against a clean background; leave the top third empty for the headline."),
    ("Medium", "Eye level", "Body slide 1 of 6: introduce the problem or first idea with one clear subject in the lower two thirds; leave the top third empty for the headline."),
    ("Close-up", "Slightly high angle", "Body slide 2 of 6: one detail that makes the idea concrete, filling the lower two thirds; leave the top third empty for the headline."),
    ("Medium", "Eye level", "Body slide 3 of 6: one idea, subject off-centre on the right third; leave the top third empty for the headline."),
    ("Wide", "Eye level", "Body slide 4 of 6: step back to show the context around the subject; leave the top third empty for the headline."),
    ("Medium", "Eye level", "Body slide 5 of 6: one idea, subject off-centre on the left third; leave the top third empty for the headline."),
    ("Close-up", "Eye level", "Body slide 6 of 6: the last supporting point, one clear subject; leave the top third empty for the headline."),
    ("Medium wide", "Slightly low angle", "Payoff slide: the result or transformation, the subject at its best; leave the top third empty for the headline."),
    ("Medium", "Eye level", "Call-to-action slide: the subject small in the lower third, a calm uncluttered background with generous empty space in the centre for the call-to-action text and a button shape; the slide must read at a glance."),
];

// A classic three-act coverage plan: establish, introduce, incite (Act I); confront,
// complicate, reach the low point (Act II); climax and resolve (Act III), varying shot size
// so the sequence cuts well.
const STORYBOARD: [ShotRow; 12] = [
    ("Extreme wide (establishing)", "High angle", "Act I, establishing shot: the whole location and where the characters are in it; horizon on the upper third."),
    ("Wide", "Eye level", "Act I: introduce the protagonist in their everyday world, full body, placed on a third."),
    ("Medium", "Eye level", "Act I, inciting incident: the protagonist notices the problem; leave looking room in the direction of their gaze."),
    ("Medium (over-the-shoulder)", "Over the shoulder, eye level", "Act II: confrontation or conversation; the near character's shoulder out of focus on one side, the other character's face sharp."),
    ("Insert (extreme close-up)", "Top-down", "Act II, insert: the key object or clue fills the frame; no faces."),
    ("Close-up", "Eye level", "Act II, reaction: the protagonist's face fills the frame, eyes on the upper third line."),
    ("Wide", "Low angle", "Act II, rising action: the obstacle looms; the characters are small against it."),
    ("Medium", "Dutch angle", "Act II, complication: things go wrong; a tilted, uneasy frame."),
    ("Close-up (reaction)", "Eye level", "Act II, low point: a reaction shot; the character's emotion carries the frame, background simple."),
    ("Medium wide", "Low angle", "Act III, climax begins: dynamic diagonal composition, the protagonist acts."),
    ("Extreme close-up", "Eye level", "Act III, decisive moment: tight on the hands or eyes at the instant everything turns."),
    ("Wide", "Eye level", "Act III, resolution: the new normal; echo the framing of the establishing shot to close the arc."),
];

// Orthographic-style turnaround: the same figure, same scale, neutral background, so the
// views can be laid side by side and used as references.
const CHARACTER_SHEET: [ShotRow; 6] = [
    ("Full body, head to toe", "Eye level, straight on", "Front view, standing in a relaxed neutral pose, arms slightly away from the body, centred."),
    ("Full body, head to toe", "Eye level, turned 45° (three-quarter view)", "Three-quarter view, same pose as the front view, centred."),
    ("Full body, head to toe", "Eye level, side view at 90° (profile)", "Profile view facing left, same pose, centred."),
    ("Full body, head to toe", "Eye level, from directly behind", "Back view, same pose, centred; hair and outfit details from behind."),
    ("Head and shoulders", "Eye level, straight on", "Expression sheet: a 3×2 grid of the same head at the same size: neutral, happy, sad, angry, surprised, thinking."),
    ("Full body, head to toe", "Eye level", "Pose and outfit sheet: three or four full-body poses side by side at the same scale, with close-ups of outfit details and accessories."),
];
const CHARACTER_SHEET_RULES: [&str; 3] = [
    "Plain neutral light-grey background, no scenery",
    "Same scale and figure height as the other views",
    "Same outfit, proportions and colours in every view",
];

// The standard e-commerce set: what a product page needs, from the hero to context.
const PRODUCT_SET: [ShotRow; 6] = [
    ("Medium (the product fills about 60% of the frame)", "Slightly above eye level, three-quarter view", "Hero shot: the product alone, centred on a clean seamless background, front label facing the camera."),
    ("Macro close-up", "Eye level", "Detail shot: material, texture, finish or one key feature fills the frame; shallow depth of field."),
    ("Medium", "Eye level", "In use: hands or a person using the product as intended; the product stays the clear focus, its label readable."),
    ("Medium wide", "Eye level", "Scale shot: the product next to a familiar object or held in a hand, so its real size is obvious."),
    ("Overhead", "Top-down (90°)", "Flat lay: the product with a few complementary items on a flat surface, evenly spaced, with plenty of negative space."),
    ("Wide", "Eye level", "Lifestyle shot: the product in a real setting that suits its audience, clearly visible but part of the scene."),
];
// Studio shots replace the bible's world; "in use" and "lifestyle" keep it (empty here).
const PRODUCT_SETTING: [&str; 6] = [
    "Clean seamless studio background",
    "Clean seamless studio background",
    "",
    "Clean seamless studio background",
    "A flat tabletop surface seen from above",
    "",
];
const PRODUCT_LIGHTING: [&str; 6] = [
    "Soft studio key light with gentle, controlled reflections",
    "Raking side light that brings out texture",
    "Natural, soft daylight",
    "Even, neutral light",
    "Soft, even overhead light, minimal shadows",
    "Natural ambient light",
];

// Four beats of a gag strip; every panel keeps room at the top for balloons.
const COMIC: [ShotRow; 4] = [
    ("Wide", "Eye level", "Setup: establish the place and the characters; leave the top fifth clear for a caption or speech balloons."),
    ("Medium", "Eye level", "Build: the situation develops as the characters interact; leave the top fifth clear for speech balloons."),
    ("Close-up", "Slightly low angle", "Turn: the surprise or twist, framed tighter for emphasis; leave the top fifth clear for speech balloons."),
    ("Medium", "Eye level", "Punchline: the payoff reaction, staged simply so it reads instantly; echo the framing of the setup panel; leave the top fifth clear for speech balloons."),
];

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

    #[test]
    fn every_preset_frame_starts_with_a_real_shot_spec() {
        for t in Template::PRESETS {
            for i in 0..t.frame_count() {
                let spec = t.shot_spec(i);
                assert!(!spec.shot_size.is_empty(), "{} {i}", t.key());
                assert!(!spec.camera_angle.is_empty(), "{} {i}", t.key());
                assert!(!spec.composition.is_empty(), "{} {i}", t.key());
                assert!(spec.texts.is_empty() && spec.entities.is_empty());
            }
            assert_eq!(t.shot_spec(t.frame_count()), ShotSpec::default());
        }
        assert_eq!(
            Template::Custom { frames: 3 }.shot_spec(0),
            ShotSpec::default()
        );
    }

    #[test]
    fn shot_specs_follow_each_format() {
        let carousel = Template::Carousel;
        assert!(carousel.shot_spec(0).composition.starts_with("Hook slide"));
        assert!(carousel
            .shot_spec(3)
            .composition
            .contains("leave the top third empty for the headline"));
        assert!(carousel
            .shot_spec(8)
            .composition
            .starts_with("Call-to-action"));
        let board = Template::Storyboard;
        assert!(board.shot_spec(0).shot_size.contains("establishing"));
        assert!(board
            .shot_spec(3)
            .camera_angle
            .contains("Over the shoulder"));
        assert!(board.shot_spec(4).shot_size.starts_with("Insert"));
        assert!(board.shot_spec(8).shot_size.contains("reaction"));
        assert!(board.shot_spec(11).composition.starts_with("Act III"));
        let sheet = Template::CharacterSheet;
        for i in 0..6 {
            assert_eq!(sheet.shot_spec(i).constraints.len(), 3);
            assert!(sheet.shot_spec(i).constraints[0].contains("neutral"));
            assert!(sheet.shot_spec(i).setting.contains("neutral"));
        }
        assert!(sheet.shot_spec(2).camera_angle.contains("profile"));
        assert!(sheet
            .shot_spec(4)
            .composition
            .starts_with("Expression sheet"));
        let products = Template::ProductSet;
        let firsts: Vec<String> = (0..6)
            .map(|i| products.shot_spec(i).composition)
            .map(|c| c.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(
            firsts,
            [
                "Hero shot",
                "Detail shot",
                "In use",
                "Scale shot",
                "Flat lay",
                "Lifestyle shot"
            ]
        );
        let beats: Vec<String> = (0..4)
            .map(|i| Template::Comic.shot_spec(i).composition)
            .map(|c| c.split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(beats, ["Setup", "Build", "Turn", "Punchline"]);
    }

    #[test]
    fn units_and_nouns_name_the_format() {
        assert_eq!(Template::Storyboard.unit(), "Panel");
        assert_eq!(Template::ProductSet.noun(), "product set");
        assert_eq!(Template::Custom { frames: 2 }.unit(), "Frame");
    }
}
