//! The smallest order: an id and an amount in kopecks.

use kupikupi::{Kopecks, KupiKupiOrder};

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: Kopecks,
}

fn main() {
    let order = Order { id: 1, total: Kopecks::new(100) };
    assert_eq!(order.order_id().unwrap().as_str(), "1");
}
