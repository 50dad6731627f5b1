use kupikupi::KupiKupiOrder;

#[derive(KupiKupiOrder)]
struct Text {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: String,
    #[kupikupi(phone)]
    phone: [u8; 11],
    #[kupikupi(description)]
    title: u32,
}

#[derive(KupiKupiOrder)]
struct DecimalKopecks {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: rust_decimal::Decimal,
}

#[derive(KupiKupiOrder)]
struct KopecksAsRubles {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount, rubles)]
    total: kupikupi::Kopecks,
}

fn main() {}
