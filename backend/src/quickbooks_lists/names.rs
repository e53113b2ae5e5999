//! Finding a QuickBooks list entry by the name a merchant or a store uses for it.

/// Why a name did not resolve to exactly one entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameLookupError {
    #[error("no entry is named `{0}`")]
    NotFound(String),
    #[error("`{name}` is ambiguous: give the full name, one of {}", candidates.join(", "))]
    Ambiguous { name: String, candidates: Vec<String> },
}

/// Resolves `wanted` against full names (`Parent:Child`), ignoring case as QuickBooks does.
/// An exact full name wins; otherwise a name matching exactly one entry's last level
/// (`Hammer` for `Tools:Hammer`) does; two such entries make the name ambiguous.
pub fn resolve_name<'a, T>(
    entries: &'a [T],
    full_name_of: impl Fn(&T) -> &str,
    wanted: &str,
) -> Result<&'a T, NameLookupError> {
    let wanted_trimmed = wanted.trim();
    let wanted_lower = wanted_trimmed.to_lowercase();
    if let Some(exact) = entries.iter().find(|e| full_name_of(e).to_lowercase() == wanted_lower) {
        return Ok(exact);
    }
    let leaf_matches: Vec<&T> = entries
        .iter()
        .filter(|e| {
            let full = full_name_of(e);
            full.contains(':') && full.rsplit(':').next().is_some_and(|leaf| leaf.to_lowercase() == wanted_lower)
        })
        .collect();
    match leaf_matches.as_slice() {
        [one] => Ok(one),
        [] => Err(NameLookupError::NotFound(wanted_trimmed.to_owned())),
        many => Err(NameLookupError::Ambiguous {
            name: wanted_trimmed.to_owned(),
            candidates: many.iter().map(|e| full_name_of(e).to_owned()).collect(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["Tools", "Tools:Hammer", "Garden:Rake", "Garden:Tools:Rake", "Shirt"].map(String::from).to_vec()
    }

    #[test]
    fn an_exact_full_name_is_found_ignoring_case() {
        let list = names();
        assert_eq!(resolve_name(&list, |s| s, "tools:hammer").unwrap(), "Tools:Hammer");
        assert_eq!(resolve_name(&list, |s| s, "Shirt").unwrap(), "Shirt");
    }

    #[test]
    fn a_sub_item_is_found_by_its_own_name() {
        let list = names();
        assert_eq!(resolve_name(&list, |s| s, "Hammer").unwrap(), "Tools:Hammer");
    }

    #[test]
    fn a_name_under_two_parents_asks_for_the_full_name() {
        let list = names();
        let err = resolve_name(&list, |s| s, "Rake").unwrap_err();
        assert_eq!(
            err,
            NameLookupError::Ambiguous {
                name: "Rake".into(),
                candidates: vec!["Garden:Rake".into(), "Garden:Tools:Rake".into()]
            }
        );
        assert!(err.to_string().contains("Garden:Tools:Rake"));
    }

    #[test]
    fn an_unknown_name_is_not_found() {
        let list = names();
        assert_eq!(resolve_name(&list, |s| s, "Saw"), Err(NameLookupError::NotFound("Saw".into())));
    }
}
