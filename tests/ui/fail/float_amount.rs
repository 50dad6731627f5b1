use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Kopecks {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: f64,
}

#[derive(KupiKupiOrder)]
struct Rubles<'a> {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount, rubles)]
    price: &'a f32,
}

#[derive(KupiKupiOrder)]
struct Optional {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: Option<core::primitive::f64>,
}

fn main() {}
