//! Root objects that resolve each field in its own part, in a box sized for that part.
//!
//! async-graphql boxes each selected field's future, and that future holds the root's whole
//! `resolve_field`. A root derived with `MergedObject` asks its parts in a chain of nested
//! futures, each keeping room for the answer of the part before: the mutation root's was
//! 1.8 KB, and with async-graphql's own state around it every wizard save allocated a field
//! future of 2.3 KB. Allocations over 1 KB miss glibc's per-thread cache: they take the
//! arena's lock and first sweep its small free chunks (seen in `perf` as `malloc_consolidate`).
//!
//! A root made with [`flat_root!`] keeps the merged object for its GraphQL type (the schema is
//! unchanged), and resolves a field by asking the parts one after the other, each part's
//! future in a box of its own, and nothing of one kept while asking the next. Its future is a
//! few words; a wizard save's field future and its part's box both fit the cache.

/// `$root($parts)`: the root object, whose GraphQL type is `$parts`' (a `MergedObject`), its
/// fields resolved by asking the parts `$part` in the order given: the parts most asked first.
macro_rules! flat_root {
    ($root:ident($parts:ty): $($part:tt),+) => {
        #[derive(Default)]
        pub struct $root($parts);

        impl async_graphql::OutputType for $root {
            fn type_name() -> std::borrow::Cow<'static, str> {
                <$parts as async_graphql::OutputType>::type_name()
            }

            fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
                <$parts as async_graphql::OutputType>::create_type_info(registry)
            }

            async fn resolve(
                &self,
                ctx: &async_graphql::ContextSelectionSet<'_>,
                _field: &async_graphql::Positioned<async_graphql::parser::types::Field>,
            ) -> async_graphql::ServerResult<async_graphql::Value> {
                async_graphql::resolver_utils::resolve_container(ctx, self).await
            }
        }

        impl async_graphql::ContainerType for $root {
            async fn resolve_field(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
                let parts = &self.0;
                $(
                    if let Some(value) = Box::pin(parts.$part.resolve_field(ctx)).await? {
                        return Ok(Some(value));
                    }
                )+
                Ok(None)
            }

            async fn find_entity(
                &self,
                ctx: &async_graphql::Context<'_>,
                params: &async_graphql::Value,
            ) -> async_graphql::ServerResult<Option<async_graphql::Value>> {
                Box::pin(self.0.find_entity(ctx, params)).await
            }
        }

        impl async_graphql::ObjectType for $root {}

        #[cfg(test)]
        impl $root {
            /// The field names of each part, in the order the parts are asked.
            fn fields_of_parts_asked() -> Vec<Vec<String>> {
                let parts = <$parts>::default();
                vec![$($crate::graphql::flat_root::field_names_of(&parts.$part)),+]
            }
        }
    };
}

pub(crate) use flat_root;

#[cfg(test)]
pub fn field_names_of<T: async_graphql::OutputType>(_: &T) -> Vec<String> {
    let mut registry = async_graphql::registry::Registry::default();
    match registry.create_fake_output_type::<T>() {
        async_graphql::registry::MetaType::Object { fields, .. } => fields.into_keys().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::field_names_of;
    use crate::graphql::{MutationRoot, QueryRoot};

    /// Asked in another order than the merged type lists them, the parts must still answer
    /// every field of the root, each in one part only.
    fn assert_each_field_in_one_part_asked(root: Vec<String>, parts: Vec<Vec<String>>) {
        let mut asked = parts.concat();
        let count = asked.len();
        asked.sort();
        asked.dedup();
        assert_eq!(asked.len(), count, "a field is in two parts: the order they are asked in would choose");
        let mut root = root;
        root.sort();
        assert_eq!(asked, root, "the parts asked answer exactly the root's fields");
    }

    #[test]
    fn every_field_of_each_root_is_answered_by_one_part_asked() {
        let query = field_names_of(&QueryRoot::default());
        assert!(query.contains(&"wizard".to_owned()) && query.contains(&"serverInfo".to_owned()), "{query:?}");
        assert_each_field_in_one_part_asked(query, QueryRoot::fields_of_parts_asked());
        let mutation = field_names_of(&MutationRoot::default());
        assert!(mutation.contains(&"saveNotificationSettings".to_owned()), "{mutation:?}");
        assert_each_field_in_one_part_asked(mutation, MutationRoot::fields_of_parts_asked());
    }
}
