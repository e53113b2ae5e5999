//! Sync Now: the orders not yet in QuickBooks — all, those placed in a date range, or those
//! with given numbers — wait for the Web Connector's next run.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::api;
use crate::operations::{SyncNow, sync_now};
use crate::ui::use_api_errors;

#[derive(Properties, PartialEq)]
pub struct SyncNowProps {
    pub id: String,
}

/// A local date (`YYYY-MM-DD` from a date input) as the start of that day in the merchant's
/// time zone, written as the API's RFC 3339; `end` gives the start of the next day.
pub fn day_start(day: &str, end: bool) -> Option<String> {
    if day.is_empty() {
        return None;
    }
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(&format!("{day}T00:00:00")));
    if date.get_time().is_nan() {
        return None;
    }
    if end {
        date.set_date(date.get_date() + 1);
    }
    Some(date.to_iso_string().into())
}

#[function_component(SyncNowForm)]
pub fn sync_now_form(props: &SyncNowProps) -> Html {
    let (from, to, numbers) = (use_node_ref(), use_node_ref(), use_node_ref());
    let outcome = use_state(|| None::<Result<String, String>>);
    let busy = use_state(|| false);
    let on_error = use_api_errors();
    let submit = {
        let (from, to, numbers, outcome, busy, id) =
            (from.clone(), to.clone(), numbers.clone(), outcome.clone(), busy.clone(), props.id.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let order_numbers: Vec<String> = value(&numbers)
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            let variables = sync_now::Variables {
                id: id.clone(),
                from: day_start(&value(&from), false),
                to: day_start(&value(&to), true),
                order_numbers: (!order_numbers.is_empty()).then_some(order_numbers),
            };
            let (outcome, busy, on_error) = (outcome.clone(), busy.clone(), on_error.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = api::request::<SyncNow>(variables).await;
                busy.set(false);
                match answer {
                    Ok(queued) => outcome.set(Some(Ok(match queued.sync_now {
                        0 => "No order waits: everything matching is already in QuickBooks.".to_owned(),
                        1 => "1 order queued: waiting for the Web Connector's next run.".to_owned(),
                        n => format!("{n} orders queued: waiting for the Web Connector's next run."),
                    }))),
                    Err(err) => outcome.set(on_error.emit(err).map(Err)),
                }
            });
        })
    };
    html! {
        <form class="sync-now" onsubmit={submit} aria-label="Sync Now">
            <div class="row">
                <div>
                    <label for="sync-from">{ "Placed from" }</label>
                    <input id="sync-from" type="date" ref={from} />
                </div>
                <div>
                    <label for="sync-to">{ "to" }</label>
                    <input id="sync-to" type="date" ref={to} />
                </div>
                <div>
                    <label for="sync-numbers">{ "or order numbers" }</label>
                    <input id="sync-numbers" type="text" placeholder="#1001, #1002" ref={numbers} />
                </div>
            </div>
            <p class="hint">{ "Leave everything empty to send every order not yet in QuickBooks." }</p>
            <button type="submit" class="primary" disabled={*busy} data-testid="sync-now">{ "Sync Now" }</button>
            { match &*outcome {
                Some(Ok(message)) => html! { <p class="done" role="status">{ message.clone() }</p> },
                Some(Err(message)) => html! { <p class="error" role="alert">{ message.clone() }</p> },
                None => html! {},
            } }
        </form>
    }
}
