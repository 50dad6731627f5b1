// Every misuse is reported in one build, and the stub impl keeps the
// trait's methods usable so that `main` adds no errors of its own.
use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(id_prefix = "shop#1", description = "{name}")]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: f64,
    #[kupikupi(phnoe)]
    phone: String,
}

fn main() {
    let order = Order { id: 1, total: 1.0, phone: String::new() };
    let _ = order.order_id();
    let _: Result<u64, _> = Order::parse_order_id(&"1".parse().unwrap());
}
