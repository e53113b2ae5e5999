//! Parsed GraphQL documents, kept by their text. The dashboard and partner scripts send the
//! same few documents over and over with new variables, and parsing one (async-graphql's pest
//! grammar) was about a tenth of the server's time for a small mutation. A kept document is
//! still checked against the schema and its limits on every request; only the parse is
//! skipped. A document that does not parse is never kept: the schema parses it again and
//! reports the error as it always does. Whether a kept document is known to pass the
//! validation rules that do not depend on the variables is kept with it
//! ([`super::known_valid`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::parser::types::ExecutableDocument;
use hashlink::LruCache;

/// Documents kept at most, the least recently used dropped first.
const KEPT: usize = 256;
/// Their text at most, in bytes: a parsed document takes several times its text, and clients
/// sending many large distinct documents must not grow the server by more than a few MB.
/// The dashboard's every operation together is under 10 KiB.
const KEPT_TEXT: usize = 256 * 1024;
/// A longer document is parsed every time: clients that send such are rare.
const LONGEST_KEPT: usize = 16 * 1024;

/// A document as parsed, and whether it ran once without any error with every variable given.
pub struct KeptDocument {
    pub document: ExecutableDocument,
    passed: AtomicBool,
}

impl KeptDocument {
    fn new(document: ExecutableDocument) -> Self {
        Self { document, passed: AtomicBool::new(false) }
    }

    /// Whether the document is known to pass every validation rule that does not depend on
    /// the variables' values.
    pub fn passed(&self) -> bool {
        self.passed.load(Ordering::Relaxed)
    }

    pub fn mark_passed(&self) {
        self.passed.store(true, Ordering::Relaxed);
    }
}

#[derive(Default)]
pub struct ParsedDocuments {
    kept: Mutex<Kept>,
}

struct Kept {
    documents: LruCache<Box<str>, Arc<KeptDocument>>,
    /// The length of the texts in `documents`.
    text: usize,
}

impl Default for Kept {
    fn default() -> Self {
        Self { documents: LruCache::new_unbounded(), text: 0 }
    }
}

impl Kept {
    fn insert(&mut self, text: &str, document: Arc<KeptDocument>) {
        if self.documents.remove(text).is_some() {
            self.text -= text.len();
        }
        while self.documents.len() >= KEPT || (self.text + text.len() > KEPT_TEXT && !self.documents.is_empty()) {
            if let Some((dropped, _)) = self.documents.remove_lru() {
                self.text -= dropped.len();
            }
        }
        self.documents.insert(text.into(), document);
        self.text += text.len();
    }
}

impl ParsedDocuments {
    /// Gives the request its parsed document: the kept one when its text was seen before,
    /// else parsed now and kept. Returns the kept document, if the text is kept.
    pub fn prepare(&self, request: &mut async_graphql::Request) -> Option<Arc<KeptDocument>> {
        if request.query.len() > LONGEST_KEPT {
            return None;
        }
        // The map only holds finished documents, so a panic elsewhere cannot leave it half-made.
        let found =
            self.kept.lock().unwrap_or_else(PoisonError::into_inner).documents.get(request.query.as_str()).cloned();
        match found {
            Some(kept) => {
                request.set_parsed_query(kept.document.clone());
                Some(kept)
            }
            None => {
                let kept = Arc::new(KeptDocument::new(request.parsed_query().ok()?.clone()));
                self.kept.lock().unwrap_or_else(PoisonError::into_inner).insert(&request.query, kept.clone());
                Some(kept)
            }
        }
    }

    /// How many documents are kept, and the length of their texts.
    #[cfg(test)]
    fn held(&self) -> (usize, usize) {
        let kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        (kept.documents.len(), kept.text)
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Request, Schema, Variables};
    use serde_json::json;

    use std::sync::Arc;

    use super::{KEPT, KEPT_TEXT, LONGEST_KEPT, ParsedDocuments};

    struct Query;

    #[Object]
    impl Query {
        async fn double(&self, n: i32) -> i32 {
            n * 2
        }
    }

    async fn run(documents: &ParsedDocuments, query: &str, variables: serde_json::Value) -> serde_json::Value {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let mut request = Request::new(query).variables(Variables::from_json(variables));
        documents.prepare(&mut request);
        serde_json::to_value(schema.execute(request).await).expect("a response as JSON")
    }

    #[tokio::test]
    async fn a_kept_document_answers_each_request_with_its_own_variables() {
        let documents = ParsedDocuments::default();
        let query = "query($n: Int!) { double(n: $n) }";
        assert_eq!(run(&documents, query, json!({ "n": 2 })).await["data"], json!({ "double": 4 }));
        assert_eq!(documents.held(), (1, query.len()));
        assert_eq!(run(&documents, query, json!({ "n": 21 })).await["data"], json!({ "double": 42 }));
        assert_eq!(documents.held(), (1, query.len()));
        // Validation still runs on a kept document: a wrong variable type is still an error.
        let wrong = run(&documents, query, json!({ "n": "many" })).await;
        assert!(wrong["errors"][0]["message"].as_str().is_some_and(|m| m.contains("Int")), "{wrong}");
    }

    #[tokio::test]
    async fn a_text_seen_before_is_answered_from_the_kept_document() {
        let documents = ParsedDocuments::default();
        // Plant another document under a text: only a request that used the kept one gets 6.
        let planted = async_graphql::parser::parse_query("{ double(n: 3) }").expect("a document");
        documents
            .kept
            .lock()
            .expect("the lock")
            .insert("{ double(n: 1) }", Arc::new(super::KeptDocument::new(planted)));
        assert_eq!(run(&documents, "{ double(n: 1) }", json!({})).await["data"], json!({ "double": 6 }));
    }

    #[tokio::test]
    async fn a_document_that_does_not_parse_is_reported_and_not_kept() {
        let documents = ParsedDocuments::default();
        let broken = run(&documents, "{ double(n: ", json!({})).await;
        assert!(broken["errors"][0]["message"].is_string(), "{broken}");
        assert_eq!(documents.held(), (0, 0));
    }

    #[tokio::test]
    async fn at_most_a_fixed_number_are_kept() {
        let documents = ParsedDocuments::default();
        for n in 0..KEPT + 10 {
            let answer = run(&documents, &format!("{{ double(n: {n}) }}"), json!({})).await;
            assert_eq!(answer["data"]["double"], json!(n * 2));
        }
        assert_eq!(documents.held().0, KEPT);
    }

    #[tokio::test]
    async fn large_documents_are_kept_up_to_a_budget_of_text() {
        let documents = ParsedDocuments::default();
        let padding = format!("# {}\n", "x".repeat(14_997));
        let mut last = String::new();
        for n in 0..30 {
            last = format!("{padding}{{ double(n: {n}) }}");
            assert_eq!(run(&documents, &last, json!({})).await["data"]["double"], json!(n * 2));
        }
        let (count, text) = documents.held();
        assert_eq!(count, KEPT_TEXT / last.len(), "as many as fit");
        assert_eq!(text, count * last.len());
        let longer = format!("# {}\n{{ double(n: 1) }}", "x".repeat(LONGEST_KEPT));
        assert_eq!(run(&documents, &longer, json!({})).await["data"]["double"], json!(2));
        assert_eq!(documents.held(), (count, text), "too long to keep");
    }
}
