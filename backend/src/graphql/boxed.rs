//! Parts of a root object whose fields are resolved in a box of their own.
//!
//! async-graphql boxes each selected field's future, and that future holds the root's whole
//! `resolve_field`: room for the largest resolver of every part merged into the root. The
//! mutation root's was 9.7 KB (`importOrders` alone 8.7 KB), so saving a wizard step allocated
//! and copied 9.7 KB for a resolver that needs a few hundred bytes. Allocations that large miss
//! the allocator's per-thread cache: they take its arena lock and sweep its small free chunks
//! first. A part wrapped in [`Boxed`] puts its resolver in a box sized for that part alone, and
//! adds a pointer to the root's future. With every part but the wizard's boxed, the mutation
//! root's field future is 2.3 KB (measured with `-Zprint-type-sizes` on a release build).

use std::borrow::Cow;

use async_graphql::parser::types::Field;
use async_graphql::registry::Registry;
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, ObjectType, OutputType, Positioned, ServerResult, Value,
};

/// `T`, its fields resolved in a box of their own. Its GraphQL type is `T`'s, unchanged.
#[derive(Default)]
pub struct Boxed<T>(T);

impl<T: OutputType> OutputType for Boxed<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        Box::pin(self.0.resolve(ctx, field)).await
    }
}

impl<T: ContainerType> ContainerType for Boxed<T> {
    async fn resolve_field(&self, ctx: &Context<'_>) -> ServerResult<Option<Value>> {
        Box::pin(self.0.resolve_field(ctx)).await
    }

    async fn find_entity(&self, ctx: &Context<'_>, params: &Value) -> ServerResult<Option<Value>> {
        Box::pin(self.0.find_entity(ctx, params)).await
    }
}

impl<T: ObjectType> ObjectType for Boxed<T> {}
