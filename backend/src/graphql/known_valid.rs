//! Documents known to pass validation, and the variables they can take without it.
//!
//! The dashboard and partner scripts send the same few documents again and again, with new
//! variables. async-graphql validates each request against every rule (22 visitors over the
//! document, each looking its types up by name), about a tenth of the server's time for a
//! small mutation. Whether a document breaks a rule depends on the document alone, except for
//! one rule: that each argument's value, with the variables put in, fits the argument's type.
//!
//! So once a kept document has run without any error, with every variable it declares given,
//! it is known to pass the other rules. A later request with the same text then runs on a
//! schema that checks only what can still differ, the limits on depth and complexity included,
//! provided each variable surely fits its declared type. A variable that might not fit, one
//! left out, or null, sends the request through every rule as before, so a caller's mistake is
//! reported exactly as it always was. The check below may only be stricter than
//! async-graphql's, never looser.

use std::sync::Arc;

use async_graphql::parser::types::{BaseType, DocumentOperations, ExecutableDocument, OperationDefinition, Type};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
// async-graphql re-exports the constant kind of value as `Value`.
use async_graphql::{
    ObjectType, OutputType, Request, Response, Schema, SubscriptionType, Value as ConstValue, Variables,
};

use super::documents::KeptDocument;
use super::{MutationRoot, QueryRoot, SubscriptionRoot};

/// The input types of a schema (scalars, enums, input objects), to check variables against.
pub struct InputTypes(Registry);

impl InputTypes {
    /// The input types reachable from the schema's roots, as the schema itself registers them.
    pub fn of<Query: OutputType, Mutation: ObjectType, Subscription: SubscriptionType>() -> Self {
        let mut registry = Registry::default();
        Query::create_type_info(&mut registry);
        Mutation::create_type_info(&mut registry);
        Subscription::create_type_info(&mut registry);
        // Output types are never a variable's: only what a value is checked against is kept.
        registry.types.retain(|_, ty| {
            matches!(ty, MetaType::Scalar { .. } | MetaType::Enum { .. } | MetaType::InputObject { .. })
        });
        registry.directives.clear();
        registry.implements.clear();
        Self(registry)
    }

    /// Whether the request's variables surely pass async-graphql's check of them: each one the
    /// operation declares is given, not null, and fits its declared type; no other is given.
    pub fn surely_fit(&self, operation: &OperationDefinition, variables: &Variables) -> bool {
        let declared = &operation.variable_definitions;
        variables.len() == declared.len()
            && declared.iter().all(|definition| {
                let definition = &definition.node;
                variables.get(&definition.name.node).is_some_and(|value| {
                    !matches!(value, ConstValue::Null) && self.fits(&definition.var_type.node, value)
                })
            })
    }

    /// `value` for a variable declared as `ty`.
    fn fits(&self, ty: &Type, value: &ConstValue) -> bool {
        match (value, &ty.base) {
            (ConstValue::Null, _) => ty.nullable,
            (ConstValue::List(items), BaseType::List(item)) => {
                items.iter().all(|value| self.fits(item.as_ref(), value))
            }
            // One value where a list is declared is taken as a list of one: left to the full check.
            (_, BaseType::List(_)) => false,
            (_, BaseType::Named(name)) => self.fits_named(name.as_str(), value),
        }
    }

    /// `value` for a field of an input object, whose type the registry spells as in SDL.
    fn fits_spelled(&self, ty: &str, value: &ConstValue) -> bool {
        match (MetaTypeName::create(ty), value) {
            (MetaTypeName::NonNull(_), ConstValue::Null) => false,
            (MetaTypeName::NonNull(inner), _) => self.fits_spelled(inner, value),
            (_, ConstValue::Null) => true,
            (MetaTypeName::List(item), ConstValue::List(items)) => {
                items.iter().all(|value| self.fits_spelled(item, value))
            }
            (MetaTypeName::List(_), _) => false,
            (MetaTypeName::Named(name), _) => self.fits_named(name, value),
        }
    }

    /// A value that is not null, for the named type.
    fn fits_named(&self, name: &str, value: &ConstValue) -> bool {
        match self.0.types.get(name) {
            Some(MetaType::Scalar { is_valid, .. }) => is_valid.as_ref().is_none_or(|is_valid| is_valid(value)),
            Some(MetaType::Enum { enum_values, .. }) => match value {
                ConstValue::Enum(name) => enum_values.contains_key(name.as_str()),
                ConstValue::String(name) => enum_values.contains_key(name.as_str()),
                _ => false,
            },
            Some(MetaType::InputObject { input_fields, oneof: false, .. }) => {
                let ConstValue::Object(given) = value else { return false };
                given.keys().all(|name| input_fields.contains_key(name.as_str()))
                    && input_fields.values().all(|field| match given.get(field.name.as_str()) {
                        Some(value) => self.fits_spelled(&field.ty, value),
                        None => field.default_value.is_some() || !MetaTypeName::create(&field.ty).is_non_null(),
                    })
            }
            // A one-of input object, or a name that is no input type: left to the full check.
            _ => false,
        }
    }
}

/// The document's operation when it holds exactly one.
fn only_operation(document: &ExecutableDocument) -> Option<&OperationDefinition> {
    match &document.operations {
        DocumentOperations::Single(operation) => Some(&operation.node),
        DocumentOperations::Multiple(operations) if operations.len() == 1 => {
            operations.values().next().map(|operation| &operation.node)
        }
        DocumentOperations::Multiple(_) => None,
    }
}

/// The two schemas a request may run on: one applying every validation rule, and one
/// applying only those a known document must still pass on each request; and the input types
/// both share, which a known document's variables are checked against.
pub struct Schemas<Query = QueryRoot, Mutation = MutationRoot, Subscription = SubscriptionRoot> {
    pub full: Schema<Query, Mutation, Subscription>,
    pub known: Schema<Query, Mutation, Subscription>,
    pub inputs: Arc<InputTypes>,
}

// Written out: derived, it would ask the roots themselves to be `Clone`.
impl<Query, Mutation, Subscription> Clone for Schemas<Query, Mutation, Subscription> {
    fn clone(&self) -> Self {
        Self { full: self.full.clone(), known: self.known.clone(), inputs: self.inputs.clone() }
    }
}

/// Runs `request`, whose text is the kept document's: on the schema that skips the rules the
/// document is known to pass when its variables surely fit, else on the full one, learning
/// from an answer without any error that the document passes.
pub async fn execute<Query, Mutation, Subscription>(
    schemas: &Schemas<Query, Mutation, Subscription>,
    kept: &KeptDocument,
    request: Request,
) -> Response
where
    Query: ObjectType + 'static,
    Mutation: ObjectType + 'static,
    Subscription: SubscriptionType + 'static,
{
    let Some(operation) = only_operation(&kept.document) else {
        return schemas.full.execute(request).await;
    };
    if kept.passed() && schemas.inputs.surely_fit(operation, &request.variables) {
        return schemas.known.execute(request).await;
    }
    // With a variable left out, async-graphql checks nothing of the arguments using it, not
    // even what is written beside it in the document: such a run proves too little.
    let every_variable_given = operation
        .variable_definitions
        .iter()
        .all(|definition| request.variables.contains_key(&definition.node.name.node));
    let response = schemas.full.execute(request).await;
    if every_variable_given && response.errors.is_empty() {
        kept.mark_passed();
    }
    response
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_graphql::{
        Context, EmptyMutation, EmptySubscription, Enum, InputObject, Object, OneofObject, Request, Schema,
        ValidationMode, Variables,
    };
    use serde_json::{Value, json};

    use super::{InputTypes, Schemas, execute};
    use crate::graphql::documents::ParsedDocuments;

    #[derive(Enum, Copy, Clone, PartialEq, Eq)]
    enum Direction {
        ToQuickbooks,
        FromQuickbooks,
    }

    #[derive(InputObject)]
    struct Inner {
        code: String,
        #[graphql(default = 2)]
        places: i32,
        note: Option<String>,
    }

    #[derive(InputObject)]
    struct Outer {
        name: String,
        direction: Direction,
        tags: Vec<String>,
        inner: Option<Inner>,
        inners: Option<Vec<Inner>>,
    }

    #[derive(OneofObject)]
    enum Either {
        Id(i32),
        Name(String),
    }

    /// Which schema ran, and how often a resolver ran at all.
    struct Query;

    #[Object]
    impl Query {
        async fn echo(&self, ctx: &Context<'_>, outer: Outer, n: i32) -> String {
            ctx.data_unchecked::<AtomicUsize>().fetch_add(1, Ordering::SeqCst);
            format!("{} {} {} {}", ctx.data_unchecked::<&str>(), outer.name, outer.tags.len(), n)
        }

        async fn pick(&self, either: Either) -> i32 {
            match either {
                Either::Id(id) => id,
                Either::Name(name) => name.len() as i32,
            }
        }

        async fn maybe(&self, n: Option<i32>) -> i32 {
            n.unwrap_or(-1)
        }
    }

    type TestSchemas = Schemas<Query, EmptyMutation, EmptySubscription>;

    fn schemas() -> TestSchemas {
        let build = |which: &'static str, mode| {
            Schema::build(Query, EmptyMutation, EmptySubscription)
                .validation_mode(mode)
                .data(which)
                .data(AtomicUsize::new(0))
                .finish()
        };
        Schemas {
            full: build("full", ValidationMode::Strict),
            known: build("known", ValidationMode::Fast),
            inputs: Arc::new(InputTypes::of::<Query, EmptyMutation, EmptySubscription>()),
        }
    }

    fn runs(schemas: &TestSchemas) -> usize {
        schemas.full.data::<AtomicUsize>().map_or(0, |n| n.load(Ordering::SeqCst))
            + schemas.known.data::<AtomicUsize>().map_or(0, |n| n.load(Ordering::SeqCst))
    }

    async fn run(schemas: &TestSchemas, documents: &ParsedDocuments, query: &str, variables: Value) -> Value {
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        let kept = documents.prepare(&mut request).expect("a document that parses");
        serde_json::to_value(execute(schemas, &kept, request).await).expect("JSON")
    }

    const ECHO: &str = "query($o: Outer!, $n: Int!) { echo(outer: $o, n: $n) }";

    fn outer(name: &str) -> Value {
        json!({ "name": name, "direction": "TO_QUICKBOOKS", "tags": ["a", "b"], "inner": { "code": "X" } })
    }

    #[tokio::test]
    async fn a_document_that_ran_cleanly_runs_next_on_the_schema_checking_only_what_can_change() {
        let (schemas, documents) = (schemas(), ParsedDocuments::default());
        let first = run(&schemas, &documents, ECHO, json!({ "o": outer("one"), "n": 1 })).await;
        assert_eq!(first["data"]["echo"], "full one 2 1", "{first}");
        let second = run(&schemas, &documents, ECHO, json!({ "o": outer("two"), "n": 2 })).await;
        assert_eq!(second["data"]["echo"], "known two 2 2", "{second}");

        // Every wrong value goes through every rule again, and is refused before anything runs,
        // as the first time.
        let before = runs(&schemas);
        for (o, n) in [
            (outer("x"), json!("two")),
            (json!({ "name": "x", "direction": "SIDEWAYS", "tags": [] }), json!(1)),
            (json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [1] }), json!(1)),
            (json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [], "colour": "red" }), json!(1)),
            (json!({ "direction": "TO_QUICKBOOKS", "tags": [] }), json!(1)),
            (json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [], "inner": { "places": 3 } }), json!(1)),
            (json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [], "inners": [{ "code": 5 }] }), json!(1)),
            (outer("x"), json!(null)),
        ] {
            let wrong = run(&schemas, &documents, ECHO, json!({ "o": o, "n": n })).await;
            let message = wrong["errors"][0]["message"].as_str().unwrap_or_default();
            assert!(message.starts_with("Invalid value for argument"), "{wrong}");
        }
        assert_eq!(runs(&schemas), before, "nothing ran for a wrong value");
    }

    #[tokio::test]
    async fn only_a_clean_run_with_every_variable_given_makes_a_document_known() {
        let (schemas, documents) = (schemas(), ParsedDocuments::default());
        // Refused: an unknown field. Never known, however often sent.
        let unknown = "query($n: Int) { maybe(n: $n) nothing }";
        for _ in 0..2 {
            let refused = run(&schemas, &documents, unknown, json!({ "n": 1 })).await;
            assert!(refused["errors"][0]["message"].as_str().is_some_and(|m| m.contains("nothing")), "{refused}");
        }
        let passed = |query: &str| documents.prepare(&mut Request::new(query)).is_some_and(|kept| kept.passed());
        assert!(!passed(unknown));
        // A variable left out proves nothing of the arguments using it.
        let maybe = "query($n: Int) { maybe(n: $n) }";
        let answered = |answer: Value| answer["data"]["maybe"].clone();
        assert_eq!(answered(run(&schemas, &documents, maybe, json!({})).await), json!(-1));
        assert!(!passed(maybe));
        assert_eq!(answered(run(&schemas, &documents, maybe, json!({ "n": 4 })).await), json!(4));
        assert!(passed(maybe));
        // Known, but a null variable is still left to every rule; it is taken all the same.
        assert_eq!(answered(run(&schemas, &documents, maybe, json!({ "n": null })).await), json!(-1));
        // Two operations in one document: always every rule.
        let two = "query A { maybe(n: 1) } query B { maybe(n: 2) }";
        for _ in 0..2 {
            let mut request = Request::new(two).operation_name("B");
            let kept = documents.prepare(&mut request).expect("parsed");
            let answer = execute(&schemas, &kept, request).await;
            assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        }
        assert!(!passed(two));
    }

    #[test]
    fn a_variable_surely_fits_only_when_every_rule_would_take_it() {
        let inputs = schemas().inputs;
        let document = async_graphql::parser::parse_query(
            "query($o: Outer!, $n: Int!, $e: Either!, $l: [Int!], $m: Int) { echo(outer: $o, n: $n) pick(either: $e) }",
        )
        .expect("parsed");
        let operation = super::only_operation(&document).expect("one operation");
        let fits = |variables: Value| inputs.surely_fit(operation, &Variables::from_json(variables));
        let all = |o: Value| json!({ "o": o, "n": 1, "e": { "id": 1 }, "l": [1], "m": 2 });
        assert!(!fits(all(outer("x"))), "a one-of input object is left to every rule");
        let document = async_graphql::parser::parse_query(
            "query($o: Outer!, $n: Int!, $l: [Int!], $m: Int) { echo(outer: $o, n: $n) }",
        )
        .expect("parsed");
        let operation = super::only_operation(&document).expect("one operation");
        let fits = |variables: Value| inputs.surely_fit(operation, &Variables::from_json(variables));
        let all = |o: Value| json!({ "o": o, "n": 1, "l": [1, 2], "m": 2 });
        assert!(fits(all(outer("x"))));
        assert!(fits(all(
            json!({ "name": "x", "direction": "FROM_QUICKBOOKS", "tags": [], "inners": [{ "code": "c", "places": 1, "note": null }] })
        )));
        assert!(!fits(all(json!({ "name": "x", "direction": "UP", "tags": [] }))), "not a value of the enum");
        assert!(!fits(all(json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": "a" }))), "one value for a list");
        assert!(
            !fits(all(json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [null] }))),
            "null in a list of non-null"
        );
        assert!(!fits(all(json!({ "name": "x", "direction": "TO_QUICKBOOKS" }))), "a required field missing");
        assert!(!fits(all(json!({ "name": 5, "direction": "TO_QUICKBOOKS", "tags": [] }))), "a number for a string");
        assert!(
            !fits(all(json!({ "name": "x", "direction": "TO_QUICKBOOKS", "tags": [], "extra": 1 }))),
            "an unknown field"
        );
        assert!(!fits(json!({ "o": outer("x"), "n": 1, "l": [1] })), "a variable left out");
        assert!(!fits(json!({ "o": outer("x"), "n": 1, "l": [1], "m": null })), "a null variable");
        assert!(!fits(json!({ "o": outer("x"), "n": 1, "l": [1], "m": 2, "z": 3 })), "a variable not declared");
        assert!(!fits(json!({ "o": outer("x"), "n": 1.5, "l": [1], "m": 2 })), "not an integer");
    }
}
