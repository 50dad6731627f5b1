//! Every integer type an amount may have, in kopecks and in whole rubles,
//! and exact ruble amounts as `Decimal`.

use kupikupi::{Kopecks, KupiKupiOrder};
use rust_decimal::Decimal;

macro_rules! orders {
    ($($kopecks:ident, $rubles:ident: $int:ty;)*) => {$(
        #[derive(KupiKupiOrder)]
        struct $kopecks {
            #[kupikupi(id)]
            id: u32,
            #[kupikupi(amount)]
            amount: $int,
        }

        #[derive(KupiKupiOrder)]
        struct $rubles {
            #[kupikupi(id)]
            id: u32,
            #[kupikupi(amount, rubles)]
            amount: $int,
        }
    )*};
}

orders! {
    U8, RublesU8: u8;
    U16, RublesU16: u16;
    U32, RublesU32: u32;
    U64, RublesU64: u64;
    U128, RublesU128: u128;
    Usize, RublesUsize: usize;
    I8, RublesI8: i8;
    I16, RublesI16: i16;
    I32, RublesI32: i32;
    I64, RublesI64: i64;
    I128, RublesI128: i128;
    Isize, RublesIsize: isize;
}

#[derive(KupiKupiOrder)]
struct InKopecks {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount)]
    amount: Kopecks,
}

#[derive(KupiKupiOrder)]
struct InDecimalRubles {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount, rubles)]
    amount: Decimal,
}

#[derive(KupiKupiOrder)]
struct Borrowed<'a> {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount)]
    amount: &'a i64,
}

fn main() {}
