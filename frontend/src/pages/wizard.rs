//! The configuration wizard: seven steps with a step indicator, Back and Next, the
//! Frequently Asked Questions beside each step, drop-downs filled from the company's real
//! QuickBooks lists, and the API's validation errors beside their fields. The last step's
//! button is "Submit Form", which completes set-up. Nothing is locked in: every step can be
//! reopened and saved again.

use std::collections::HashMap;

use graphql_client::GraphQLQuery;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use super::sales_tax::SalesTaxTable;
use super::sync_now::SyncNowForm;
use super::wizard_steps::{Field, Kind, STEPS, Step};
use crate::Route;
use crate::api::{self, ApiError};
use crate::operations::{
    CompleteSetup, RefreshQuickbooksLists, SaveAccountSettings, SaveCustomerSettings, SaveNotificationSettings,
    SaveOrderSettings, SaveProductSettings, SaveSalesTaxSettings, SaveSyncDirection, WizardPage as WizardPageQuery,
    complete_setup, refresh_quickbooks_lists, wizard_page,
};
use crate::ui::{Load, enum_name, use_api_errors, view_load};

type WizardState = wizard_page::WizardPageWizard;

/// Everything one step's page needs.
#[derive(Clone, PartialEq)]
struct Page {
    wizard: WizardState,
    /// The step's saved settings, or null.
    saved: Value,
    /// For each QuickBooks field, the names to choose from.
    choices: HashMap<&'static str, Vec<String>>,
    /// What a sales tax mapping row can point at: codes, tax items and groups.
    tax_targets: Vec<String>,
}

fn not_understood(err: serde_json::Error) -> ApiError {
    ApiError::Other(format!("The wizard could not be read ({err})."))
}

async fn load_page(id: &str, step: &Step) -> Result<Page, ApiError> {
    let data = api::request::<WizardPageQuery>(wizard_page::Variables { id: id.to_owned() }).await?;
    let settings = serde_json::to_value(&data.settings).map_err(not_understood)?;
    let lists = &data.quickbooks_lists;
    let names = |list: &wizard_page::Names| list.edges.iter().map(|e| e.node.full_name.clone()).collect::<Vec<_>>();
    let mut choices = HashMap::new();
    for field in step.fields {
        if let Kind::Quickbooks(kind, types) = field.kind {
            let offered = match kind {
                "ACCOUNT" => lists
                    .accounts
                    .edges
                    .iter()
                    .filter(|e| {
                        types.is_empty()
                            || e.node.account_type.as_ref().is_some_and(|t| types.contains(&enum_name(t).as_str()))
                    })
                    .map(|e| e.node.full_name.clone())
                    .collect(),
                "CLASS" => names(&lists.classes),
                "TERMS" => names(&lists.terms),
                "SALES_TAX_ITEM" => names(&lists.tax_items),
                "SALES_TAX_CODE" => names(&lists.tax_codes),
                _ => Vec::new(),
            };
            choices.insert(field.name, offered);
        }
    }
    let mut tax_targets = names(&lists.tax_codes);
    tax_targets.extend(names(&lists.tax_items));
    tax_targets.extend(names(&lists.tax_groups));
    Ok(Page { wizard: data.wizard, saved: settings[step.settings_key].clone(), choices, tax_targets })
}

/// Saves a step with its own typed mutation; the form's values are read into its input type.
async fn save(step: &Step, id: &str, input: Value) -> Result<(), ApiError> {
    async fn send<Q: GraphQLQuery>(variables: Value) -> Result<(), ApiError>
    where
        Q::Variables: DeserializeOwned,
    {
        let variables = serde_json::from_value(variables)
            .map_err(|err| ApiError::Other(format!("The form could not be sent ({err}).")))?;
        api::request::<Q>(variables).await.map(|_| ())
    }
    let variables = json!({ "id": id, "input": input });
    match step.kind {
        "SYNC_DIRECTION" => send::<SaveSyncDirection>(variables).await,
        "ORDERS" => send::<SaveOrderSettings>(variables).await,
        "CUSTOMERS" => send::<SaveCustomerSettings>(variables).await,
        "ACCOUNTS" => send::<SaveAccountSettings>(variables).await,
        "SALES_TAX" => send::<SaveSalesTaxSettings>(variables).await,
        "PRODUCTS" => send::<SaveProductSettings>(variables).await,
        _ => send::<SaveNotificationSettings>(variables).await,
    }
}

/// What the form holds for a field, as text ("true"/"false" for yes/no).
fn initial(field: &Field, saved: &Value) -> String {
    match (&saved[field.name], field.kind) {
        (Value::Bool(b), _) => b.to_string(),
        (Value::String(s), _) => s.clone(),
        (Value::Array(words), _) => words.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "),
        (_, Kind::Choice(options)) if field.required => options[0].0.to_owned(),
        (_, Kind::Yes) => "false".to_owned(),
        _ => String::new(),
    }
}

/// The mutation's input from the form.
fn input_of(step: &Step, values: &HashMap<&'static str, String>) -> Value {
    let mut input = serde_json::Map::new();
    for field in step.fields {
        let text = values.get(field.name).cloned().unwrap_or_default();
        let value = match field.kind {
            Kind::Yes => Value::Bool(text == "true"),
            Kind::Words => Value::Array(
                text.split(',').map(str::trim).filter(|w| !w.is_empty()).map(|w| Value::String(w.to_owned())).collect(),
            ),
            _ if text.trim().is_empty() && !field.required => Value::Null,
            _ => Value::String(text),
        };
        input.insert(field.name.to_owned(), value);
    }
    Value::Object(input)
}

#[derive(Properties, PartialEq)]
pub struct WizardProps {
    pub id: String,
    /// 1 to 7.
    pub number: usize,
}

#[function_component(WizardPage)]
pub fn wizard_page(props: &WizardProps) -> Html {
    let index = props.number.clamp(1, STEPS.len()) - 1;
    let step = STEPS[index];
    let page = use_state(|| Load::<Page>::Loading);
    let values = use_state(HashMap::<&'static str, String>::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let on_error = use_api_errors();
    let navigator = use_navigator();
    {
        let (page, values, error, on_error, id) =
            (page.clone(), values.clone(), error.clone(), on_error.clone(), props.id.clone());
        use_effect_with((props.id.clone(), index), move |_| {
            page.set(Load::Loading);
            error.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                match load_page(&id, &step).await {
                    Ok(found) => {
                        values.set(step.fields.iter().map(|f| (f.name, initial(f, &found.saved))).collect());
                        page.set(Load::Loaded(found));
                    }
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            page.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    let set_value = {
        let values = values.clone();
        move |name: &'static str, value: String| {
            let mut next = (*values).clone();
            next.insert(name, value);
            values.set(next);
        }
    };
    let last = index + 1 == STEPS.len();
    let submit = {
        let (values, error, busy, navigator, on_error, id) =
            (values.clone(), error.clone(), busy.clone(), navigator.clone(), on_error.clone(), props.id.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let input = input_of(&step, &values);
            let (error, busy, navigator, on_error, id) =
                (error.clone(), busy.clone(), navigator.clone(), on_error.clone(), id.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let mut result = save(&step, &id, input).await;
                if result.is_ok() && last {
                    result =
                        api::request::<CompleteSetup>(complete_setup::Variables { id: id.clone() }).await.map(|_| ());
                }
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        let next = if last {
                            Route::SetupComplete { id }
                        } else {
                            Route::WizardStep { id, number: index + 2 }
                        };
                        if let Some(navigator) = navigator {
                            navigator.push(&next);
                        }
                    }
                    Err(err @ ApiError::Validation(_)) => error.set(Some(err)),
                    Err(err) => error.set(on_error.emit(err).map(ApiError::Other)),
                }
            });
        })
    };
    let refresh = {
        let (id, page) = (props.id.clone(), page.clone());
        Callback::from(move |_: MouseEvent| {
            let (id, page) = (id.clone(), page.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let _ = api::request::<RefreshQuickbooksLists>(refresh_quickbooks_lists::Variables { id }).await;
                if let Load::Loaded(mut found) = (*page).clone() {
                    found.wizard.quickbooks_lists_message =
                        Some("The lists are read again on the Web Connector's next run.".to_owned());
                    page.set(Load::Loaded(found));
                }
            });
        })
    };
    let id = props.id.clone();
    html! {
        { view_load(&page, "the wizard", |found| {
            let state = found.wizard.steps.iter().find(|s| enum_name(&s.step) == step.kind);
            let title = state.map(|s| s.title.clone()).unwrap_or_default();
            html! {
                <div class="wizard">
                    <ol class="step-indicator" aria-label="Set-up steps">
                        { for found.wizard.steps.iter().map(|s| {
                            let current = enum_name(&s.step) == step.kind;
                            let class = classes!(current.then_some("current"), s.saved.then_some("saved"));
                            html! {
                                <li {class} aria-current={ current.then_some("step") }>
                                    <Link<Route> to={Route::WizardStep { id: id.clone(), number: s.number as usize }}>
                                        { format!("{}. {}", s.number, s.title) }
                                    </Link<Route>>
                                </li>
                            }
                        }) }
                    </ol>
                    <div class="wizard-body">
                        <div class="wizard-main">
                        <form class="card" onsubmit={submit.clone()} novalidate=true>
                            <h1>{ format!("Step {} of 7: {title}", index + 1) }</h1>
                            if step.fields.iter().any(|f| matches!(f.kind, Kind::Quickbooks(..))) {
                                <div class="lists-note">
                                    { match (&found.wizard.quickbooks_lists_read_at, &found.wizard.quickbooks_lists_message) {
                                        (_, Some(message)) => html! { <p class="hint">{ message.clone() }</p> },
                                        (Some(at), None) => html! { <p class="hint">{ format!("Choices come from your QuickBooks company, read {}.", crate::ui::local_time(at)) }</p> },
                                        (None, None) => html! { <p class="error">{ "Your QuickBooks lists have not been read yet: run the Web Connector once." }</p> },
                                    } }
                                    <button type="button" class="link" onclick={refresh.clone()}>{ "Refresh lists" }</button>
                                </div>
                            }
                            { for step.fields.iter().map(|field| view_field(field, &values, &found.choices, (*error).as_ref(), set_value.clone())) }
                            if let Some(err) = &*error {
                                if !matches!(err, ApiError::Validation(_)) || err.field("input").is_some() {
                                    <div class="error" role="alert">{ err.message() }</div>
                                }
                            }
                            <div class="wizard-buttons">
                                if index > 0 {
                                    <Link<Route> to={Route::WizardStep { id: id.clone(), number: index }} classes="button">{ "Back" }</Link<Route>>
                                }
                                <button type="submit" class="primary" disabled={*busy}>
                                    { if last { "Submit Form" } else { "Next" } }
                                </button>
                            </div>
                        </form>
                        if step.kind == "SALES_TAX" {
                            <SalesTaxTable id={id.clone()} targets={found.tax_targets.clone()} />
                        }
                        </div>
                        <aside class="faq card" aria-label="Frequently Asked Questions">
                            <h2>{ "Frequently Asked Questions" }</h2>
                            { for state.map(|s| s.faq.clone()).unwrap_or_default().into_iter().map(|f| html! {
                                <details><summary>{ f.question }</summary><p>{ f.answer }</p></details>
                            }) }
                        </aside>
                    </div>
                </div>
            }
        }) }
    }
}

fn view_field(
    field: &Field,
    values: &UseStateHandle<HashMap<&'static str, String>>,
    choices: &HashMap<&'static str, Vec<String>>,
    error: Option<&ApiError>,
    set: impl Fn(&'static str, String) + Clone + 'static,
) -> Html {
    let name = field.name;
    let id = format!("field-{name}");
    let value = values.get(name).cloned().unwrap_or_default();
    let problem = error.and_then(|e| e.field(&format!("input.{name}")));
    let on_select = {
        let set = set.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                set(name, select.value());
            }
        })
    };
    let on_input = {
        let set = set.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                set(name, input.value());
            }
        })
    };
    let on_check = Callback::from(move |event: Event| {
        if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
            set(name, input.checked().to_string());
        }
    });
    let control = match field.kind {
        Kind::Choice(options) => html! {
            <select id={id.clone()} name={name} onchange={on_select}>
                if !field.required { <option value="" selected={value.is_empty()}>{ "—" }</option> }
                { for options.iter().map(|(v, label)| html! { <option value={*v} selected={value == *v}>{ *label }</option> }) }
            </select>
        },
        Kind::Quickbooks(..) => {
            let names = choices.get(name).cloned().unwrap_or_default();
            html! {
                <select id={id.clone()} name={name} onchange={on_select}>
                    <option value="" selected={value.is_empty()}>{ if field.required { "Choose…" } else { "None" } }</option>
                    { for names.iter().map(|n| html! { <option value={n.clone()} selected={value == *n}>{ n.clone() }</option> }) }
                </select>
            }
        }
        Kind::Yes => html! {
            <input id={id.clone()} name={name} type="checkbox" class="checkbox" checked={value == "true"} onchange={on_check} />
        },
        Kind::Text | Kind::Words => html! {
            <input id={id.clone()} name={name} type="text" value={value} oninput={on_input} />
        },
    };
    html! {
        <div class={classes!("field", matches!(field.kind, Kind::Yes).then_some("inline"))}>
            <label for={id}>{ field.label }</label>
            { control }
            if let Some(message) = problem { <p class="field-error" role="alert">{ message }</p> }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SetupCompleteProps {
    pub id: String,
}

/// After the last step: what the merchant can do next.
#[function_component(SetupCompletePage)]
pub fn setup_complete_page(props: &SetupCompleteProps) -> Html {
    let id = props.id.clone();
    html! {
        <section class="card">
            <h1>{ "Set up complete" }</h1>
            <p>{ "Orders now flow into QuickBooks on every Web Connector run. Every setting stays editable." }</p>
            <div class="actions">
                <Link<Route> to={Route::Log { id: id.clone() }} classes="button primary">{ "View transaction log" }</Link<Route>>
                <Link<Route> to={Route::Dashboard { id: id.clone() }} classes="button">{ "My Dashboard" }</Link<Route>>
            </div>
            <h2 class="spaced">{ "Sync Now" }</h2>
            <SyncNowForm {id} />
        </section>
    }
}
