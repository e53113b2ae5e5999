//! Step 5's mapping table: which QuickBooks tax code (or tax item, or group) each place's
//! orders use, edited row by row or imported from a CSV file (`City,Region,Country,TaxCode,County`).

use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::api::{self, ApiError};
use crate::operations::{
    AddSalesTaxMapping, ImportSalesTaxMappings, RemoveSalesTaxMapping, SalesTaxMappings, add_sales_tax_mapping,
    import_sales_tax_mappings, remove_sales_tax_mapping, sales_tax_mappings,
};
use crate::ui::{Load, use_api_errors, view_load};

/// One row, whichever operation returned the table.
#[derive(Clone, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Row {
    id: String,
    country: String,
    region: String,
    county: String,
    city: String,
    tax_code: String,
}

/// Each operation answers the whole table in its own generated type; they share one shape.
fn rows<T: serde::Serialize>(table: &[T]) -> Vec<Row> {
    serde_json::to_value(table).ok().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct SalesTaxProps {
    pub id: String,
    /// The tax codes, items and groups a row can point at.
    pub targets: Vec<String>,
}

#[function_component(SalesTaxTable)]
pub fn sales_tax_table(props: &SalesTaxProps) -> Html {
    let table = use_state(|| Load::<Vec<Row>>::Loading);
    let error = use_state(|| None::<ApiError>);
    let imported = use_state(|| None::<String>);
    let (country, region, county, city, code) =
        (use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref(), use_node_ref());
    let (csv, replace) = (use_node_ref(), use_node_ref());
    let on_error = use_api_errors();
    {
        let (table, on_error, id) = (table.clone(), on_error.clone(), props.id.clone());
        use_effect_with(props.id.clone(), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                match api::request::<SalesTaxMappings>(sales_tax_mappings::Variables { id }).await {
                    Ok(found) => table.set(Load::Loaded(rows(&found.sales_tax_mappings))),
                    Err(err) => {
                        if let Some(message) = on_error.emit(err) {
                            table.set(Load::Failed(message));
                        }
                    }
                }
            });
        });
    }
    // Every change answers the new table; a refusal shows beside the form.
    let settle = {
        let (table, error, on_error) = (table.clone(), error.clone(), on_error.clone());
        move |answer: Result<Vec<Row>, ApiError>| match answer {
            Ok(found) => {
                error.set(None);
                table.set(Load::Loaded(found));
            }
            Err(err @ ApiError::Validation(_)) => error.set(Some(err)),
            Err(err) => error.set(on_error.emit(err).map(ApiError::Other)),
        }
    };
    let add = {
        let (country, region, county, city, code, settle, id) = (
            country.clone(),
            region.clone(),
            county.clone(),
            city.clone(),
            code.clone(),
            settle.clone(),
            props.id.clone(),
        );
        Callback::from(move |event: SubmitEvent| {
            event.prevent_default();
            let text = |node: &NodeRef| {
                node.cast::<HtmlInputElement>().map(|i| i.value().trim().to_owned()).unwrap_or_default()
            };
            let optional = |value: String| (!value.is_empty()).then_some(value);
            let input = add_sales_tax_mapping::SalesTaxMappingInput {
                country: text(&country).to_uppercase(),
                region: text(&region).to_uppercase(),
                county: optional(text(&county)),
                city: optional(text(&city)),
                tax_code: code.cast::<HtmlSelectElement>().map(|s| s.value()).unwrap_or_default(),
            };
            let (settle, variables) = (settle.clone(), add_sales_tax_mapping::Variables { id: id.clone(), input });
            wasm_bindgen_futures::spawn_local(async move {
                settle(api::request::<AddSalesTaxMapping>(variables).await.map(|t| rows(&t.add_sales_tax_mapping)));
            });
        })
    };
    let remove = |mapping_id: String| {
        let settle = settle.clone();
        Callback::from(move |_: MouseEvent| {
            let (settle, variables) =
                (settle.clone(), remove_sales_tax_mapping::Variables { mapping_id: mapping_id.clone() });
            wasm_bindgen_futures::spawn_local(async move {
                settle(
                    api::request::<RemoveSalesTaxMapping>(variables).await.map(|t| rows(&t.remove_sales_tax_mapping)),
                );
            });
        })
    };
    // A chosen file is read into the text box, where it can be checked before importing.
    let on_file = {
        let csv = csv.clone();
        Callback::from(move |event: Event| {
            let Some(file) = event.target_dyn_into::<HtmlInputElement>().and_then(|i| i.files()).and_then(|f| f.get(0))
            else {
                return;
            };
            let csv = csv.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                    && let (Some(area), Some(text)) = (csv.cast::<HtmlTextAreaElement>(), text.as_string())
                {
                    area.set_value(&text);
                }
            });
        })
    };
    let import = {
        let (csv, replace, settle, imported, id) =
            (csv.clone(), replace.clone(), settle.clone(), imported.clone(), props.id.clone());
        Callback::from(move |_: MouseEvent| {
            let text = csv.cast::<HtmlTextAreaElement>().map(|a| a.value()).unwrap_or_default();
            let replace = replace.cast::<HtmlInputElement>().is_some_and(|i| i.checked());
            let variables = import_sales_tax_mappings::Variables { id: id.clone(), csv: text, replace };
            let (settle, imported) = (settle.clone(), imported.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let answer =
                    api::request::<ImportSalesTaxMappings>(variables).await.map(|t| rows(&t.import_sales_tax_mappings));
                imported.set(answer.as_ref().ok().map(|t| format!("Imported: the table has {} rows.", t.len())));
                settle(answer);
            });
        })
    };
    let field = |name: &str| {
        (*error).as_ref().and_then(|e| e.field(name)).map(|m| html! { <p class="field-error" role="alert">{ m }</p> })
    };
    html! {
        <section class="card" data-testid="sales-tax-table">
            <h2>{ "Sales tax mapping" }</h2>
            <p class="hint">{ "With \"Tax codes by city, county, state\", each order uses the row of its most precise place: \
                               city, then county, then the state or province." }</p>
            { view_load(&table, "the mapping table", |rows| html! {
                if rows.is_empty() {
                    <p class="empty">{ "No row yet." }</p>
                } else {
                    <table>
                        <thead><tr><th scope="col">{ "Country" }</th><th scope="col">{ "State / province" }</th>
                            <th scope="col">{ "County" }</th><th scope="col">{ "City" }</th><th scope="col">{ "QuickBooks code" }</th><th></th></tr></thead>
                        <tbody>{ for rows.iter().map(|r| html! {
                            <tr key={r.id.clone()}>
                                <td>{ &r.country }</td><td>{ &r.region }</td><td>{ &r.county }</td><td>{ &r.city }</td><td>{ &r.tax_code }</td>
                                <td><button type="button" class="link" onclick={remove(r.id.clone())}>{ "Remove" }</button></td>
                            </tr>
                        }) }</tbody>
                    </table>
                }
            }) }
            <form onsubmit={add} class="row" aria-label="Add a mapping">
                <div><label for="tax-country">{ "Country" }</label><input id="tax-country" ref={country} placeholder="US" maxlength="2" />{ field("input.country") }</div>
                <div><label for="tax-region">{ "State / province" }</label><input id="tax-region" ref={region} placeholder="CA" />{ field("input.region") }</div>
                <div><label for="tax-county">{ "County" }</label><input id="tax-county" ref={county} />{ field("input.county") }</div>
                <div><label for="tax-city">{ "City" }</label><input id="tax-city" ref={city} />{ field("input.city") }</div>
                <div>
                    <label for="tax-code">{ "QuickBooks code" }</label>
                    <select id="tax-code" ref={code}>
                        <option value="">{ "Choose…" }</option>
                        { for props.targets.iter().map(|t| html! { <option value={t.clone()}>{ t.clone() }</option> }) }
                    </select>
                    { field("input.taxCode") }
                </div>
                <div><button type="submit" data-testid="add-mapping">{ "Add row" }</button></div>
            </form>
            <h3>{ "Import a CSV file" }</h3>
            <p class="hint">{ "Columns: City, Region, Country, TaxCode, County. Every row is checked first: nothing is imported when one is wrong." }</p>
            <label for="tax-file">{ "File" }</label>
            <input id="tax-file" type="file" accept=".csv,text/csv" onchange={on_file} />
            <label for="tax-csv">{ "CSV text" }</label>
            <textarea id="tax-csv" ref={csv} rows="5" placeholder="City,Region,Country,TaxCode,County" />
            <div class="field inline">
                <label for="tax-replace">{ "Replace the whole table" }</label>
                <input id="tax-replace" type="checkbox" class="checkbox" ref={replace} />
            </div>
            <button type="button" onclick={import} data-testid="import-csv">{ "Import" }</button>
            { field("csv") }
            if let Some(message) = &*imported { <p class="done" role="status">{ message.clone() }</p> }
            if let Some(err) = &*error {
                if !matches!(err, ApiError::Validation(_)) { <p class="error" role="alert">{ err.message() }</p> }
            }
        </section>
    }
}
