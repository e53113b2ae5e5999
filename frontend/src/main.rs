//! Ledgerbridge's merchant dashboard: a Yew single-page app that talks only to the GraphQL API.
mod api;
mod live;
mod operations;
mod pages;
mod session;
mod ui;

use yew::prelude::*;
use yew_router::prelude::*;

/// Every page of the dashboard, by address (deep links load the app, then the page).
#[derive(Routable, Clone, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/login")]
    LogIn,
    #[at("/signup")]
    SignUp,
    #[at("/connections")]
    Connections,
    #[at("/connections/:id")]
    Connection { id: String },
    #[at("/connections/:id/wizard/:number")]
    WizardStep { id: String, number: usize },
    #[at("/connections/:id/set-up-complete")]
    SetupComplete { id: String },
    #[at("/connections/:id/dashboard")]
    Dashboard { id: String },
    #[at("/connections/:id/log")]
    Log { id: String },
    #[at("/connections/:id/orders/:order")]
    Order { id: String, order: String },
    #[not_found]
    #[at("/404")]
    NotFound,
}

fn switch(route: Route) -> Html {
    match route {
        Route::Home => match session::load() {
            Some(_) => html! { <Redirect<Route> to={Route::Connections} /> },
            None => html! { <Redirect<Route> to={Route::LogIn} /> },
        },
        Route::LogIn => html! { <pages::auth::AuthPage sign_up={false} /> },
        Route::SignUp => html! { <pages::auth::AuthPage sign_up={true} /> },
        Route::Connections => html! { <ui::Layout><pages::connections::ConnectionsPage /></ui::Layout> },
        Route::Connection { id } => html! { <ui::Layout><pages::pairing::PairingPage {id} /></ui::Layout> },
        Route::WizardStep { id, number } => {
            html! { <ui::Layout><pages::wizard::WizardPage {id} {number} /></ui::Layout> }
        }
        Route::SetupComplete { id } => html! { <ui::Layout><pages::wizard::SetupCompletePage {id} /></ui::Layout> },
        Route::Dashboard { id } => html! { <ui::Layout><pages::dashboard::DashboardPage {id} /></ui::Layout> },
        Route::Log { id } => html! { <ui::Layout><pages::log::LogPage {id} /></ui::Layout> },
        Route::Order { id, order } => html! { <ui::Layout><pages::order::OrderPage {id} {order} /></ui::Layout> },
        Route::NotFound => html! {
            <ui::Layout>
                <h1>{ "Page not found" }</h1>
                <p><Link<Route> to={Route::Connections}>{ "Back to your QuickBooks connections" }</Link<Route>></p>
            </ui::Layout>
        },
    }
}

#[function_component(App)]
fn app() -> Html {
    // Marks the moment the first page is on screen, for the first-render benchmark
    // (`performance.getEntriesByName("ledgerbridge-first-render")`).
    use_effect_with((), |_| {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("ledgerbridge-first-render");
        }
    });
    html! {
        <BrowserRouter>
            <Switch<Route> render={switch} />
        </BrowserRouter>
    }
}

fn main() {
    match mount_point() {
        Some(root) => yew::Renderer::<App>::with_root(root).render(),
        None => yew::Renderer::<App>::new().render(),
    };
}

/// Mounts into `#app` (replacing the "Loading…" text) when the page provides it.
fn mount_point() -> Option<web_sys::Element> {
    let root = web_sys::window()?.document()?.get_element_by_id("app")?;
    root.set_inner_html("");
    Some(root)
}
