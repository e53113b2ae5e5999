//! Pairing a connection with the QuickBooks Web Connector: the password, the .qwc file, the
//! steps in the Web Connector, and the live state — waiting for the first call, then the
//! company it reached and when its lists were read.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::{self, ApiError};
use crate::ui::{Load, local_time, use_api_errors, view_load};

#[derive(Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Company {
    name: Option<String>,
    country: Option<String>,
    edition: Option<String>,
}

#[derive(Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Wizard {
    quickbooks_lists_read_at: Option<String>,
}

#[derive(Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Connection {
    id: String,
    name: String,
    web_connector_user_name: String,
    has_web_connector_password: bool,
    run_every_minutes: i64,
    company: Option<Company>,
    last_contact_at: Option<String>,
}

#[derive(Deserialize, Clone, PartialEq)]
struct Pairing {
    connection: Connection,
    wizard: Wizard,
}

const QUERY: &str = "query($c: ID!) { connection(id: $c) { id name webConnectorUserName hasWebConnectorPassword \
                     runEveryMinutes company { name country edition } lastContactAt } \
                     wizard(connectionId: $c) { quickbooksListsReadAt } }";

#[derive(Properties, PartialEq)]
pub struct PairingProps {
    pub id: String,
}

#[function_component(PairingPage)]
pub fn pairing_page(props: &PairingProps) -> Html {
    let pairing = use_state(|| Load::<Pairing>::Loading);
    let on_error = use_api_errors();
    // The state is read again every few seconds while the page is open: the Web Connector's
    // first call shows up without a reload.
    {
        let (pairing, on_error, id) = (pairing.clone(), on_error.clone(), props.id.clone());
        use_effect_with(props.id.clone(), move |_| {
            let open = Rc::new(Cell::new(true));
            let still_open = open.clone();
            wasm_bindgen_futures::spawn_local(async move {
                while still_open.get() {
                    match api::request::<Pairing>(QUERY, json!({ "c": id })).await {
                        Ok(found) => pairing.set(Load::Loaded(found)),
                        Err(err) => {
                            if let Some(message) = on_error.emit(err) {
                                pairing.set(Load::Failed(message));
                            }
                            return;
                        }
                    }
                    yew::platform::time::sleep(Duration::from_secs(2)).await;
                }
            });
            move || open.set(false)
        });
    }
    let reload = {
        let pairing = pairing.clone();
        let id = props.id.clone();
        Callback::from(move |_: ()| {
            let (pairing, id) = (pairing.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(found) = api::request::<Pairing>(QUERY, json!({ "c": id })).await {
                    pairing.set(Load::Loaded(found));
                }
            });
        })
    };
    html! {
        { view_load(&pairing, "the connection", |p| html! {
            <>
                <h1>{ format!("Pair \"{}\" with QuickBooks", p.connection.name) }</h1>
                <Status connection={p.connection.clone()} lists_read_at={p.wizard.quickbooks_lists_read_at.clone()} />
                <ol class="steps">
                    <li><PasswordStep connection={p.connection.clone()} on_saved={reload.clone()} /></li>
                    <li><QwcStep connection={p.connection.clone()} /></li>
                    <li>
                        <h2>{ "Add it to the Web Connector" }</h2>
                        <p>{ "On the computer with QuickBooks, open the company file as an administrator, then in the \
                              QuickBooks Web Connector:" }</p>
                        <ol>
                            <li>{ "Choose Add an application and open the .qwc file; allow access in QuickBooks when asked \
                                   (\"Yes, always\", even when QuickBooks is not running)." }</li>
                            <li>{ "Type the password from step 1 in the Password column for user " }
                                <code data-testid="wc-user">{ &p.connection.web_connector_user_name }</code>
                                { "; save it when asked." }</li>
                            <li>{ format!("Tick the box beside Ledgerbridge, set Auto-Run every {} minutes, and click Update Selected.",
                                          p.connection.run_every_minutes) }</li>
                        </ol>
                    </li>
                </ol>
            </>
        }) }
    }
}

#[derive(Properties, PartialEq)]
struct StatusProps {
    connection: Connection,
    lists_read_at: Option<String>,
}

#[function_component(Status)]
fn status(props: &StatusProps) -> Html {
    let c = &props.connection;
    match (&c.company, &c.last_contact_at) {
        (Some(company), Some(at)) => {
            let name = company.name.clone().unwrap_or_else(|| "your company file".to_owned());
            let details: Vec<String> =
                [company.country.clone(), company.edition.clone()].into_iter().flatten().collect();
            html! {
                <section class="status ok" data-testid="pairing-status" aria-live="polite">
                    <strong>{ format!("Connected to \"{name}\"") }</strong>
                    if !details.is_empty() { { format!(" ({})", details.join(", ")) } }
                    if props.lists_read_at.is_some() {
                        <p><Link<Route> to={Route::WizardStep { id: c.id.clone(), number: 1 }} classes="button primary">
                            { "Configure the sync" }</Link<Route>></p>
                    }
                    <p>{ format!("Last call {}.", local_time(at)) }
                        { match &props.lists_read_at {
                            Some(read) => format!(" Lists read at {}.", local_time(read)),
                            None => " Reading the company's lists…".to_owned(),
                        } }
                    </p>
                </section>
            }
        }
        _ => html! {
            <section class="status waiting" data-testid="pairing-status" aria-live="polite">
                <strong>{ "Waiting for the Web Connector's first call…" }</strong>
                <p>{ "Follow the three steps below; this page updates by itself." }</p>
            </section>
        },
    }
}

#[derive(Properties, PartialEq)]
struct PasswordProps {
    connection: Connection,
    on_saved: Callback<()>,
}

#[function_component(PasswordStep)]
fn password_step(props: &PasswordProps) -> Html {
    let input = use_node_ref();
    let error = use_state(|| None::<String>);
    let saved = use_state(|| false);
    let on_error = use_api_errors();
    let submit = {
        let (input, error, saved, on_saved) = (input.clone(), error.clone(), saved.clone(), props.on_saved.clone());
        let id = props.connection.id.clone();
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let password = input.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let (error, saved, on_saved, on_error, id) =
                (error.clone(), saved.clone(), on_saved.clone(), on_error.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::request::<serde_json::Value>(
                    "mutation($c: ID!, $p: String!) { setWebConnectorPassword(connectionId: $c, password: $p) { hasWebConnectorPassword } }",
                    json!({ "c": id, "p": password }),
                )
                .await;
                match answer {
                    Ok(_) => {
                        error.set(None);
                        saved.set(true);
                        on_saved.emit(());
                    }
                    Err(err @ ApiError::Validation(_)) => error.set(Some(err.message())),
                    Err(err) => error.set(on_error.emit(err)),
                }
            });
        })
    };
    html! {
        <form onsubmit={submit}>
            <h2>{ "Set the Web Connector password" }</h2>
            if props.connection.has_web_connector_password {
                <p class="done" data-testid="password-set">{ if *saved { "Saved. " } else { "A password is set. " } }
                    { "You can change it here; then type the new one in the Web Connector too." }</p>
            }
            <label for="wc-password">{ "Password" }</label>
            <input id="wc-password" type="password" autocomplete="new-password" ref={input} />
            if let Some(message) = &*error { <p class="field-error" role="alert">{ message }</p> }
            <button type="submit" data-testid="save-password">{ "Save password" }</button>
        </form>
    }
}

#[derive(Properties, PartialEq)]
struct QwcProps {
    connection: Connection,
}

#[function_component(QwcStep)]
fn qwc_step(props: &QwcProps) -> Html {
    let error = use_state(|| None::<String>);
    let on_error = use_api_errors();
    let download = {
        let error = error.clone();
        let connection = props.connection.clone();
        Callback::from(move |_: MouseEvent| {
            let (error, on_error, connection) = (error.clone(), on_error.clone(), connection.clone());
            wasm_bindgen_futures::spawn_local(async move {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Qwc {
                    qwc_file: String,
                }
                #[derive(Deserialize)]
                struct Answer {
                    connection: Qwc,
                }
                let answer = api::request::<Answer>(
                    "query($c: ID!) { connection(id: $c) { qwcFile } }",
                    json!({ "c": connection.id }),
                )
                .await;
                match answer {
                    Ok(answer) => {
                        let file_name = format!("{}.qwc", connection.name.replace(|c: char| !c.is_alphanumeric(), "-"));
                        if let Err(message) = save_file(&file_name, &answer.connection.qwc_file) {
                            error.set(Some(message));
                        } else {
                            error.set(None);
                        }
                    }
                    Err(err) => error.set(on_error.emit(err)),
                }
            });
        })
    };
    html! {
        <>
            <h2>{ "Download the .qwc file" }</h2>
            <p>{ "It tells the Web Connector where Ledgerbridge is and which user name to use." }</p>
            <button class="primary" onclick={download} data-testid="download-qwc">{ "Download .qwc file" }</button>
            if let Some(message) = &*error { <p class="field-error" role="alert">{ message }</p> }
        </>
    }
}

/// Hands `text` to the browser as a downloaded file.
fn save_file(name: &str, text: &str) -> Result<(), String> {
    let fail = |_| "The browser refused the download.".to_owned();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/xml");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let document = web_sys::window().and_then(|w| w.document()).ok_or("No document.")?;
    let link: web_sys::HtmlAnchorElement =
        document.create_element("a").map_err(fail)?.dyn_into().map_err(|_| "No link element.".to_owned())?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    let _ = web_sys::Url::revoke_object_url(&url);
    Ok(())
}
