//! The prompt compiler: a series and one of its frames → the exact text sent for that frame.
//! Pure and deterministic, so the UI can show, before any money is spent, exactly what will
//! be sent.

use crate::api::request::MAX_PROMPT_CHARS;
use crate::model::Project;

/// What one frame's request will carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledFrame {
    /// The prompt, verbatim.
    pub prompt: String,
    /// Problems the user should see before sending (never silently fixed).
    pub warnings: Vec<String>,
}

/// Compiles frame `index` of `project`: the series style first (so every frame shares it),
/// then where the frame sits in the series, then the frame's own text.
pub fn compile(project: &Project, index: usize) -> CompiledFrame {
    let frame = &project.frames[index];
    let mut parts = Vec::new();
    let style = project.style.trim();
    if !style.is_empty() {
        parts.push(style.to_string());
    }
    parts.push(format!(
        "{} — frame {} of {} in a {}.",
        frame.title,
        index + 1,
        project.frames.len(),
        project.template.label()
    ));
    let own = frame.prompt.trim();
    if !own.is_empty() {
        parts.push(own.to_string());
    }
    let prompt = parts.join("\n\n");
    let mut warnings = Vec::new();
    if own.is_empty() {
        warnings.push(
            "This frame has no description yet; only the series style and its position are sent."
                .into(),
        );
    }
    let chars = prompt.chars().count();
    if chars > MAX_PROMPT_CHARS {
        warnings.push(format!("The prompt has {chars} characters; the API accepts {MAX_PROMPT_CHARS}. Shorten it before generating."));
    }
    CompiledFrame { prompt, warnings }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::Template;

    fn project() -> Project {
        let mut n = 0;
        Project::from_template(
            "Launch",
            Template::Carousel,
            "gpt-image-2",
            0.0,
            move || {
                n += 1;
                n
            },
        )
    }

    #[test]
    fn style_is_prepended_to_every_frame() {
        let mut p = project();
        p.style = "  Flat vector, teal and coral, soft grain.  ".into();
        p.frames[2].prompt = "A fox courier waves from a tram stop.".into();
        let c = compile(&p, 2);
        assert_eq!(
            c.prompt,
            "Flat vector, teal and coral, soft grain.\n\nSlide 3 · Body — frame 3 of 9 in a 9-slide carousel.\n\nA fox courier waves from a tram stop."
        );
        assert!(c.warnings.is_empty());
        for i in 0..9 {
            assert!(compile(&p, i)
                .prompt
                .starts_with("Flat vector, teal and coral, soft grain.\n\n"));
        }
    }

    #[test]
    fn an_empty_frame_still_has_a_prompt_and_a_warning() {
        let p = project();
        let c = compile(&p, 0);
        assert_eq!(
            c.prompt,
            "Slide 1 · Hook — frame 1 of 9 in a 9-slide carousel."
        );
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn over_long_prompts_are_flagged_not_cut() {
        let mut p = project();
        p.frames[0].prompt = "a".repeat(MAX_PROMPT_CHARS);
        let c = compile(&p, 0);
        assert!(
            c.prompt.ends_with(&"a".repeat(MAX_PROMPT_CHARS)),
            "nothing is dropped"
        );
        assert!(c.warnings.iter().any(|w| w.contains("32000")));
    }
}
