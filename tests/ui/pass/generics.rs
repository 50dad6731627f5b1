//! Generic parameters, lifetimes, const generics and where clauses: the
//! impl gets the bounds its field types need and no others.

use std::fmt::Debug;

use kupikupi::{Kopecks, KupiKupiOrder};

#[derive(KupiKupiOrder)]
struct Generic<Id, Amount> {
    #[kupikupi(id)]
    id: Id,
    #[kupikupi(amount)]
    total: Amount,
}

#[derive(KupiKupiOrder)]
struct WithLifetime<'a, Extra: Debug, const N: usize>
where
    Extra: Clone,
{
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: &'a Kopecks,
    #[kupikupi(description)]
    title: &'a str,
    #[allow(dead_code)]
    extra: [Extra; N],
}

#[derive(KupiKupiOrder)]
struct RublesOf<T> {
    #[kupikupi(id)]
    id: String,
    #[kupikupi(amount, rubles)]
    price: Option<Box<T>>,
}

fn needs_order<O: KupiKupiOrder>() {}

fn main() {
    needs_order::<Generic<u64, i32>>();
    needs_order::<Generic<String, Kopecks>>();
    needs_order::<WithLifetime<'static, u8, 3>>();
}
