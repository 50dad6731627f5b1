use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Order {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(phone)]
    phone: String,
    #[kupikupi(phone)]
    backup_phone: Option<String>,
}

#[derive(KupiKupiOrder)]
struct SameField {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(phone, phone)]
    phone: String,
}

fn main() {}
