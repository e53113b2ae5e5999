//! The configuration wizard: seven steps with a step indicator, Back and Next, the
//! Frequently Asked Questions beside each step, drop-downs filled from the company's real
//! QuickBooks lists, and the API's validation errors beside their fields. The last step's
//! button is "Submit Form", which completes set-up. Nothing is locked in: every step can be
//! reopened and saved again.

use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Value, json};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;
use yew_router::prelude::*;

use super::wizard_steps::{Field, Kind, STEPS, Step, selection};
use crate::Route;
use crate::api::{self, ApiError};
use crate::ui::{Load, use_api_errors, view_load};

#[derive(Deserialize, Clone, PartialEq)]
struct Faq {
    question: String,
    answer: String,
}

#[derive(Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct StepState {
    step: String,
    number: i32,
    title: String,
    saved: bool,
    faq: Vec<Faq>,
}

#[derive(Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct WizardState {
    steps: Vec<StepState>,
    quickbooks_lists_read_at: Option<String>,
    quickbooks_lists_message: Option<String>,
}

/// Everything one step's page needs.
#[derive(Clone, PartialEq)]
struct Page {
    wizard: WizardState,
    /// The step's saved settings, or null.
    saved: Value,
    /// For each QuickBooks field, the names to choose from.
    choices: HashMap<&'static str, Vec<String>>,
}

fn step_query(step: &Step) -> String {
    let mut lists = String::new();
    for field in step.fields {
        if let Kind::Quickbooks(kind, types) = field.kind {
            let types =
                if types.is_empty() { String::new() } else { format!(", accountTypes: [{}]", types.join(", ")) };
            lists.push_str(&format!(
                " {}: entries(kind: {kind}{types}, first: 500) {{ edges {{ node {{ fullName }} }} }}",
                field.name
            ));
        }
    }
    let lists =
        if lists.is_empty() { String::new() } else { format!("quickbooksLists(connectionId: $c) {{{lists} }}") };
    format!(
        "query($c: ID!) {{ wizard(connectionId: $c) {{ steps {{ step number title saved faq {{ question answer }} }} \
         quickbooksListsReadAt quickbooksListsMessage }} settings(connectionId: $c) {{ {key} {{ {fields} }} }} {lists} }}",
        key = step.settings_key,
        fields = selection(step)
    )
}

async fn load_page(id: &str, step: &Step) -> Result<Page, ApiError> {
    let data: Value = api::request(&step_query(step), json!({ "c": id })).await?;
    let wizard: WizardState = serde_json::from_value(data["wizard"].clone())
        .map_err(|err| ApiError::Other(format!("The wizard could not be read ({err}).")))?;
    let mut choices = HashMap::new();
    for field in step.fields {
        if let Kind::Quickbooks(..) = field.kind {
            let names = data["quickbooksLists"][field.name]["edges"]
                .as_array()
                .map(|edges| edges.iter().filter_map(|e| e["node"]["fullName"].as_str().map(str::to_owned)).collect())
                .unwrap_or_default();
            choices.insert(field.name, names);
        }
    }
    Ok(Page { wizard, saved: data["settings"][step.settings_key].clone(), choices })
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
                let mutation = format!(
                    "mutation($c: ID!, $i: {}!) {{ {}(connectionId: $c, input: $i) {{ __typename }} }}",
                    step.input_type, step.mutation
                );
                let mut result = api::request::<Value>(&mutation, json!({ "c": id, "i": input })).await.map(|_| ());
                if result.is_ok() && last {
                    result = api::request::<Value>(
                        "mutation($c: ID!) { completeSetup(connectionId: $c) { setupCompletedAt } }",
                        json!({ "c": id }),
                    )
                    .await
                    .map(|_| ());
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
                let _ = api::request::<Value>(
                    "mutation($c: ID!) { refreshQuickbooksLists(connectionId: $c) { id } }",
                    json!({ "c": id }),
                )
                .await;
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
            let state = found.wizard.steps.iter().find(|s| s.step == step.kind);
            let title = state.map(|s| s.title.clone()).unwrap_or_default();
            html! {
                <div class="wizard">
                    <ol class="step-indicator" aria-label="Set-up steps">
                        { for found.wizard.steps.iter().map(|s| {
                            let current = s.step == step.kind;
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
    let queued = use_state(|| None::<String>);
    let on_error = use_api_errors();
    let sync_now = {
        let (queued, on_error, id) = (queued.clone(), on_error.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let (queued, on_error, id) = (queued.clone(), on_error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Queued {
                    sync_now: i64,
                }
                match api::request::<Queued>("mutation($c: ID!) { syncNow(connectionId: $c) }", json!({ "c": id }))
                    .await
                {
                    Ok(q) => queued.set(Some(format!(
                        "{} order{} queued: waiting for the Web Connector's next run.",
                        q.sync_now,
                        if q.sync_now == 1 { "" } else { "s" }
                    ))),
                    Err(err) => queued.set(on_error.emit(err)),
                }
            });
        })
    };
    html! {
        <section class="card">
            <h1>{ "Set up complete" }</h1>
            <p>{ "Orders now flow into QuickBooks on every Web Connector run. Every setting stays editable." }</p>
            <div class="actions">
                <button class="primary" onclick={sync_now} data-testid="sync-now">{ "Sync Now" }</button>
                <Link<Route> to={Route::WizardStep { id: props.id.clone(), number: 1 }} classes="button">{ "Review settings" }</Link<Route>>
            </div>
            if let Some(message) = &*queued { <p class="done" role="status">{ message.clone() }</p> }
        </section>
    }
}
