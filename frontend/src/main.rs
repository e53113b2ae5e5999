//! Ledgerbridge's merchant dashboard. For now a placeholder page that proves the whole path
//! works: the wasm app loads, reaches the GraphQL API, and shows what the server says.

use serde::Deserialize;
use yew::prelude::*;

#[derive(Deserialize)]
struct ServerInfoData {
    #[serde(rename = "serverInfo")]
    server_info: ServerInfo,
}

#[derive(Deserialize, Clone, PartialEq)]
struct ServerInfo {
    version: String,
}

#[derive(Deserialize)]
struct GraphqlAnswer<T> {
    data: Option<T>,
    errors: Option<Vec<GraphqlError>>,
}

#[derive(Deserialize)]
struct GraphqlError {
    message: String,
}

#[derive(Clone, PartialEq)]
enum Load<T> {
    Loading,
    Loaded(T),
    Failed(String),
}

async fn fetch_server_info() -> Result<ServerInfo, String> {
    let body = serde_json::json!({ "query": "{ serverInfo { version } }" });
    let response = gloo_net::http::Request::post("/graphql")
        .json(&body)
        .map_err(|err| err.to_string())?
        .send()
        .await
        .map_err(|err| format!("the server could not be reached: {err}"))?;
    let answer: GraphqlAnswer<ServerInfoData> =
        response.json().await.map_err(|err| format!("the server's answer was not understood: {err}"))?;
    match (answer.data, answer.errors) {
        (Some(data), None) => Ok(data.server_info),
        (_, Some(errors)) => Err(errors.into_iter().map(|e| e.message).collect::<Vec<_>>().join("; ")),
        (None, None) => Err("the server sent an empty answer".to_owned()),
    }
}

#[function_component(App)]
fn app() -> Html {
    let info = use_state(|| Load::Loading);
    {
        let info = info.clone();
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                info.set(match fetch_server_info().await {
                    Ok(found) => Load::Loaded(found),
                    Err(message) => Load::Failed(message),
                });
            });
        });
    }
    let status = match &*info {
        Load::Loading => html! { <p class="loading">{ "Checking the server…" }</p> },
        Load::Loaded(found) => html! {
            <p class="status-ok" data-testid="server-status">{ format!("Connected to Ledgerbridge {}", found.version) }</p>
        },
        Load::Failed(message) => html! {
            <p class="status-error" role="alert" data-testid="server-status">{ format!("Cannot reach the server: {message}") }</p>
        },
    };
    html! {
        <>
            <h1>{ "Ledgerbridge" }</h1>
            <p class="tagline">{ "Your web store's orders, in QuickBooks Desktop." }</p>
            <section class="card">
                { status }
                <p>{ "The dashboard is on its way. Meanwhile, everything it will do is in the " }
                    <a href="/graphql">{ "GraphQL API" }</a>{ "." }</p>
            </section>
        </>
    }
}

fn main() {
    if let Some(root) = gloo_utils_root() {
        yew::Renderer::<App>::with_root(root).render();
    } else {
        yew::Renderer::<App>::new().render();
    }
}

/// Mounts into `#app` (replacing the "Loading…" text) when the page provides it.
fn gloo_utils_root() -> Option<web_sys::Element> {
    let root = web_sys::window()?.document()?.get_element_by_id("app")?;
    root.set_inner_html("");
    Some(root)
}
