//! What every page shares: the frame with its header, one way to show loading and errors,
//! dates in the merchant's locale, and the jump back to log-in that keeps the page.

use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::ApiError;

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
                let _: Result<serde_json::Value, _> = crate::api::anonymous(
                    "mutation($t: String!) { logOut(refreshToken: $t) }",
                    serde_json::json!({ "t": session.refresh_token }),
                )
                .await;
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
