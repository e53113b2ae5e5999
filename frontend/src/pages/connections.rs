//! The merchant's QuickBooks connections (one per company file), and adding one.

use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api::{self, ApiError};
use crate::operations::{ConnectionList, CreateConnection, connection_list, create_connection};
use crate::ui::{Load, local_time, use_api_errors, view_load};

type Connection = connection_list::ConnectionListConnections;

#[function_component(ConnectionsPage)]
pub fn connections_page() -> Html {
    let list = use_state(|| Load::<Vec<Connection>>::Loading);
    let on_error = use_api_errors();
    {
        let (list, on_error) = (list.clone(), on_error.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::request::<ConnectionList>(connection_list::Variables).await;
                match answer {
                    Ok(found) => list.set(Load::Loaded(found.connections)),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            list.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    html! {
        <>
            <h1>{ "QuickBooks connections" }</h1>
            <p>{ "One connection per QuickBooks company file. Open one to pair it with the Web Connector." }</p>
            { view_load(&list, "your connections", |connections| html! {
                if connections.is_empty() {
                    <p class="empty">{ "No connection yet: add your first company file below." }</p>
                } else {
                    <ul class="connections" data-testid="connections">
                        { for connections.iter().map(|c| html! {
                            <li key={c.id.clone()}>
                                <Link<Route> to={Route::Connection { id: c.id.clone() }}>{ &c.name }</Link<Route>>
                                <span class="muted">{ match (c.company.as_ref().and_then(|c| c.name.as_ref()), &c.last_contact_at) {
                                    (Some(name), Some(at)) => format!(" — {name}, last contact {}", local_time(at)),
                                    _ => " — waiting for the Web Connector's first call".to_owned(),
                                } }</span>
                                if c.setup_completed_at.is_some() { <span class="badge">{ "Set up" }</span> }
                            </li>
                        }) }
                    </ul>
                }
            }) }
            <AddConnection />
        </>
    }
}

#[function_component(AddConnection)]
fn add_connection() -> Html {
    let name = use_node_ref();
    let every = use_node_ref();
    let error = use_state(|| None::<ApiError>);
    let navigator = use_navigator();
    let on_error = use_api_errors();
    let submit = {
        let (name, every, error) = (name.clone(), every.clone(), error.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let minutes: i64 = value(&every).trim().parse().unwrap_or(0);
            let variables = create_connection::Variables {
                input: create_connection::CreateConnectionInput {
                    name: value(&name),
                    run_every_minutes: Some(minutes),
                },
            };
            let (error, navigator, on_error) = (error.clone(), navigator.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let created = api::request::<CreateConnection>(variables).await;
                match created {
                    Ok(created) => {
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Connection { id: created.create_connection.id });
                        }
                    }
                    Err(err @ ApiError::Validation(_)) => error.set(Some(err)),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            error.set(Some(ApiError::Other(message)));
                        }
                    }
                }
            });
        })
    };
    let field = |name: &str| {
        (*error).as_ref().and_then(|e| e.field(name)).map(|m| html! { <p class="field-error" role="alert">{ m }</p> })
    };
    html! {
        <form class="card" onsubmit={submit}>
            <h2>{ "Add a company file" }</h2>
            <label for="connection-name">{ "Name" }</label>
            <input id="connection-name" ref={name} placeholder="Main company" required=true />
            { field("input.name") }
            <label for="run-every">{ "Run the Web Connector every (minutes)" }</label>
            <input id="run-every" ref={every} type="number" min="1" value="10" />
            { field("input.runEveryMinutes") }
            if let Some(ApiError::Other(message)) = &*error { <div class="error" role="alert">{ message }</div> }
            <button type="submit" class="primary">{ "Add connection" }</button>
        </form>
    }
}
