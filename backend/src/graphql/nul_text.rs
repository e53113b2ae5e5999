//! The NUL character in a request's text. PostgreSQL cannot store it in text and SQLite can,
//! and it means nothing in a name, an address or a note: a request carrying it is refused
//! before anything runs, alike on every database, instead of failing half-way on one of them.

use async_graphql::Request;
use async_graphql::parser::Positioned;
use async_graphql::parser::types::{Directive, ExecutableDocument, Selection, SelectionSet};
// The document's values, which may name variables: async-graphql re-exports only the constant kind.
use async_graphql_value::{ConstValue, Value};

/// Whether a variable or a value written in the document holds a NUL character. The
/// document is parsed here when it was not yet, and kept parsed in the request.
pub fn holds_nul(request: &mut Request) -> bool {
    if request.variables.values().any(const_holds_nul) {
        return true;
    }
    // A string written in the document holds one only through an escape (or the character
    // itself): most documents need no walk.
    if !request.query.contains(['\\', '\0']) {
        return false;
    }
    match request.parsed_query() {
        Ok(document) => document_holds_nul(document),
        // Refused by the schema as it always is, with the parse error.
        Err(_) => false,
    }
}

fn document_holds_nul(document: &ExecutableDocument) -> bool {
    document.operations.iter().any(|(_, operation)| {
        let operation = &operation.node;
        operation.variable_definitions.iter().any(|definition| {
            definition.node.default_value.as_ref().is_some_and(|value| const_holds_nul(&value.node))
                || directives_hold_nul(&definition.node.directives)
        }) || directives_hold_nul(&operation.directives)
            || selections_hold_nul(&operation.selection_set.node)
    }) || document.fragments.values().any(|fragment| {
        directives_hold_nul(&fragment.node.directives) || selections_hold_nul(&fragment.node.selection_set.node)
    })
}

fn selections_hold_nul(set: &SelectionSet) -> bool {
    set.items.iter().any(|item| match &item.node {
        Selection::Field(field) => {
            let field = &field.node;
            field.arguments.iter().any(|(_, value)| value_holds_nul(&value.node))
                || directives_hold_nul(&field.directives)
                || selections_hold_nul(&field.selection_set.node)
        }
        Selection::FragmentSpread(spread) => directives_hold_nul(&spread.node.directives),
        Selection::InlineFragment(inline) => {
            directives_hold_nul(&inline.node.directives) || selections_hold_nul(&inline.node.selection_set.node)
        }
    })
}

fn directives_hold_nul(directives: &[Positioned<Directive>]) -> bool {
    directives.iter().any(|directive| directive.node.arguments.iter().any(|(_, value)| value_holds_nul(&value.node)))
}

fn value_holds_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::List(items) => items.iter().any(value_holds_nul),
        Value::Object(fields) => fields.values().any(value_holds_nul),
        _ => false,
    }
}

fn const_holds_nul(value: &ConstValue) -> bool {
    match value {
        ConstValue::String(text) => text.contains('\0'),
        ConstValue::List(items) => items.iter().any(const_holds_nul),
        ConstValue::Object(fields) => fields.values().any(const_holds_nul),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Request, Variables};
    use serde_json::json;

    use super::holds_nul;

    #[test]
    fn a_nul_anywhere_in_variables_or_literals_is_found_and_nothing_else() {
        let with = |query: &str, variables: serde_json::Value| {
            holds_nul(&mut Request::new(query).variables(Variables::from_json(variables)))
        };
        let query = "mutation($i: In!) { save(input: $i) { ok } }";
        assert!(with(query, json!({ "i": { "lines": [{ "note": "a\u{0}b" }] } })));
        assert!(!with(query, json!({ "i": { "lines": [{ "note": "a\\u0000b, as text" }] } })));
        assert!(with(r#"{ a(x: "\u0000") { b } }"#, json!({})));
        assert!(with(r#"{ a { ...F } } fragment F on A { b(x: ["y", {z: "\u0000"}]) }"#, json!({})));
        assert!(with(r#"{ a { b @include(if: true) c(x: "\u0000") } }"#, json!({})));
        assert!(with(r#"query($v: String = "\u0000") { a(x: $v) }"#, json!({})));
        assert!(!with(r#"{ a(x: "tab\there \"quoted\"") { b } }"#, json!({})));
        assert!(!with(r#"{ a(x: "unterminated) }"#, json!({})), "a document that does not parse is the schema's");
    }
}
