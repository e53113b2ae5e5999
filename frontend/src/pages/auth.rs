//! Sign up and log in: one form, two purposes. After either, the merchant goes back to the
//! page they were sent away from, or to their connections.

use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::{self, ApiError};
use crate::operations::{LogIn, ServerVersion, SignUp, log_in, server_version, sign_up};
use crate::ui::Next;

#[derive(Properties, PartialEq)]
pub struct AuthProps {
    pub sign_up: bool,
}

#[function_component(AuthPage)]
pub fn auth_page(props: &AuthProps) -> Html {
    // Controlled fields: what the merchant typed survives every re-render (errors appearing).
    let email = use_state(String::new);
    let password = use_state(String::new);
    let typed = |field: &UseStateHandle<String>| {
        let field = field.clone();
        Callback::from(move |event: InputEvent| {
            if let Some(input) = event.target_dyn_into::<HtmlInputElement>() {
                field.set(input.value());
            }
        })
    };
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let navigator = use_navigator();
    let next = use_location().and_then(|l| l.query::<Next>().ok()).and_then(|n| n.next);
    let version = use_state(|| None::<String>);
    {
        let version = version.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let info = api::anonymous::<ServerVersion>(server_version::Variables).await;
                version.set(Some(match info {
                    Ok(info) => format!("Ledgerbridge {}", info.server_info.version),
                    Err(err) => format!("The server cannot be reached: {}", err.message()),
                }));
            });
        });
    }
    let sign_up = props.sign_up;
    let submit = {
        let (email, password, error, busy) = (email.clone(), password.clone(), error.clone(), busy.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let (email, password) = ((*email).clone(), (*password).clone());
            let (error, busy, navigator, next) = (error.clone(), busy.clone(), navigator.clone(), next.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let tokens = if sign_up {
                    api::anonymous::<SignUp>(sign_up::Variables { email, password })
                        .await
                        .map(|a| (a.sign_up.access_token, a.sign_up.refresh_token))
                } else {
                    api::anonymous::<LogIn>(log_in::Variables { email, password })
                        .await
                        .map(|a| (a.log_in.access_token, a.log_in.refresh_token))
                };
                busy.set(false);
                match tokens {
                    Ok((access, refresh)) => {
                        crate::session::save(access, refresh);
                        error.set(None);
                        // Back where the merchant was, only ever within the dashboard.
                        match (navigator, next.filter(|n| n.starts_with('/') && !n.starts_with("//"))) {
                            (Some(navigator), Some(path)) => {
                                navigator.push(&Route::recognize(&path).unwrap_or(Route::Connections))
                            }
                            (Some(navigator), None) => navigator.push(&Route::Connections),
                            (None, _) => {}
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let field_error = |field: &str| {
        (*error).as_ref().and_then(|e| e.field(field)).map(|m| html! { <p class="field-error" role="alert">{ m }</p> })
    };
    let general = (*error).as_ref().filter(|e| !matches!(e, ApiError::Validation(_))).map(|e| {
        html! { <div class="error" role="alert">{ e.message() }</div> }
    });
    let (title, action, other) = if sign_up {
        (
            "Create your Ledgerbridge account",
            "Sign up",
            html! {
                <p>{ "Already have an account? " }<Link<Route> to={Route::LogIn}>{ "Log in" }</Link<Route>></p>
            },
        )
    } else {
        (
            "Log in to Ledgerbridge",
            "Log in",
            html! {
                <p>{ "New here? " }<Link<Route> to={Route::SignUp}>{ "Create an account" }</Link<Route>></p>
            },
        )
    };
    html! {
        <div class="auth">
            <h1>{ title }</h1>
            <p class="tagline">{ "Your web store's orders, in QuickBooks Desktop." }</p>
            <form class="card" onsubmit={submit} novalidate=true>
                <label for="email">{ "Email" }</label>
                <input id="email" name="email" type="email" autocomplete="email" required=true
                    value={(*email).clone()} oninput={typed(&email)} />
                { field_error("email") }
                <label for="password">{ "Password" }</label>
                <input id="password" name="password" type="password" required=true
                    value={(*password).clone()} oninput={typed(&password)}
                    autocomplete={ if sign_up { "new-password" } else { "current-password" } } />
                { field_error("password") }
                if sign_up { <p class="hint">{ "At least 8 characters." }</p> }
                { general }
                <button type="submit" class="primary" disabled={*busy}>{ if *busy { "Please wait…" } else { action } }</button>
            </form>
            { other }
            <footer class="muted" data-testid="server-status">{ (*version).clone().unwrap_or_default() }</footer>
        </div>
    }
}
