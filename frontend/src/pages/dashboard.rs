//! A connection's dashboard: each store's orders by status, orders synced and failed per day
//! over 14 days (drawn in SVG), the Web Connector's last call with a warning when it is late,
//! a live progress bar while it runs, SKUs waiting for a QuickBooks item, and the ways to
//! Sync Now or change any wizard step.

use std::rc::Rc;

use web_sys::HtmlSelectElement;
use yew::prelude::*;
use yew_router::prelude::*;

use super::stores::StoresCard;
use super::sync_now::SyncNowForm;
use crate::Route;
use crate::api;
use crate::live::{self, LiveState};
use crate::operations::{
    Dashboard, MapSku, QuickbooksItems, SyncProgressUpdates, dashboard, map_sku, quickbooks_items,
    sync_progress_updates,
};
use crate::ui::{ConnectionNav, Load, Tab, local_day, local_number, local_time, use_api_errors, view_load};

type Progress = sync_progress_updates::SyncProgressUpdatesSyncProgress;
type Day = dashboard::DashboardOrderStatsDays;

#[derive(Properties, PartialEq)]
pub struct DashboardProps {
    pub id: String,
}

#[function_component(DashboardPage)]
pub fn dashboard_page(props: &DashboardProps) -> Html {
    let data = use_state(|| Load::<Rc<dashboard::ResponseData>>::Loading);
    let progress = use_state(|| None::<Progress>);
    // Changed (to the time) to read the numbers again.
    let reloads = use_state(|| 0u64);
    let on_error = use_api_errors();
    {
        let (data, on_error, id) = (data.clone(), on_error.clone(), props.id.clone());
        use_effect_with((props.id.clone(), *reloads), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<Dashboard>(dashboard::Variables { id }).await {
                    Ok(found) => data.set(Load::Loaded(Rc::new(found))),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            data.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    // The progress bar follows the Web Connector live; when a session ends the numbers are
    // read again, so what it synced is counted without a reload.
    {
        let (progress, reloads, on_error, id) = (progress.clone(), reloads.clone(), on_error.clone(), props.id.clone());
        use_effect_with(props.id.clone(), move |_| {
            let was_running = std::cell::Cell::new(false);
            let on_data = Callback::from(move |answer: sync_progress_updates::ResponseData| {
                let now = answer.sync_progress;
                if was_running.replace(now.running) && !now.running {
                    reloads.set(js_sys::Date::now() as u64);
                }
                progress.set(Some(now));
            });
            let on_error = Callback::from(move |err| {
                on_error.emit(err);
            });
            let subscription = live::subscribe::<SyncProgressUpdates>(
                move || sync_progress_updates::Variables { id: id.clone() },
                on_data,
                Callback::from(|_: LiveState| ()),
                on_error,
            );
            move || drop(subscription)
        });
    }
    let reload = {
        let reloads = reloads.clone();
        Callback::from(move |_: ()| reloads.set(js_sys::Date::now() as u64))
    };
    let id = props.id.clone();
    html! {
        <>
            <ConnectionNav id={id.clone()} current={Tab::Dashboard} />
            { view_load(&data, "the dashboard", |found| html! {
                <div class="dashboard">
                    <h1>{ format!("{} — dashboard", found.connection.name) }</h1>
                    <LastContact connection={found.connection.clone()} />
                    { view_progress((*progress).as_ref()) }
                    <section class="card">
                        <h2>{ "Orders by store" }</h2>
                        { view_counts(&found.order_stats.stores) }
                    </section>
                    <section class="card">
                        <h2>{ "Orders synced and failed, last 14 days" }</h2>
                        { view_chart(&found.order_stats.days) }
                    </section>
                    if !found.unmatched_skus.is_empty() {
                        <UnmatchedSkus id={id.clone()} skus={found.unmatched_skus.clone()} on_mapped={reload.clone()} />
                    }
                    <section class="card">
                        <h2>{ "Sync Now" }</h2>
                        <SyncNowForm id={id.clone()} />
                    </section>
                    <StoresCard id={id.clone()} />
                    <Manage id={id.clone()} />
                </div>
            }) }
        </>
    }
}

#[derive(Properties, PartialEq)]
struct LastContactProps {
    connection: dashboard::DashboardConnection,
}

/// When the Web Connector last called, with a warning once it has missed three runs.
#[function_component(LastContact)]
fn last_contact(props: &LastContactProps) -> Html {
    let c = &props.connection;
    let Some(at) = &c.last_contact_at else {
        return html! {
            <p class="status waiting" data-testid="last-contact">{ "The Web Connector has not called yet. " }
                <Link<Route> to={Route::Connection { id: c.id.clone() }}>{ "Pair it with QuickBooks" }</Link<Route>></p>
        };
    };
    let since = js_sys::Date::now() - js_sys::Date::new(&wasm_bindgen::JsValue::from_str(at)).get_time();
    let overdue = since > 3.0 * c.run_every_minutes as f64 * 60_000.0;
    if overdue {
        html! {
            <div class="error" role="alert" data-testid="last-contact">
                <strong>{ format!("The Web Connector has not called since {}.", local_time(at)) }</strong>
                { format!(" It should run every {} minutes: check that the computer with QuickBooks is on, \
                           the Web Connector is open with Auto-Run ticked, and QuickBooks can open the company file.",
                          c.run_every_minutes) }
            </div>
        }
    } else {
        html! {
            <p class="status ok" data-testid="last-contact">
                { format!("Last Web Connector call {} (it runs every {} minutes).", local_time(at), c.run_every_minutes) }
            </p>
        }
    }
}

fn view_progress(progress: Option<&Progress>) -> Html {
    match progress {
        Some(p) if p.running => html! {
            <section class="card progress" aria-live="polite" data-testid="sync-progress">
                <h2>{ "The Web Connector is running" }</h2>
                <progress max="100" value={p.percent.to_string()} aria-label="Sync progress" />
                <p>{ format!("{} % — {}", p.percent, p.message) }</p>
            </section>
        },
        Some(p) if p.started_at.is_some() => html! {
            <p class="hint" data-testid="sync-progress">{ format!("Last run: {}", p.message) }
                { p.updated_at.as_deref().map(|at| format!(" ({})", local_time(at))).unwrap_or_default() }</p>
        },
        _ => html! {},
    }
}

fn view_counts(stores: &[dashboard::DashboardOrderStatsStores]) -> Html {
    if stores.is_empty() {
        return html! { <p class="empty">{ "No store yet: add one below, then point its webhooks at Ledgerbridge." }</p> };
    }
    html! {
        <table class="counts" data-testid="store-counts">
            <thead><tr><th scope="col">{ "Store" }</th><th scope="col">{ "Synced" }</th><th scope="col">{ "Failed" }</th>
                <th scope="col">{ "Parked" }</th><th scope="col">{ "Pending" }</th></tr></thead>
            <tbody>
                { for stores.iter().map(|s| html! {
                    <tr key={s.store_id.clone()}>
                        <th scope="row">{ &s.store_name }</th>
                        <td data-count="synced">{ local_number(s.synced) }</td>
                        <td data-count="failed" class={classes!((s.failed > 0).then_some("bad"))}>{ local_number(s.failed) }</td>
                        <td data-count="parked">{ local_number(s.parked) }</td>
                        <td data-count="pending">{ local_number(s.pending) }</td>
                    </tr>
                }) }
            </tbody>
        </table>
    }
}

/// Two bars a day, synced and failed, scaled to the busiest day.
fn view_chart(days: &[Day]) -> Html {
    const WIDTH: f64 = 700.0;
    const HEIGHT: f64 = 200.0;
    const BASE: f64 = 170.0;
    let top = days.iter().map(|d| d.synced.max(d.failed)).max().unwrap_or(0).max(1) as f64;
    let slot = WIDTH / days.len().max(1) as f64;
    let bar = (slot - 8.0) / 2.0;
    let height = |n: i64| (n as f64 / top) * (BASE - 20.0);
    let total_synced: i64 = days.iter().map(|d| d.synced).sum();
    let total_failed: i64 = days.iter().map(|d| d.failed).sum();
    let summary = format!("{} synced, {} failed over 14 days", local_number(total_synced), local_number(total_failed));
    html! {
        <figure class="chart">
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label={summary.clone()} data-testid="chart">
                <line x1="0" y1={BASE.to_string()} x2={WIDTH.to_string()} y2={BASE.to_string()} class="axis" />
                <text x="0" y="12" class="scale">{ local_number(top as i64) }</text>
                { for days.iter().enumerate().map(|(i, d)| {
                    let x = i as f64 * slot + 4.0;
                    html! {
                        <g key={d.date.clone()}>
                            <title>{ format!("{}: {} synced, {} failed", local_day(&d.date), d.synced, d.failed) }</title>
                            <rect class="synced" x={x.to_string()} y={(BASE - height(d.synced)).to_string()}
                                  width={bar.to_string()} height={height(d.synced).to_string()} />
                            <rect class="failed" x={(x + bar).to_string()} y={(BASE - height(d.failed)).to_string()}
                                  width={bar.to_string()} height={height(d.failed).to_string()} />
                            if i % 2 == 0 || days.len() <= 7 {
                                <text x={(x + bar).to_string()} y={(BASE + 18.0).to_string()} class="day">{ local_day(&d.date) }</text>
                            }
                        </g>
                    }
                }) }
            </svg>
            <figcaption>
                <span class="key synced">{ "Synced" }</span><span class="key failed">{ "Failed" }</span>
                <span class="muted">{ summary }</span>
            </figcaption>
        </figure>
    }
}

#[derive(Properties, PartialEq)]
struct UnmatchedProps {
    id: String,
    skus: Vec<dashboard::DashboardUnmatchedSkus>,
    on_mapped: Callback<()>,
}

/// Store SKUs no QuickBooks item matches: pick the item once, and the orders waiting for it
/// go on the next run.
#[function_component(UnmatchedSkus)]
fn unmatched_skus(props: &UnmatchedProps) -> Html {
    let items = use_state(|| Load::<Vec<String>>::Loading);
    let error = use_state(|| None::<String>);
    let on_error = use_api_errors();
    {
        let (items, on_error, id) = (items.clone(), on_error.clone(), props.id.clone());
        use_effect_with(props.id.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<QuickbooksItems>(quickbooks_items::Variables { id }).await {
                    Ok(found) => items.set(Load::Loaded(
                        found.quickbooks_lists.entries.edges.into_iter().map(|e| e.node.full_name).collect(),
                    )),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            items.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    let map = |sku: String| {
        let (error, on_error, on_mapped, id) =
            (error.clone(), on_error.clone(), props.on_mapped.clone(), props.id.clone());
        let select_id = format!("map-{sku}");
        Callback::from(move |_: MouseEvent| {
            let item = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id(&select_id))
                .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlSelectElement>(e).ok())
                .map(|s| s.value())
                .unwrap_or_default();
            if item.is_empty() {
                error.set(Some(format!("Choose the QuickBooks item for {sku} first.")));
                return;
            }
            let (error, on_error, on_mapped) = (error.clone(), on_error.clone(), on_mapped.clone());
            let variables = map_sku::Variables { id: id.clone(), sku: sku.clone(), item };
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<MapSku>(variables).await {
                    Ok(_) => {
                        error.set(None);
                        on_mapped.emit(());
                    }
                    Err(err) => error.set(on_error.emit(err)),
                }
            });
        })
    };
    html! {
        <section class="card" data-testid="unmatched-skus">
            <h2>{ "Products waiting for a QuickBooks item" }</h2>
            <p>{ "These store SKUs match no QuickBooks item. Choose the item each one is; its orders go on the next run." }</p>
            { view_load(&items, "your QuickBooks items", |names| html! {
                <table>
                    <thead><tr><th scope="col">{ "Store SKU" }</th><th scope="col">{ "Orders waiting" }</th>
                        <th scope="col">{ "QuickBooks item" }</th><th></th></tr></thead>
                    <tbody>
                        { for props.skus.iter().map(|s| {
                            let select_id = format!("map-{}", s.sku);
                            html! {
                                <tr key={s.sku.clone()}>
                                    <th scope="row"><code>{ &s.sku }</code></th>
                                    <td>{ local_number(s.orders) }</td>
                                    <td>
                                        <label class="visually-hidden" for={select_id.clone()}>{ format!("QuickBooks item for {}", s.sku) }</label>
                                        <select id={select_id}>
                                            <option value="">{ "Choose…" }</option>
                                            { for names.iter().map(|n| html! { <option value={n.clone()}>{ n.clone() }</option> }) }
                                        </select>
                                    </td>
                                    <td><button type="button" onclick={map(s.sku.clone())}>{ "Map" }</button></td>
                                </tr>
                            }
                        }) }
                    </tbody>
                </table>
            }) }
            if let Some(message) = &*error { <p class="error" role="alert">{ message.clone() }</p> }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ManageProps {
    id: String,
}

/// Reopens any wizard step: nothing is locked in.
#[function_component(Manage)]
fn manage(props: &ManageProps) -> Html {
    const STEPS: [&str; 7] =
        ["Sync Direction", "Orders", "Customers", "Accounts", "Sales Tax Mapping", "Products", "Notifications"];
    let chosen = use_state(|| 1usize);
    let navigator = use_navigator();
    let on_change = {
        let chosen = chosen.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                chosen.set(select.value().parse().unwrap_or(1));
            }
        })
    };
    let open = {
        let (chosen, id) = (chosen.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(navigator) = &navigator {
                navigator.push(&Route::WizardStep { id: id.clone(), number: *chosen });
            }
        })
    };
    html! {
        <section class="card manage">
            <h2>{ "Settings" }</h2>
            <label for="manage-step">{ "Change a step of the set-up" }</label>
            <div class="actions">
                <select id="manage-step" onchange={on_change}>
                    { for STEPS.iter().enumerate().map(|(i, title)| html! {
                        <option value={(i + 1).to_string()} selected={*chosen == i + 1}>{ format!("{}. {title}", i + 1) }</option>
                    }) }
                </select>
                <button type="button" onclick={open} data-testid="manage">{ "Manage" }</button>
            </div>
        </section>
    }
}
