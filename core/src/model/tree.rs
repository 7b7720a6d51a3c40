//! A frame's version tree: what an inspector draws (roots, children, siblings of one request),
//! and the operations on it — make active, delete (never the last; the tree stays connected),
//! and putting a deleted version back.

use super::series::Series;
use super::version::{DeleteRefusal, Version};

/// One node of a frame's version tree, in drawing order.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The version id.
    pub id: String,
    /// Depth from the root (0 for generations).
    pub depth: usize,
    /// Whether it is the frame's active version.
    pub active: bool,
    /// How many versions share its request (variants), counting itself.
    pub siblings: usize,
}

/// The tree of `frame_id`'s versions, depth first, each child after its parent, oldest first
/// among siblings. A version whose parent is gone (or in another frame) is a root.
pub fn tree(series: &Series, frame_id: &str) -> Vec<Node> {
    let own: Vec<&Version> = series.versions_of(frame_id).collect();
    let active = series
        .frame(frame_id)
        .and_then(|f| series.active(f))
        .map(|v| v.id.clone());
    let is_root = |v: &Version| {
        v.parent
            .as_deref()
            .is_none_or(|p| !own.iter().any(|o| o.id == p))
    };
    let mut out = Vec::with_capacity(own.len());
    let mut stack: Vec<(&Version, usize)> = own
        .iter()
        .rev()
        .filter(|v| is_root(v))
        .map(|v| (*v, 0))
        .collect();
    while let Some((v, depth)) = stack.pop() {
        // A damaged record could make a cycle: never visit a version twice.
        if out.iter().any(|n: &Node| n.id == v.id) {
            continue;
        }
        let siblings = match &v.group {
            Some(g) => own.iter().filter(|o| o.group.as_ref() == Some(g)).count(),
            None => 1,
        };
        out.push(Node {
            id: v.id.clone(),
            depth,
            active: active.as_deref() == Some(v.id.as_str()),
            siblings,
        });
        for child in own
            .iter()
            .rev()
            .filter(|c| c.parent.as_deref() == Some(v.id.as_str()))
        {
            stack.push((child, depth + 1));
        }
    }
    out
}

/// What a deleted version needs to come back exactly (undo).
#[derive(Debug, Clone, PartialEq)]
pub struct Deleted {
    /// The version.
    pub version: Version,
    /// Its position in the series' version list.
    pub at: usize,
    /// Versions whose parent it was (they were re-attached to its parent).
    pub children: Vec<String>,
    /// Whether it was the frame's active version.
    pub was_active: bool,
}

impl Series {
    /// Makes `version_id` its frame's active version. False if it is not one of the frame's.
    pub fn make_active(&mut self, frame_id: &str, version_id: &str) -> bool {
        let ok = self
            .versions
            .iter()
            .any(|v| v.id == version_id && v.frame_id == frame_id);
        match (ok, self.frame_mut(frame_id)) {
            (true, Some(frame)) => {
                frame.active_version = Some(version_id.to_string());
                true
            }
            _ => false,
        }
    }

    /// Deletes a version. Never the frame's last one. Its children are re-attached to its
    /// parent (a chain of edits stays a chain); if it was active, its parent (or the newest
    /// version left) becomes active.
    pub fn delete_version(&mut self, version_id: &str) -> Result<Deleted, DeleteRefusal> {
        let at = self
            .versions
            .iter()
            .position(|v| v.id == version_id)
            .ok_or(DeleteRefusal::Missing)?;
        let frame_id = self.versions[at].frame_id.clone();
        if self.versions_of(&frame_id).count() < 2 {
            return Err(DeleteRefusal::LastVersion);
        }
        let version = self.versions.remove(at);
        let mut children = Vec::new();
        for v in &mut self.versions {
            if v.parent.as_deref() == Some(version_id) {
                v.parent = version.parent.clone();
                children.push(v.id.clone());
            }
        }
        let parent = version.parent.clone();
        let newest = self
            .versions
            .iter()
            .rev()
            .find(|v| v.frame_id == frame_id)
            .map(|v| v.id.clone());
        let mut was_active = false;
        if let Some(frame) = self.frame_mut(&frame_id) {
            if frame.active_version.as_deref() == Some(version_id) {
                was_active = true;
                frame.active_version = parent.filter(|p| p != version_id).or(newest);
            }
        }
        Ok(Deleted {
            version,
            at,
            children,
            was_active,
        })
    }

    /// Puts a deleted version back where it was, with its children re-attached and its
    /// active role restored (undo of [`Series::delete_version`]).
    pub fn restore_version(&mut self, deleted: Deleted) {
        if self.version(&deleted.version.id).is_some() {
            return;
        }
        let id = deleted.version.id.clone();
        let frame_id = deleted.version.frame_id.clone();
        for v in &mut self.versions {
            if deleted.children.contains(&v.id) {
                v.parent = Some(id.clone());
            }
        }
        let at = deleted.at.min(self.versions.len());
        self.versions.insert(at, deleted.version);
        if deleted.was_active {
            if let Some(frame) = self.frame_mut(&frame_id) {
                frame.active_version = Some(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::template::Template;

    fn series_with_tree() -> (Series, String) {
        let mut n = 0;
        let mut s = Series::from_template("T", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let f = s.frames[0].id.clone();
        // g1: two variants a, b of one request; c edits a; d edits c; e edits b.
        let mut a = Version::sample("a", &f, None);
        let mut b = Version::sample("b", &f, None);
        a.group = Some("g1".into());
        b.group = Some("g1".into());
        let mut c = Version::sample("c", &f, None);
        c.parent = Some("a".into());
        let mut d = Version::sample("d", &f, None);
        d.parent = Some("c".into());
        let mut e = Version::sample("e", &f, None);
        e.parent = Some("b".into());
        s.apply(crate::model::action::Edit::result(&f, vec![a, b]))
            .unwrap();
        s.versions.extend([c, d, e]);
        (s, f)
    }

    #[test]
    fn the_tree_branches_from_the_version_an_edit_was_made_on() {
        let (s, f) = series_with_tree();
        let t = tree(&s, &f);
        let order: Vec<(&str, usize)> = t.iter().map(|n| (n.id.as_str(), n.depth)).collect();
        assert_eq!(order, [("a", 0), ("c", 1), ("d", 2), ("b", 0), ("e", 1)]);
        assert!(t[0].active, "the first variant of a request is active");
        assert_eq!(
            (t[0].siblings, t[3].siblings, t[1].siblings),
            (2, 2, 1),
            "variants are siblings"
        );
    }

    #[test]
    fn make_active_takes_only_the_frames_own_versions() {
        let (mut s, f) = series_with_tree();
        assert!(s.make_active(&f, "d"));
        assert_eq!(s.active(s.frame(&f).unwrap()).unwrap().id, "d");
        let other = s.frames[1].id.clone();
        assert!(!s.make_active(&other, "a"), "a version of another frame");
        assert!(!s.make_active(&f, "nope"));
    }

    #[test]
    fn deleting_keeps_the_chain_and_undo_restores_it_exactly() {
        let (mut s, f) = series_with_tree();
        s.make_active(&f, "c");
        let before = s.clone();
        let gone = s.delete_version("c").unwrap();
        assert_eq!(
            s.version("d").unwrap().parent.as_deref(),
            Some("a"),
            "d re-attached to a"
        );
        assert_eq!(
            s.frame(&f).unwrap().active_version.as_deref(),
            Some("a"),
            "the parent becomes active"
        );
        assert!(gone.was_active);
        s.restore_version(gone);
        assert_eq!(s, before, "undo puts it back exactly");
    }

    #[test]
    fn the_last_version_is_never_deleted() {
        let mut n = 0;
        let mut s = Series::from_template("T", Template::Comic, "gpt-image-2", 1.0, || {
            n += 1;
            n
        });
        let f = s.frames[0].id.clone();
        s.apply(crate::model::action::Edit::result(
            &f,
            vec![Version::sample("only", &f, None)],
        ))
        .unwrap();
        assert_eq!(s.delete_version("only"), Err(DeleteRefusal::LastVersion));
        assert_eq!(s.delete_version("missing"), Err(DeleteRefusal::Missing));
    }
}
