//! Which screen is shown, mirrored in `location.hash` so reloads and the back button work.

/// A screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The list of series.
    Projects,
    /// One series, by id.
    Series(String),
}

impl Route {
    /// Reads a route from a URL hash such as `#/series/s_12`.
    pub fn from_hash(hash: &str) -> Route {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.strip_prefix("series/") {
            Some(id) if !id.is_empty() => Route::Series(id.to_string()),
            _ => Route::Projects,
        }
    }

    /// The URL hash for this route.
    pub fn to_hash(&self) -> String {
        match self {
            Route::Projects => "#/".into(),
            Route::Series(id) => format!("#/series/{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_round_trip_through_the_hash() {
        for r in [Route::Projects, Route::Series("s_00ff".into())] {
            assert_eq!(Route::from_hash(&r.to_hash()), r);
        }
        assert_eq!(Route::from_hash(""), Route::Projects);
        assert_eq!(Route::from_hash("#/series/"), Route::Projects);
        assert_eq!(Route::from_hash("#/nonsense"), Route::Projects);
    }
}
