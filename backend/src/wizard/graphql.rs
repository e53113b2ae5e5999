//! The wizard over GraphQL: one mutation per step, the wizard's progress with each step's
//! FAQ, the sales tax mapping table, and `completeSetup`.

use async_graphql::{ComplexObject, Context, ID, InputObject, Object, OutputType, SimpleObject};
use chrono::{DateTime, Utc};

use super::customer_names::describe as describe_customers;
use super::faq;
use super::sales_tax::MappingRow;
use super::service::{self, WizardState};
use super::steps::*;
use crate::entities::sales_tax_mapping;
use crate::graphql::{ApiResult, app, caller, parse_id};
use crate::quickbooks_lists::service::LISTS_NOT_READ;

#[derive(SimpleObject)]
pub struct Faq {
    pub question: String,
    pub answer: String,
}

#[derive(SimpleObject)]
pub struct WizardStep {
    pub step: WizardStepKind,
    /// 1 to 7.
    pub number: i32,
    pub title: String,
    pub saved: bool,
    pub saved_at: Option<DateTime<Utc>>,
    /// Whether this step's choices come from the company's QuickBooks lists.
    pub needs_quickbooks_lists: bool,
    /// What the saved settings mean, in plain words (how numbers and names are formed).
    pub summary: Option<String>,
    pub faq: Vec<Faq>,
}

#[derive(SimpleObject)]
pub struct Wizard {
    pub connection_id: ID,
    pub steps: Vec<WizardStep>,
    /// The first step not saved yet; null when all are saved.
    pub current_step: Option<WizardStepKind>,
    pub progress_percent: i32,
    /// Set once `completeSetup` succeeded; settings stay editable after.
    pub setup_completed_at: Option<DateTime<Utc>>,
    /// When the QuickBooks lists were last read; null until the first Web Connector run.
    pub quickbooks_lists_read_at: Option<DateTime<Utc>>,
    /// Said plainly while the lists have not been read.
    pub quickbooks_lists_message: Option<String>,
    /// What the Accounts step suggests, from the company's chart of accounts.
    pub account_suggestions: AccountSuggestions,
}

fn summary(state: &WizardState, step: WizardStepKind) -> Option<String> {
    let s = &state.settings;
    match step {
        WizardStepKind::SyncDirection => s.sync_direction.as_ref().map(|d| {
            let direction = match d.direction {
                SyncDirection::ToQuickbooks => "Store orders go into QuickBooks",
                SyncDirection::FromQuickbooks => "QuickBooks sales come out to the store side",
            };
            let inventory = if d.sync_inventory { "; quantities on hand go back to the stores" } else { "" };
            format!("{direction}{inventory}.")
        }),
        WizardStepKind::Orders => {
            s.orders.as_ref().map(|o| format!("Orders become {}. {}", o.transaction_type.label(), o.numbering_rule()))
        }
        WizardStepKind::Customers => s.customers.as_ref().map(|c| describe_customers(c.matching, c.single_customer())),
        WizardStepKind::SalesTax => s.sales_tax.as_ref().map(|t| match t.mode {
            SalesTaxMode::LineItem => format!("Tax is one line with \"{}\".", t.tax_item.as_deref().unwrap_or("?")),
            SalesTaxMode::TaxCodeMapping => {
                "Each order gets the tax code of its shipping city, else county, else state.".to_owned()
            }
        }),
        WizardStepKind::Accounts | WizardStepKind::Products | WizardStepKind::Notifications => None,
    }
}

impl From<WizardState> for Wizard {
    fn from(state: WizardState) -> Self {
        let steps = WizardStepKind::ALL
            .into_iter()
            .map(|step| WizardStep {
                step,
                number: step.number(),
                title: step.title().to_owned(),
                saved: state.settings.is_saved(step),
                saved_at: state.saved_at.get(&step).copied(),
                needs_quickbooks_lists: step.needs_quickbooks_lists(),
                summary: summary(&state, step),
                faq: faq::for_step(step)
                    .iter()
                    .map(|(q, a)| Faq { question: (*q).to_owned(), answer: (*a).to_owned() })
                    .collect(),
            })
            .collect();
        Self {
            connection_id: ID(state.connection_id.to_string()),
            current_step: state.current_step(),
            progress_percent: state.progress_percent(),
            setup_completed_at: state.setup_completed_at,
            quickbooks_lists_read_at: state.lists_read_at,
            quickbooks_lists_message: state.lists_read_at.is_none().then(|| LISTS_NOT_READ.to_owned()),
            account_suggestions: state.account_suggestions,
            steps,
        }
    }
}

/// What a step's save mutation returns: the settings as saved (names spelled as QuickBooks
/// spells them) and the wizard's progress.
#[derive(SimpleObject)]
#[graphql(complex)]
#[graphql(concrete(name = "SyncDirectionPayload", params(SyncDirectionSettings)))]
#[graphql(concrete(name = "OrderSettingsPayload", params(OrderSettings)))]
#[graphql(concrete(name = "CustomerSettingsPayload", params(CustomerSettings)))]
#[graphql(concrete(name = "AccountSettingsPayload", params(AccountSettings)))]
#[graphql(concrete(name = "SalesTaxSettingsPayload", params(SalesTaxSettings)))]
#[graphql(concrete(name = "ProductSettingsPayload", params(ProductSettings)))]
#[graphql(concrete(name = "NotificationSettingsPayload", params(NotificationSettings)))]
pub struct StepPayload<T: OutputType> {
    pub saved: T,
    #[graphql(skip)]
    pub connection_id: uuid::Uuid,
}

#[ComplexObject]
impl<T: OutputType> StepPayload<T> {
    /// The wizard's progress after this save.
    // Read only when asked for: a script saving settings often wants just `saved`. The read
    // and its answer are boxed: a payload field's future holds this resolver's whole state,
    // and unboxed they made resolving `saved` allocate 1.2 KB rather than under 1 KB, past
    // the allocator's per-thread cache (see `crate::graphql::flat_root`).
    async fn wizard(&self, ctx: &Context<'_>) -> ApiResult<Box<Wizard>> {
        let state = Box::pin(service::state_for(&app(ctx).db, &caller(ctx)?, self.connection_id)).await?;
        Ok(Box::new(state.into()))
    }
}

impl<T: OutputType> From<(T, uuid::Uuid)> for StepPayload<T> {
    fn from((saved, connection_id): (T, uuid::Uuid)) -> Self {
        Self { saved, connection_id }
    }
}

#[derive(SimpleObject)]
pub struct SalesTaxMapping {
    pub id: ID,
    /// Two-letter country code.
    pub country: String,
    /// State or province code.
    pub region: String,
    /// Empty for a rule covering the whole region.
    pub county: String,
    /// Empty for a county-wide or region-wide rule.
    pub city: String,
    pub tax_code: String,
}

impl From<sales_tax_mapping::Model> for SalesTaxMapping {
    fn from(m: sales_tax_mapping::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            country: m.country,
            region: m.region,
            county: m.county,
            city: m.city,
            tax_code: m.tax_code,
        }
    }
}

fn mapping_list(rows: Vec<sales_tax_mapping::Model>) -> Vec<SalesTaxMapping> {
    rows.into_iter().map(Into::into).collect()
}

#[derive(InputObject)]
pub struct SalesTaxMappingInput {
    pub country: String,
    pub region: String,
    pub county: Option<String>,
    pub city: Option<String>,
    pub tax_code: String,
}

#[derive(Default)]
pub struct WizardQuery;

#[Object]
impl WizardQuery {
    /// The wizard's steps, progress and FAQs for a connection.
    async fn wizard(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Wizard> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::state_for(&app(ctx).db, &caller(ctx)?, id).await?.into())
    }

    /// Every step's saved settings.
    async fn settings(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Settings> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::state_for(&app(ctx).db, &caller(ctx)?, id).await?.settings)
    }

    /// The sales tax mapping table (step 5).
    async fn sales_tax_mappings(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Vec<SalesTaxMapping>> {
        let id = parse_id(&connection_id, "connection")?;
        Ok(mapping_list(service::mappings_for(&app(ctx).db, &caller(ctx)?, id).await?))
    }
}

/// Each save allocates room for this part's largest resolver (see `crate::graphql::flat_root`):
/// the saves sent most are lean, and every resolver that reads much (QuickBooks lists, the
/// whole wizard, a mapping table) boxes its work, so that none makes the others' room larger.
#[derive(Default)]
pub struct WizardMutation;

#[Object]
impl WizardMutation {
    /// Step 1.
    async fn save_sync_direction(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: SyncDirectionSettings,
    ) -> ApiResult<StepPayload<SyncDirectionSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::save_sync_direction(&app.db, &app.step_writer, &app.connection_owners, &caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Step 2.
    async fn save_order_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: OrderSettings,
    ) -> ApiResult<StepPayload<OrderSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(Box::pin(service::save_orders(&app.db, &app.step_writer, &caller(ctx)?, id, input)).await?.into())
    }

    /// Step 3.
    async fn save_customer_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: CustomerSettings,
    ) -> ApiResult<StepPayload<CustomerSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::save_customers(&app.db, &app.step_writer, &app.connection_owners, &caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Step 4.
    async fn save_account_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: AccountSettings,
    ) -> ApiResult<StepPayload<AccountSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(Box::pin(service::save_accounts(&app.db, &app.step_writer, &caller(ctx)?, id, input)).await?.into())
    }

    /// Step 5 (the mapping table has its own mutations).
    async fn save_sales_tax_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: SalesTaxSettings,
    ) -> ApiResult<StepPayload<SalesTaxSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(Box::pin(service::save_sales_tax(&app.db, &app.step_writer, &caller(ctx)?, id, input)).await?.into())
    }

    /// Step 6.
    async fn save_product_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: ProductSettings,
    ) -> ApiResult<StepPayload<ProductSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(Box::pin(service::save_products(&app.db, &app.step_writer, &caller(ctx)?, id, input)).await?.into())
    }

    /// Step 7.
    async fn save_notification_settings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: NotificationSettings,
    ) -> ApiResult<StepPayload<NotificationSettings>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(service::save_notifications(&app.db, &app.step_writer, &app.connection_owners, &caller(ctx)?, id, input)
            .await?
            .into())
    }

    /// Finishes set-up; fails with VALIDATION naming every step or rule still missing.
    async fn complete_setup(&self, ctx: &Context<'_>, connection_id: ID) -> ApiResult<Wizard> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(Box::pin(service::complete_setup(&app.db, &app.log_bus, &caller(ctx)?, id)).await?.into())
    }

    /// Adds one sales tax mapping (replacing the one for the same place); returns the table.
    async fn add_sales_tax_mapping(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        input: SalesTaxMappingInput,
    ) -> ApiResult<Vec<SalesTaxMapping>> {
        let id = parse_id(&connection_id, "connection")?;
        let row = MappingRow::normalized(
            &input.country,
            &input.region,
            input.county.as_deref().unwrap_or(""),
            input.city.as_deref().unwrap_or(""),
            &input.tax_code,
        );
        Ok(mapping_list(Box::pin(service::add_mapping(&app(ctx).db, &caller(ctx)?, id, row)).await?))
    }

    /// Removes one sales tax mapping; returns the table.
    async fn remove_sales_tax_mapping(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Vec<SalesTaxMapping>> {
        let id = parse_id(&id, "sales tax mapping")?;
        Ok(mapping_list(Box::pin(service::remove_mapping(&app(ctx).db, &caller(ctx)?, id)).await?))
    }

    /// Imports mappings from CSV text (`City,Region,Country,TaxCode,County`), all or nothing.
    /// With `replace`, the table is replaced; otherwise rows are added or update their place.
    async fn import_sales_tax_mappings(
        &self,
        ctx: &Context<'_>,
        connection_id: ID,
        csv: String,
        #[graphql(default = false)] replace: bool,
    ) -> ApiResult<Vec<SalesTaxMapping>> {
        let app = app(ctx);
        let id = parse_id(&connection_id, "connection")?;
        Ok(mapping_list(
            Box::pin(service::import_mappings(&app.db, &app.log_bus, &caller(ctx)?, id, &csv, replace)).await?,
        ))
    }
}
