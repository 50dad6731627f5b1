//! The generated impl adds no rustc warnings under strict lints, and needs
//! no prelude names in the merchant's module.

#![deny(
    warnings,
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    unused_qualifications,
    unused_results,
    rust_2018_idioms
)]

mod orders {
    #![no_implicit_prelude]

    /// An order of a module without the prelude.
    #[derive(Debug, ::kupikupi::KupiKupiOrder)]
    #[kupikupi(id_prefix = "p-", description = "Order {id}", success_url = "/o/{id}")]
    pub(crate) struct Order<'a> {
        #[kupikupi(id)]
        pub(crate) id: u64,
        #[kupikupi(amount, rubles)]
        pub(crate) total: i64,
        #[kupikupi(phone)]
        pub(crate) phone: ::std::option::Option<&'a str>,
    }
}

fn main() {
    use kupikupi::KupiKupiOrder;

    let order = orders::Order { id: 1, total: 2, phone: None };
    assert_eq!(order.order_id().map(|id| id.to_string()).ok().as_deref(), Some("p-1"));
}
