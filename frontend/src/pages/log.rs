//! The transaction log: newest first, new entries arriving live (graphql-transport-ws) without
//! a reload, filters by level, order number, dates and text, the plain-English explanation
//! beside each QuickBooks error, retry / skip / undo on order entries, and the filtered view
//! as CSV.

use std::cell::Cell;
use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::sync_now::day_start;
use crate::Route;
use crate::api::{self, ApiError};
use crate::live::{self, LiveState};
use crate::operations::{
    LogEntries, RetryOrder, SkipOrder, TransactionLog, UndoOrder, log_entries, retry_order, skip_order,
    transaction_log, undo_order,
};
use crate::ui::{ConnectionNav, Load, Tab, enum_name, local_time, save_file, use_api_errors, view_load};

type Entry = transaction_log::Entry;
type Level = transaction_log::LogLevel;

const PAGE: i64 = 50;
/// The most a CSV export reads, page by page (the API's largest page is 200).
const EXPORT_PAGE: i64 = 200;
const EXPORT_MAX: usize = 20_000;

/// What the merchant filters by, as typed.
#[derive(Clone, PartialEq, Default)]
struct Filters {
    /// Levels ticked; none ticked means all.
    levels: Vec<&'static str>,
    order_number: String,
    /// `YYYY-MM-DD`, local days.
    from: String,
    to: String,
    text: String,
}

impl Filters {
    fn to_api(&self) -> Option<transaction_log::TransactionLogFilter> {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let filter = transaction_log::TransactionLogFilter {
            levels: (!self.levels.is_empty()).then(|| self.levels.iter().map(|l| level_of(l)).collect()),
            order_number: text(&self.order_number),
            from: day_start(&self.from, false),
            to: day_start(&self.to, true),
            text: text(&self.text),
        };
        let empty = filter.levels.is_none()
            && filter.order_number.is_none()
            && filter.from.is_none()
            && filter.to.is_none()
            && filter.text.is_none();
        (!empty).then_some(filter)
    }

    /// Whether a live entry belongs in the filtered view, as the server would decide.
    fn keeps(&self, entry: &Entry) -> bool {
        let Some(filter) = self.to_api() else { return true };
        let time = |iso: &str| js_sys::Date::new(&wasm_bindgen::JsValue::from_str(iso)).get_time();
        filter.levels.as_ref().is_none_or(|levels| levels.iter().any(|l| enum_name(l) == enum_name(&entry.level)))
            && filter.order_number.as_ref().is_none_or(|n| entry.order_number.as_deref() == Some(n.as_str()))
            && filter.from.as_ref().is_none_or(|from| time(&entry.created_at) >= time(from))
            && filter.to.as_ref().is_none_or(|to| time(&entry.created_at) < time(to))
            && filter.text.as_ref().is_none_or(|t| entry.message.to_lowercase().contains(&t.to_lowercase()))
    }
}

fn level_of(name: &str) -> Level {
    match name {
        "ERROR" => Level::ERROR,
        "WARNING" => Level::WARNING,
        _ => Level::INFO,
    }
}

/// The page of entries shown, and where the next page starts.
#[derive(Clone, PartialEq)]
struct Shown {
    entries: Vec<Rc<Entry>>,
    next: Option<String>,
}

#[derive(Properties, PartialEq)]
pub struct LogProps {
    pub id: String,
}

#[function_component(LogPage)]
pub fn log_page(props: &LogProps) -> Html {
    let filters = use_state(Filters::default);
    let shown = use_state(|| Load::<Shown>::Loading);
    let live_state = use_state(|| LiveState::Connecting);
    let notice = use_state(|| None::<Result<String, String>>);
    let on_error = use_api_errors();
    let id = props.id.clone();
    // The first page for the filters.
    {
        let (shown, on_error, id) = (shown.clone(), on_error.clone(), id.clone());
        use_effect_with((id.clone(), (*filters).clone()), move |(_, filters)| {
            let filter = filters.to_api();
            shown.set(Load::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                let variables = transaction_log::Variables { id, filter, after: None, first: PAGE };
                match api::request::<TransactionLog>(variables).await {
                    Ok(page) => shown.set(Load::Loaded(Shown {
                        entries: page.transaction_log.nodes.into_iter().map(Rc::new).collect(),
                        next: page
                            .transaction_log
                            .page_info
                            .end_cursor
                            .filter(|_| page.transaction_log.page_info.has_next_page),
                    })),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            shown.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    // New entries, live. The handler reads the current page and filters through a shared cell,
    // since the subscription outlives any one render.
    let current = use_mut_ref(|| (Load::<Shown>::Loading, Filters::default()));
    *current.borrow_mut() = ((*shown).clone(), (*filters).clone());
    {
        let (shown, live_state, on_error, current) =
            (shown.clone(), live_state.clone(), on_error.clone(), current.clone());
        use_effect_with(id.clone(), move |id| {
            // The newest entry sent live, whatever the filters: a reconnection resumes after it.
            let newest = Rc::new(Cell::new(None::<i64>));
            let variables = {
                let (id, newest, current) = (id.clone(), newest.clone(), current.clone());
                move || {
                    let (load, filters) = &*current.borrow();
                    // An unfiltered page starts with the newest entry of all.
                    let listed = match load {
                        Load::Loaded(page) if filters.to_api().is_none() => {
                            page.entries.first().and_then(|e| e.id.parse::<i64>().ok())
                        }
                        _ => None,
                    };
                    log_entries::Variables { id: id.clone(), after: newest.get().max(listed).map(|n| n.to_string()) }
                }
            };
            let on_data = Callback::from(move |answer: log_entries::ResponseData| {
                let Ok(entry) =
                    serde_json::to_value(answer.transaction_log_entries).and_then(serde_json::from_value::<Entry>)
                else {
                    return;
                };
                newest.set(newest.get().max(entry.id.parse::<i64>().ok()));
                let (load, filters) = current.borrow().clone();
                if let Load::Loaded(mut page) = load
                    && filters.keeps(&entry)
                    && !page.entries.iter().any(|e| e.id == entry.id)
                {
                    page.entries.insert(0, Rc::new(entry));
                    current.borrow_mut().0 = Load::Loaded(page.clone());
                    shown.set(Load::Loaded(page));
                }
            });
            let on_state = Callback::from(move |state| live_state.set(state));
            let on_error = Callback::from(move |err| {
                on_error.emit(err);
            });
            let subscription = live::subscribe::<LogEntries>(variables, on_data, on_state, on_error);
            move || drop(subscription)
        });
    }
    let more = {
        let (shown, filters, on_error, id) = (shown.clone(), filters.clone(), on_error.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            let Load::Loaded(page) = (*shown).clone() else { return };
            let Some(after) = page.next.clone() else { return };
            let variables = transaction_log::Variables {
                id: id.clone(),
                filter: filters.to_api(),
                after: Some(after),
                first: PAGE,
            };
            let (shown, on_error) = (shown.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<TransactionLog>(variables).await {
                    Ok(found) => {
                        let mut page = page;
                        page.entries.extend(found.transaction_log.nodes.into_iter().map(Rc::new));
                        page.next = found
                            .transaction_log
                            .page_info
                            .end_cursor
                            .filter(|_| found.transaction_log.page_info.has_next_page);
                        shown.set(Load::Loaded(page));
                    }
                    Err(err) => {
                        on_error.emit(err);
                    }
                }
            });
        })
    };
    let export = {
        let (filters, notice, on_error, id) = (filters.clone(), notice.clone(), on_error.clone(), id.clone());
        Callback::from(move |_: MouseEvent| {
            let (filter, notice, on_error, id) = (filters.to_api(), notice.clone(), on_error.clone(), id.clone());
            notice.set(Some(Ok("Preparing the CSV file…".to_owned())));
            wasm_bindgen_futures::spawn_local(async move {
                match export_csv(id, filter).await {
                    Ok((csv, count)) => match save_file("transaction-log.csv", "text/csv", &csv) {
                        Ok(()) => notice.set(Some(Ok(match count {
                            1 => "1 entry exported.".to_owned(),
                            n => format!("{n} entries exported."),
                        }))),
                        Err(message) => notice.set(Some(Err(message))),
                    },
                    Err(err) => notice.set(on_error.emit(err).map(Err)),
                }
            });
        })
    };
    let act = {
        let (notice, on_error) = (notice.clone(), on_error.clone());
        Callback::from(move |(action, order_id, number): (Action, String, String)| {
            let (notice, on_error) = (notice.clone(), on_error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match action.run(order_id).await {
                    Ok(()) => notice.set(Some(Ok(action.done(&number)))),
                    Err(err) => notice.set(on_error.emit(err).map(Err)),
                }
            });
        })
    };
    html! {
        <>
            <ConnectionNav id={id.clone()} current={Tab::Log} />
            <div class="log-head">
                <h1>{ "Transaction log" }</h1>
                <span class={classes!("live", (*live_state == LiveState::Live).then_some("on"))} data-testid="live" role="status">
                    { match *live_state {
                        LiveState::Live => "● Live",
                        LiveState::Connecting => "Connecting…",
                        LiveState::Reconnecting => "Reconnecting…",
                    } }
                </span>
            </div>
            <FilterForm value={(*filters).clone()} on_apply={ let filters = filters.clone(); Callback::from(move |f| filters.set(f)) } />
            <div class="actions">
                <button type="button" onclick={export} data-testid="export-csv">{ "Export CSV" }</button>
                { match &*notice {
                    Some(Ok(message)) => html! { <p class="done" role="status">{ message.clone() }</p> },
                    Some(Err(message)) => html! { <p class="error" role="alert">{ message.clone() }</p> },
                    None => html! {},
                } }
            </div>
            { view_load(&shown, "the transaction log", |page| html! {
                <>
                    if page.entries.is_empty() {
                        <p class="empty">{ "Nothing in the log matches." }</p>
                    } else {
                        <ol class="log" data-testid="log-entries">
                            { for page.entries.iter().map(|e| view_entry(&id, e, &act)) }
                        </ol>
                    }
                    if page.next.is_some() {
                        <button type="button" onclick={more.clone()}>{ "Show older entries" }</button>
                    }
                </>
            }) }
        </>
    }
}

/// What a button on an order entry does.
#[derive(Clone, Copy, PartialEq)]
enum Action {
    Retry,
    Skip,
    Undo,
}

impl Action {
    fn label(self) -> &'static str {
        match self {
            Action::Retry => "Retry",
            Action::Skip => "Skip",
            Action::Undo => "Undo",
        }
    }

    fn done(self, number: &str) -> String {
        match self {
            Action::Retry => format!("Order {number} goes again on the Web Connector's next run."),
            Action::Skip => format!("Order {number} is left out of syncing until you retry it."),
            Action::Undo => format!("Order {number} is deleted from QuickBooks on the Web Connector's next run."),
        }
    }

    async fn run(self, order_id: String) -> Result<(), ApiError> {
        match self {
            Action::Retry => api::request::<RetryOrder>(retry_order::Variables { order_id }).await.map(|_| ()),
            Action::Skip => api::request::<SkipOrder>(skip_order::Variables { order_id }).await.map(|_| ()),
            Action::Undo => api::request::<UndoOrder>(undo_order::Variables { order_id }).await.map(|_| ()),
        }
    }

    /// The buttons that make sense beside an entry of this kind.
    fn for_kind(kind: &str) -> &'static [Action] {
        match kind {
            "ORDER_FAILED" | "ORDER_PARKED" | "REFUND_FAILED" => &[Action::Retry, Action::Skip],
            "ORDER_SYNCED" | "ORDER_LINKED" => &[Action::Undo],
            "ORDER_RECEIVED" | "ORDER_CHANGED" => &[Action::Skip],
            _ => &[],
        }
    }
}

fn view_entry(connection: &str, e: &Entry, act: &Callback<(Action, String, String)>) -> Html {
    let level = enum_name(&e.level);
    let kind = enum_name(&e.kind);
    html! {
        <li key={e.id.clone()} class={classes!("entry", level.to_lowercase())} data-kind={kind.clone()}>
            <div class="meta">
                <span class="level">{ level.to_lowercase() }</span>
                <time datetime={e.created_at.clone()}>{ local_time(&e.created_at) }</time>
            </div>
            <div class="body">
                <p class="message">{ &e.message }</p>
                if let Some(explanation) = &e.explanation {
                    <p class="explanation"><strong>{ "What this means: " }</strong>{ explanation }</p>
                }
                if let (Some(order_id), Some(number)) = (&e.order_id, &e.order_number) {
                    <div class="row-actions">
                        <Link<Route> to={Route::Order { id: connection.to_owned(), order: order_id.clone() }}>
                            { format!("Order {number}") }
                        </Link<Route>>
                        { for Action::for_kind(&kind).iter().map(|action| {
                            let (act, action, order_id, number) = (act.clone(), *action, order_id.clone(), number.clone());
                            html! {
                                <button type="button" class="link" onclick={Callback::from(move |_: MouseEvent| act.emit((action, order_id.clone(), number.clone())))}>
                                    { action.label() }
                                </button>
                            }
                        }) }
                    </div>
                }
            </div>
        </li>
    }
}

#[derive(Properties, PartialEq)]
struct FilterProps {
    value: Filters,
    on_apply: Callback<Filters>,
}

/// The filters, applied together with one button (and cleared with another).
#[function_component(FilterForm)]
fn filter_form(props: &FilterProps) -> Html {
    let (number, from, to, text) = (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let levels = use_state(|| props.value.levels.clone());
    let toggle = |level: &'static str| {
        let levels = levels.clone();
        Callback::from(move |_: Event| {
            let mut next = (*levels).clone();
            if let Some(at) = next.iter().position(|l| *l == level) {
                next.remove(at);
            } else {
                next.push(level);
            }
            levels.set(next);
        })
    };
    let apply = {
        let (number, from, to, text, levels, on_apply) =
            (number.clone(), from.clone(), to.clone(), text.clone(), levels.clone(), props.on_apply.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let value = |node: &NodeRef| node.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            on_apply.emit(Filters {
                levels: (*levels).clone(),
                order_number: value(&number),
                from: value(&from),
                to: value(&to),
                text: value(&text),
            });
        })
    };
    let clear = {
        let (number, from, to, text, levels, on_apply) =
            (number.clone(), from.clone(), to.clone(), text.clone(), levels.clone(), props.on_apply.clone());
        Callback::from(move |_: MouseEvent| {
            for node in [&number, &from, &to, &text] {
                if let Some(input) = node.cast::<HtmlInputElement>() {
                    input.set_value("");
                }
            }
            levels.set(Vec::new());
            on_apply.emit(Filters::default());
        })
    };
    html! {
        <form class="card filters" onsubmit={apply} aria-label="Filter the log">
            <fieldset>
                <legend>{ "Level" }</legend>
                { for ["INFO", "WARNING", "ERROR"].into_iter().map(|level| {
                    let id = format!("level-{}", level.to_lowercase());
                    html! {
                        <span class="check">
                            <input id={id.clone()} type="checkbox" class="checkbox" checked={levels.contains(&level)} onchange={toggle(level)} />
                            <label for={id}>{ level.to_lowercase() }</label>
                        </span>
                    }
                }) }
            </fieldset>
            <div class="row">
                <div><label for="filter-number">{ "Order number" }</label><input id="filter-number" ref={number} placeholder="#1001" /></div>
                <div><label for="filter-from">{ "From" }</label><input id="filter-from" type="date" ref={from} /></div>
                <div><label for="filter-to">{ "To" }</label><input id="filter-to" type="date" ref={to} /></div>
                <div><label for="filter-text">{ "Containing" }</label><input id="filter-text" type="search" ref={text} /></div>
            </div>
            <div class="actions">
                <button type="submit" class="primary" data-testid="apply-filters">{ "Apply filters" }</button>
                <button type="button" onclick={clear}>{ "Clear" }</button>
            </div>
        </form>
    }
}

/// Every entry of the filtered view (up to `EXPORT_MAX`), as CSV, and how many.
async fn export_csv(
    id: String,
    filter: Option<transaction_log::TransactionLogFilter>,
) -> Result<(String, usize), ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |err: csv::Error| ApiError::Other(format!("The CSV file could not be written ({err})."));
    writer.write_record(["time", "level", "kind", "order", "message", "explanation"]).map_err(failed)?;
    let (mut after, mut count) = (None, 0);
    loop {
        let variables =
            transaction_log::Variables { id: id.clone(), filter: filter.clone(), after, first: EXPORT_PAGE };
        let page = api::request::<TransactionLog>(variables).await?.transaction_log;
        for e in &page.nodes {
            writer
                .write_record([
                    e.created_at.as_str(),
                    &enum_name(&e.level),
                    &enum_name(&e.kind),
                    e.order_number.as_deref().unwrap_or(""),
                    &e.message,
                    e.explanation.as_deref().unwrap_or(""),
                ])
                .map_err(failed)?;
        }
        count += page.nodes.len();
        after = page.page_info.end_cursor;
        if !page.page_info.has_next_page || after.is_none() || count >= EXPORT_MAX {
            break;
        }
    }
    let bytes =
        writer.into_inner().map_err(|err| ApiError::Other(format!("The CSV file could not be written ({err}).")))?;
    Ok((String::from_utf8_lossy(&bytes).into_owned(), count))
}
