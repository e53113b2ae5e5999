//! A connection's stores: adding one gives the webhook address to paste into the store and
//! its signing secret, shown once; a secret can be replaced and a store removed.

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::operations::{
    AddStore, RemoveStore, RotateStoreSecret, StoreList, add_store, remove_store, rotate_store_secret, store_list,
};
use crate::ui::{Load, local_number, use_api_errors, view_load};

type Store = store_list::StoreListStores;

fn platform_label(platform: &store_list::Platform) -> &str {
    match platform {
        store_list::Platform::SHOPIFY => "Shopify",
        store_list::Platform::WOOCOMMERCE => "WooCommerce",
        store_list::Platform::CUSTOM => "own site",
        store_list::Platform::Other(other) => other,
    }
}

/// A secret just made: the only time it is shown.
#[derive(Clone, PartialEq)]
struct Secret {
    store: String,
    webhook_url: String,
    secret: String,
}

#[derive(Properties, PartialEq)]
pub struct StoresProps {
    pub id: String,
}

#[function_component(StoresCard)]
pub fn stores_card(props: &StoresProps) -> Html {
    let stores = use_state(|| Load::<Vec<Store>>::Loading);
    let secret = use_state(|| None::<Secret>);
    let error = use_state(|| None::<ApiError>);
    let reloads = use_state(|| 0u64);
    let (name, platform) = (use_node_ref(), use_node_ref());
    // Controlled, so the choice survives every re-render of the card.
    let chosen = use_state(|| "SHOPIFY");
    let on_platform = {
        let chosen = chosen.clone();
        Callback::from(move |event: Event| {
            if let Some(select) = event.target_dyn_into::<HtmlSelectElement>() {
                chosen.set(match select.value().as_str() {
                    "WOOCOMMERCE" => "WOOCOMMERCE",
                    "CUSTOM" => "CUSTOM",
                    _ => "SHOPIFY",
                });
            }
        })
    };
    let on_error = use_api_errors();
    {
        let (stores, on_error, id) = (stores.clone(), on_error.clone(), props.id.clone());
        use_effect_with((props.id.clone(), *reloads), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<StoreList>(store_list::Variables { id }).await {
                    Ok(found) => stores.set(Load::Loaded(found.stores)),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            stores.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    let fail = {
        let (error, on_error) = (error.clone(), on_error.clone());
        move |err: ApiError| match err {
            err @ ApiError::Validation(_) => error.set(Some(err)),
            err => error.set(on_error.emit(err).map(ApiError::Other)),
        }
    };
    let add = {
        let (name, platform, secret, reloads, fail, id) =
            (name.clone(), platform.clone(), secret.clone(), reloads.clone(), fail.clone(), props.id.clone());
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let name = name.cast::<HtmlInputElement>().map(|i| i.value()).unwrap_or_default();
            let platform = match platform.cast::<HtmlSelectElement>().map(|s| s.value()).as_deref() {
                Some("WOOCOMMERCE") => add_store::Platform::WOOCOMMERCE,
                Some("CUSTOM") => add_store::Platform::CUSTOM,
                _ => add_store::Platform::SHOPIFY,
            };
            let variables = add_store::Variables {
                id: id.clone(),
                input: add_store::AddStoreInput { platform, name, signing_secret: None },
            };
            let (secret, reloads, fail) = (secret.clone(), reloads.clone(), fail.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<AddStore>(variables).await {
                    Ok(added) => {
                        let added = added.add_store;
                        secret.set(Some(Secret {
                            store: added.store.name,
                            webhook_url: added.store.webhook_url,
                            secret: added.signing_secret,
                        }));
                        reloads.set(js_sys::Date::now() as u64);
                    }
                    Err(err) => fail(err),
                }
            });
        })
    };
    let rotate = |store_id: String| {
        let (secret, fail) = (secret.clone(), fail.clone());
        Callback::from(move |_: MouseEvent| {
            let confirmed = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message(
                        "Replace this store's signing secret? Webhooks signed with the old one will be refused.",
                    )
                    .ok()
                })
                .unwrap_or(false);
            if !confirmed {
                return;
            }
            let (secret, fail) = (secret.clone(), fail.clone());
            let variables = rotate_store_secret::Variables { store_id: store_id.clone() };
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<RotateStoreSecret>(variables).await {
                    Ok(rotated) => {
                        let rotated = rotated.rotate_store_secret;
                        secret.set(Some(Secret {
                            store: rotated.store.name,
                            webhook_url: rotated.store.webhook_url,
                            secret: rotated.signing_secret,
                        }));
                    }
                    Err(err) => fail(err),
                }
            });
        })
    };
    let remove = |store_id: String| {
        let (reloads, fail) = (reloads.clone(), fail.clone());
        Callback::from(move |_: MouseEvent| {
            let confirmed = web_sys::window()
                .and_then(|w| {
                    w.confirm_with_message("Remove this store? Its webhooks will be refused from now on.").ok()
                })
                .unwrap_or(false);
            if !confirmed {
                return;
            }
            let (reloads, fail) = (reloads.clone(), fail.clone());
            let variables = remove_store::Variables { store_id: store_id.clone() };
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<RemoveStore>(variables).await {
                    Ok(_) => reloads.set(js_sys::Date::now() as u64),
                    Err(err) => fail(err),
                }
            });
        })
    };
    let field = |name: &str| {
        (*error).as_ref().and_then(|e| e.field(name)).map(|m| html! { <p class="field-error" role="alert">{ m }</p> })
    };
    html! {
        <section class="card" data-testid="stores">
            <h2>{ "Stores" }</h2>
            { view_load(&stores, "your stores", |stores| html! {
                if stores.is_empty() {
                    <p class="empty">{ "No store yet." }</p>
                } else {
                    <table>
                        <thead><tr><th scope="col">{ "Store" }</th><th scope="col">{ "Webhook address" }</th>
                            <th scope="col">{ "Waiting" }</th><th></th></tr></thead>
                        <tbody>
                            { for stores.iter().map(|s| html! {
                                <tr key={s.id.clone()}>
                                    <th scope="row">{ &s.name }<span class="muted">{ format!(" ({})", platform_label(&s.platform)) }</span></th>
                                    <td><code class="wrap">{ &s.webhook_url }</code></td>
                                    <td>{ local_number(s.webhooks_waiting) }</td>
                                    <td class="row-actions">
                                        <button type="button" class="link" onclick={rotate(s.id.clone())}>{ "New secret" }</button>
                                        <button type="button" class="link" onclick={remove(s.id.clone())}>{ "Remove" }</button>
                                    </td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                }
            }) }
            if let Some(s) = &*secret {
                <div class="status ok" role="status" data-testid="store-secret">
                    <p><strong>{ format!("\"{}\" is ready.", s.store) }</strong>
                        { " In the store, send order webhooks to the address below, signed with this secret. \
                           Copy the secret now: it is not shown again." }</p>
                    <p>{ "Webhook address: " }<code class="wrap">{ &s.webhook_url }</code></p>
                    <p>{ "Signing secret: " }<code class="wrap" data-testid="signing-secret">{ &s.secret }</code></p>
                </div>
            }
            <form onsubmit={add} class="row">
                <div>
                    <label for="store-name">{ "Store name" }</label>
                    <input id="store-name" ref={name} placeholder="My Shopify store" />
                    { field("input.name") }
                </div>
                <div>
                    <label for="store-platform">{ "Platform" }</label>
                    <select id="store-platform" ref={platform} onchange={on_platform}>
                        { for [("SHOPIFY", "Shopify"), ("WOOCOMMERCE", "WooCommerce"), ("CUSTOM", "My own site (through the API)")]
                            .into_iter()
                            .map(|(value, label)| html! { <option {value} selected={*chosen == value}>{ label }</option> }) }
                    </select>
                </div>
                <div><button type="submit" data-testid="add-store">{ "Add store" }</button></div>
            </form>
            if let Some(ApiError::Other(message)) = &*error { <p class="error" role="alert">{ message.clone() }</p> }
        </section>
    }
}
