//! What every page shares: the frame with its header, one way to show loading and errors,
//! dates in the merchant's locale, and the jump back to log-in that keeps the page.

use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::ApiError;
use crate::operations::{LogOut, log_out};

/// Something read from the server.
#[derive(Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Loaded(T),
    Failed(String),
}

/// The same loading and error states on every page.
pub fn view_load<T>(load: &Load<T>, what: &str, view: impl FnOnce(&T) -> Html) -> Html {
    match load {
        Load::Loading => html! { <p class="loading" aria-busy="true">{ format!("Loading {what}…") }</p> },
        Load::Failed(message) => html! {
            <div class="error" role="alert"><strong>{ format!("Could not load {what}. ") }</strong>{ message }</div>
        },
        Load::Loaded(value) => view(value),
    }
}

/// Where log-in sends the merchant back to.
#[derive(Serialize, Deserialize, Clone, PartialEq, Default)]
pub struct Next {
    pub next: Option<String>,
}

/// A callback that, for an ended session, goes to log-in remembering this page; for any other
/// error hands the message to `on_other`.
#[hook]
pub fn use_api_errors() -> Callback<ApiError, Option<String>> {
    let navigator = use_navigator();
    let location = use_location();
    Callback::from(move |error: ApiError| match error {
        ApiError::Unauthenticated => {
            crate::session::clear();
            let next = location.as_ref().map(|l| l.path().to_owned());
            if let Some(navigator) = &navigator {
                let _ = navigator.push_with_query(&Route::LogIn, &Next { next });
            }
            None
        }
        other => Some(other.message()),
    })
}

/// A GraphQL enum value as the API writes it (`ORDER_SYNCED`), from its generated type.
pub fn enum_name<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default()
}

/// A whole number as the merchant's browser writes it (`1,234` or `1 234`).
pub fn local_number(n: i64) -> String {
    js_sys::Number::from(n as f64).to_locale_string("default").into()
}

/// A day (`YYYY-MM-DD`) written short, as the merchant's browser writes dates (`Nov 27`).
pub fn local_day(day: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{day}T12:00:00Z")));
    if date.get_time().is_nan() {
        return day.to_owned();
    }
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"month".into(), &"short".into());
    let _ = js_sys::Reflect::set(&options, &"day".into(), &"numeric".into());
    date.to_locale_date_string("default", &options).into()
}

/// Hands `text` to the browser as a downloaded file.
pub fn save_file(name: &str, mime: &str, text: &str) -> Result<(), String> {
    use wasm_bindgen::JsCast;
    let fail = |_| "The browser refused the download.".to_owned();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
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

/// Which of a connection's pages is open.
#[derive(Clone, Copy, PartialEq)]
pub enum Tab {
    Dashboard,
    Log,
    Settings,
    Pairing,
}

#[derive(Properties, PartialEq)]
pub struct ConnectionNavProps {
    pub id: String,
    pub current: Tab,
}

/// The tabs of a connection's pages.
#[function_component(ConnectionNav)]
pub fn connection_nav(props: &ConnectionNavProps) -> Html {
    let id = props.id.clone();
    let tab = |tab: Tab, route: Route, label: &'static str| {
        let current = props.current == tab;
        html! {
            <Link<Route> to={route} classes={classes!("tab", current.then_some("current"))}>{ label }</Link<Route>>
        }
    };
    html! {
        <nav class="tabs" aria-label="This connection">
            { tab(Tab::Dashboard, Route::Dashboard { id: id.clone() }, "Dashboard") }
            { tab(Tab::Log, Route::Log { id: id.clone() }, "Transaction log") }
            { tab(Tab::Settings, Route::WizardStep { id: id.clone(), number: 1 }, "Settings") }
            { tab(Tab::Pairing, Route::Connection { id }, "Web Connector") }
        </nav>
    }
}

/// A date and time as the merchant's browser writes them.
pub fn local_time(iso: &str) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso));
    if date.get_time().is_nan() {
        return iso.to_owned();
    }
    date.to_locale_string("default", &wasm_bindgen::JsValue::UNDEFINED).into()
}

#[derive(Properties, PartialEq)]
pub struct LayoutProps {
    pub children: Html,
}

/// The frame of every logged-in page.
#[function_component(Layout)]
pub fn layout(props: &LayoutProps) -> Html {
    let navigator = use_navigator();
    let log_out = Callback::from(move |_| {
        if let Some(session) = crate::session::load() {
            wasm_bindgen_futures::spawn_local(async move {
                let variables = log_out::Variables { refresh_token: session.refresh_token };
                let _ = crate::api::anonymous::<LogOut>(variables).await;
            });
        }
        crate::session::clear();
        if let Some(navigator) = &navigator {
            navigator.push(&Route::LogIn);
        }
    });
    html! {
        <>
            <header class="top">
                <Link<Route> to={Route::Connections} classes="brand">{ "Ledgerbridge" }</Link<Route>>
                <nav>
                    <Link<Route> to={Route::Connections}>{ "Connections" }</Link<Route>>
                    <button class="link" onclick={log_out} data-testid="log-out">{ "Log out" }</button>
                </nav>
            </header>
            <div class="page">{ props.children.clone() }</div>
        </>
    }
}
