//! Pairing a connection with the QuickBooks Web Connector: the password, the .qwc file, the
//! steps in the Web Connector, and the live state — waiting for the first call, then the
//! company it reached and when its lists were read.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::{self, ApiError};
use crate::operations::{
    Pairing as PairingQuery, QwcFile, SetWebConnectorPassword, pairing, qwc_file, set_web_connector_password,
};
use crate::ui::{Load, local_time, save_file, use_api_errors, view_load};

type Pairing = pairing::ResponseData;
type Connection = pairing::PairingConnection;

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
                    match api::request::<PairingQuery>(pairing::Variables { id: id.clone() }).await {
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
                if let Ok(found) = api::request::<PairingQuery>(pairing::Variables { id: id.clone() }).await {
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
                let answer = api::request::<SetWebConnectorPassword>(set_web_connector_password::Variables {
                    id: id.clone(),
                    password,
                })
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
                let answer = api::request::<QwcFile>(qwc_file::Variables { id: connection.id.clone() }).await;
                match answer {
                    Ok(answer) => {
                        let file_name = format!("{}.qwc", connection.name.replace(|c: char| !c.is_alphanumeric(), "-"));
                        if let Err(message) = save_file(&file_name, "application/xml", &answer.connection.qwc_file) {
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
