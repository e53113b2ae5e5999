//! One order: where it stands, the QuickBooks document it becomes (the exact qbXML and any
//! problem found before sending), the store's raw payloads as received, its refunds, and its
//! log.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::Route;
use crate::api;
use crate::operations::{OrderDetail, OrderPreview, order_detail, order_preview};
use crate::ui::{ConnectionNav, Load, Tab, enum_name, local_time, use_api_errors, view_load};

#[derive(Properties, PartialEq)]
pub struct OrderProps {
    /// The connection.
    pub id: String,
    pub order: String,
}

#[function_component(OrderPage)]
pub fn order_page(props: &OrderProps) -> Html {
    let detail = use_state(|| Load::<order_detail::OrderDetailOrder>::Loading);
    let preview = use_state(|| Load::<order_preview::OrderPreviewPreviewOrder>::Loading);
    let on_error = use_api_errors();
    {
        let (detail, preview, on_error) = (detail.clone(), preview.clone(), on_error.clone());
        use_effect_with(props.order.clone(), move |order_id| {
            let order_id = order_id.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<OrderDetail>(order_detail::Variables { order_id: order_id.clone() }).await {
                    Ok(found) => detail.set(Load::Loaded(found.order)),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            detail.set(Load::Failed(message));
                        }
                        return;
                    }
                }
                // A preview needs the company's lists and settings; it can fail on its own.
                match api::request::<OrderPreview>(order_preview::Variables { order_id }).await {
                    Ok(found) => preview.set(Load::Loaded(found.preview_order)),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            preview.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    let id = props.id.clone();
    html! {
        <>
            <ConnectionNav id={id.clone()} current={Tab::Log} />
            { view_load(&detail, "the order", |o| html! {
                <div class="order">
                    <p><Link<Route> to={Route::Log { id: id.clone() }}>{ "← Transaction log" }</Link<Route>></p>
                    <h1>{ format!("Order {}", o.number) }</h1>
                    <dl class="facts card" data-testid="order-facts">
                        <dt>{ "Status" }</dt><dd data-testid="order-status">{ status_label(&enum_name(&o.status)) }</dd>
                        <dt>{ "Received" }</dt><dd>{ local_time(&o.received_at) }</dd>
                        if let Some(at) = &o.synced_at { <dt>{ "In QuickBooks since" }</dt><dd>{ local_time(at) }</dd> }
                        if let Some(kind) = &o.quickbooks_txn_type {
                            <dt>{ "QuickBooks" }</dt>
                            <dd>{ format!("{kind} {}", o.quickbooks_ref_number.clone().unwrap_or_default()) }</dd>
                        }
                        <dt>{ "Attempts" }</dt><dd>{ o.attempts }</dd>
                        if let Some(error) = &o.last_error { <dt>{ "Last problem" }</dt><dd class="bad">{ error }</dd> }
                        <dt>{ "Store's id" }</dt><dd><code>{ &o.external_id }</code></dd>
                    </dl>
                    <section class="card">
                        <h2>{ "In QuickBooks it becomes" }</h2>
                        { view_load(&preview, "the QuickBooks document", |p| html! {
                            <>
                                <p>{ format!("{} for customer \"{}\"", p.transaction_type, p.customer_name) }
                                    { p.ref_number.as_deref().map(|r| format!(", number {r}")).unwrap_or_default() }</p>
                                if p.problems.is_empty() {
                                    <p class="done">{ "No problem found: it goes as it is." }</p>
                                } else {
                                    <ul class="problems" role="alert">{ for p.problems.iter().map(|m| html! { <li>{ m }</li> }) }</ul>
                                }
                                <details><summary>{ "The exact qbXML" }</summary><pre class="code">{ &p.qbxml }</pre></details>
                            </>
                        }) }
                    </section>
                    if !o.refunds.is_empty() {
                        <section class="card">
                            <h2>{ "Refunds" }</h2>
                            <table>
                                <thead><tr><th scope="col">{ "#" }</th><th scope="col">{ "Amount" }</th><th scope="col">{ "Status" }</th>
                                    <th scope="col">{ "Credit memo" }</th></tr></thead>
                                <tbody>{ for o.refunds.iter().map(|r| html! {
                                    <tr key={r.id.clone()}>
                                        <td>{ r.sequence }</td><td>{ &r.amount }</td>
                                        <td>{ status_label(&enum_name(&r.status)) }
                                            { r.last_error.as_deref().map(|e| format!(" — {e}")).unwrap_or_default() }</td>
                                        <td>{ r.credit_memo_number.clone().unwrap_or_default() }</td>
                                    </tr>
                                }) }</tbody>
                            </table>
                        </section>
                    }
                    <section class="card">
                        <h2>{ "What the store sent" }</h2>
                        if o.deliveries.is_empty() {
                            <p class="muted">{ "Imported through the API: no webhook payload." }</p>
                        }
                        { for o.deliveries.iter().map(|d| html! {
                            <details class="delivery">
                                <summary>{ format!("{} — {} ({})", d.topic, local_time(&d.received_at), d.outcome.to_lowercase()) }</summary>
                                if let Some(error) = &d.error { <p class="bad">{ error }</p> }
                                <pre class="code">{ pretty(&d.raw_body) }</pre>
                            </details>
                        }) }
                    </section>
                    <section class="card">
                        <h2>{ "Log" }</h2>
                        <ol class="log compact">
                            { for o.log.iter().map(|e| html! {
                                <li key={e.id.clone()} class={classes!("entry", enum_name(&e.level).to_lowercase())}>
                                    <time datetime={e.created_at.clone()}>{ local_time(&e.created_at) }</time>
                                    <span class="message">{ &e.message }</span>
                                </li>
                            }) }
                        </ol>
                    </section>
                </div>
            }) }
        </>
    }
}

/// The raw body indented when it is JSON; as received otherwise.
fn pretty(raw: &str) -> String {
    serde_json::from_str::<serde_json::Value>(raw)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or_else(|| raw.to_owned())
}

fn status_label(status: &str) -> String {
    match status {
        "PENDING" => "Waiting for the next Web Connector run".to_owned(),
        "SYNCED" => "In QuickBooks".to_owned(),
        "FAILED" => "Failed".to_owned(),
        "PARKED" => "Waiting for you (see the last problem)".to_owned(),
        "SKIPPED" => "Skipped".to_owned(),
        "FILTERED" => "Left out by the Orders step's status filter".to_owned(),
        "UNDO_REQUESTED" => "To be deleted from QuickBooks on the next run".to_owned(),
        "REPOST_REQUESTED" => "To be posted again on the next run".to_owned(),
        "VOID_REQUESTED" => "To be voided on the next run".to_owned(),
        other => other.to_lowercase().replace('_', " "),
    }
}
