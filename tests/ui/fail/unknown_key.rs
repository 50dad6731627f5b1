use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
#[kupikupi(sucess_url = "/orders/{id}", currency = "RUB")]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amout)]
    total: u64,
    #[kupikupi(customer(phone))]
    phone: String,
}

fn main() {}
