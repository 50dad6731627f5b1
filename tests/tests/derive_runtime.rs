//! Runtime behaviour of the code `#[derive(KupiKupiOrder)]` generates.

// The helpers outside `#[test]` functions unwrap inputs written in this file.
#![allow(clippy::unwrap_used)]

use std::str::FromStr;

use kupikupi::{Kopecks, KupiKupiOrder, OrderError, OrderId, Phone, PhoneError};
use rust_decimal::Decimal;

fn wire(text: &str) -> OrderId {
    OrderId::new(text).unwrap()
}

#[derive(KupiKupiOrder)]
#[kupikupi(
    id_prefix = "shop1-",
    description = "Order {id}",
    success_url = "/orders/{id}",
    fail_url = "https://shop.example/orders/{id}?failed"
)]
struct Prefixed {
    #[kupikupi(id)]
    id: u64,
    #[kupikupi(amount)]
    total: Kopecks,
}

#[test]
fn id_returns_marked_field() {
    let order = Prefixed {
        id: 42,
        total: Kopecks::new(100),
    };
    assert_eq!(*order.id(), 42);
}

#[test]
fn order_id_adds_prefix() {
    let order = Prefixed {
        id: 42,
        total: Kopecks::new(100),
    };
    assert_eq!(order.order_id().unwrap(), wire("shop1-42"));
    assert_eq!(Prefixed::ID_PREFIX, "shop1-");
}

#[test]
fn prefix_round_trips() {
    let order = Prefixed {
        id: 9_000_001,
        total: Kopecks::new(100),
    };
    let sent = order.order_id().unwrap();
    assert_eq!(Prefixed::parse_order_id(&sent).unwrap(), 9_000_001);
}

#[test]
fn parse_rejects_other_prefix() {
    assert!(matches!(
        Prefixed::parse_order_id(&wire("shop2-42")),
        Err(OrderError::ForeignOrderId {
            prefix: "shop1-",
            ..
        })
    ));
    assert!(Prefixed::parse_order_id(&wire("42")).is_err());
    assert!(Prefixed::parse_order_id(&wire("shop1-")).is_err());
    assert!(Prefixed::parse_order_id(&wire("shop1-x")).is_err());
}

#[test]
fn templates_fill_id() {
    let order = Prefixed {
        id: 7,
        total: Kopecks::new(100),
    };
    assert_eq!(order.description().as_deref(), Some("Order 7"));
    assert_eq!(order.success_url().as_deref(), Some("/orders/7"));
    assert_eq!(
        order.fail_url().as_deref(),
        Some("https://shop.example/orders/7?failed")
    );
}

#[test]
fn template_constants_hold_text() {
    assert_eq!(Prefixed::DESCRIPTION, Some("Order {id}"));
    assert_eq!(Prefixed::SUCCESS_URL, Some("/orders/{id}"));
    assert_eq!(
        Prefixed::FAIL_URL,
        Some("https://shop.example/orders/{id}?failed")
    );
}

#[test]
fn template_repeats_id() {
    #[derive(KupiKupiOrder)]
    #[kupikupi(success_url = "/orders/{id}/done?order={id}")]
    struct Twice {
        #[kupikupi(id)]
        id: String,
        #[kupikupi(amount)]
        total: u64,
    }

    let order = Twice {
        id: "A-1".into(),
        total: 1,
    };
    assert_eq!(
        order.success_url().as_deref(),
        Some("/orders/A-1/done?order=A-1")
    );
}

#[derive(KupiKupiOrder)]
struct Plain {
    #[kupikupi(id)]
    id: String,
    #[kupikupi(amount)]
    total: u64,
}

#[test]
fn unset_attributes_default_to_none() {
    let order = Plain {
        id: "a".into(),
        total: 1,
    };
    assert_eq!(Plain::ID_PREFIX, "");
    assert_eq!(order.description(), None);
    assert_eq!(order.success_url(), None);
    assert_eq!(order.fail_url(), None);
    assert_eq!(order.phone(), Ok(None));
}

#[test]
fn string_id_without_prefix_round_trips() {
    let order = Plain {
        id: "ord_17.b".into(),
        total: 1,
    };
    let sent = order.order_id().unwrap();
    assert_eq!(sent.as_str(), "ord_17.b");
    assert_eq!(Plain::parse_order_id(&sent).unwrap(), "ord_17.b");
}

#[test]
fn invalid_id_text_is_error() {
    let order = Plain {
        id: "order #1".into(),
        total: 1,
    };
    assert!(matches!(order.order_id(), Err(OrderError::OrderId(_))));
}

#[test]
fn uuid_id_round_trips() {
    #[derive(KupiKupiOrder)]
    #[kupikupi(id_prefix = "u.")]
    struct ByUuid {
        #[kupikupi(id)]
        id: uuid::Uuid,
        #[kupikupi(amount)]
        total: u64,
    }

    let id = uuid::Uuid::from_u128(0x1234_5678_9abc_def0_1234_5678_9abc_def0);
    let sent = ByUuid { id, total: 1 }.order_id().unwrap();
    assert_eq!(sent.as_str(), "u.12345678-9abc-def0-1234-56789abcdef0");
    assert_eq!(ByUuid::parse_order_id(&sent).unwrap(), id);
}

#[test]
fn amount_in_kopecks() {
    let order = Plain {
        id: "a".into(),
        total: 97_250,
    };
    assert_eq!(order.amount(), Ok(Kopecks::new(97_250)));
}

#[derive(KupiKupiOrder)]
struct Signed {
    #[kupikupi(id)]
    id: i64,
    #[kupikupi(amount)]
    total: i64,
}

#[test]
fn signed_amount_positive_is_accepted() {
    assert_eq!(Signed { id: 1, total: 1 }.amount(), Ok(Kopecks::new(1)));
    assert_eq!(
        Signed {
            id: 1,
            total: i64::MAX
        }
        .amount(),
        Ok(Kopecks::new(i64::MAX.unsigned_abs()))
    );
}

#[test]
fn zero_amount_is_error() {
    assert_eq!(
        Signed { id: 1, total: 0 }.amount(),
        Err(OrderError::NonPositiveAmount("0".into()))
    );
    assert!(
        Plain {
            id: "a".into(),
            total: 0
        }
        .amount()
        .is_err()
    );
}

#[test]
fn negative_amount_is_error() {
    assert_eq!(
        Signed { id: 1, total: -500 }.amount(),
        Err(OrderError::NonPositiveAmount("-500".into()))
    );
    assert!(
        Signed {
            id: 1,
            total: i64::MIN
        }
        .amount()
        .is_err()
    );
}

#[test]
fn kopecks_zero_is_error() {
    let order = Prefixed {
        id: 1,
        total: Kopecks::ZERO,
    };
    assert!(matches!(
        order.amount(),
        Err(OrderError::NonPositiveAmount(_))
    ));
}

#[test]
fn u128_amount_above_u64_is_error() {
    #[derive(KupiKupiOrder)]
    struct Wide {
        #[kupikupi(id)]
        id: u8,
        #[kupikupi(amount)]
        total: u128,
    }

    assert_eq!(
        Wide {
            id: 1,
            total: u128::from(u64::MAX)
        }
        .amount(),
        Ok(Kopecks::new(u64::MAX))
    );
    assert!(
        Wide {
            id: 1,
            total: u128::from(u64::MAX) + 1
        }
        .amount()
        .is_err()
    );
}

#[derive(KupiKupiOrder)]
struct Rubles {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount, rubles)]
    price: i64,
}

#[test]
fn rubles_multiply_by_hundred() {
    assert_eq!(
        Rubles { id: 1, price: 972 }.amount(),
        Ok(Kopecks::new(97_200))
    );
}

#[test]
fn rubles_overflow_is_error() {
    let order = Rubles {
        id: 1,
        price: i64::MAX,
    };
    assert_eq!(
        order.amount(),
        Err(OrderError::AmountOverflow(i64::MAX.to_string()))
    );
}

#[test]
fn rubles_largest_that_fits() {
    #[derive(KupiKupiOrder)]
    struct Unsigned {
        #[kupikupi(id)]
        id: u32,
        #[kupikupi(amount, rubles)]
        price: u64,
    }

    let largest = u64::MAX / 100;
    assert_eq!(
        Unsigned {
            id: 1,
            price: largest
        }
        .amount(),
        Ok(Kopecks::new(largest * 100))
    );
    assert!(matches!(
        Unsigned {
            id: 1,
            price: largest + 1
        }
        .amount(),
        Err(OrderError::AmountOverflow(_))
    ));
}

#[test]
fn rubles_zero_and_negative_are_errors() {
    assert!(matches!(
        Rubles { id: 1, price: 0 }.amount(),
        Err(OrderError::NonPositiveAmount(_))
    ));
    assert!(matches!(
        Rubles { id: 1, price: -1 }.amount(),
        Err(OrderError::NonPositiveAmount(_))
    ));
}

#[derive(KupiKupiOrder)]
struct DecimalRubles {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount, rubles)]
    price: Decimal,
}

fn decimal_amount(text: &str) -> Result<Kopecks, OrderError> {
    DecimalRubles {
        id: 1,
        price: Decimal::from_str(text).unwrap(),
    }
    .amount()
}

#[test]
fn decimal_rubles_convert_exactly() {
    assert_eq!(decimal_amount("972.50"), Ok(Kopecks::new(97_250)));
    assert_eq!(decimal_amount("0.01"), Ok(Kopecks::new(1)));
    assert_eq!(decimal_amount("12"), Ok(Kopecks::new(1_200)));
    assert_eq!(decimal_amount("1.500000"), Ok(Kopecks::new(150)));
}

#[test]
fn decimal_third_place_is_error() {
    assert_eq!(
        decimal_amount("972.505"),
        Err(OrderError::FractionalKopecks("972.505".into()))
    );
    assert!(matches!(
        decimal_amount("0.001"),
        Err(OrderError::FractionalKopecks(_))
    ));
}

#[test]
fn decimal_zero_and_negative_are_errors() {
    assert!(matches!(
        decimal_amount("0.00"),
        Err(OrderError::NonPositiveAmount(_))
    ));
    assert!(matches!(
        decimal_amount("-1.00"),
        Err(OrderError::NonPositiveAmount(_))
    ));
}

#[test]
fn decimal_above_u64_kopecks_is_error() {
    assert!(matches!(
        decimal_amount("184467440737095516.16"),
        Err(OrderError::AmountOverflow(_))
    ));
    assert_eq!(
        decimal_amount("184467440737095516.15"),
        Ok(Kopecks::new(u64::MAX))
    );
}

#[derive(KupiKupiOrder)]
struct WithPhone<P> {
    #[kupikupi(id)]
    id: u32,
    #[kupikupi(amount)]
    total: u64,
    #[kupikupi(phone)]
    phone: P,
}

fn phone_of<P>(phone: P) -> Result<Option<Phone>, OrderError>
where
    WithPhone<P>: KupiKupiOrder,
{
    WithPhone {
        id: 1,
        total: 1,
        phone,
    }
    .phone()
}

#[test]
fn phone_string_is_parsed() {
    let phone = phone_of(String::from("8 (900) 123-45-67"))
        .unwrap()
        .unwrap();
    assert_eq!(phone.full(), "79001234567");
}

#[test]
fn phone_integer_is_parsed() {
    let phone = phone_of(79_001_234_567u64).unwrap().unwrap();
    assert_eq!(phone.full(), "79001234567");
    assert_eq!(phone_of(79_001_234_567i64).unwrap(), Some(phone));
}

#[test]
fn phone_typed_and_optional() {
    let phone = Phone::parse("+7 900 123 45 67").unwrap();
    assert_eq!(phone_of(phone.clone()), Ok(Some(phone.clone())));
    assert_eq!(phone_of(Some(phone.clone())), Ok(Some(phone)));
    assert_eq!(phone_of(None::<String>), Ok(None));
}

#[test]
fn phone_invalid_string_is_error() {
    assert_eq!(
        phone_of("7900123"),
        Err(OrderError::Phone(PhoneError::WrongLength(7)))
    );
    assert_eq!(
        phone_of("+44 20 7946 0958"),
        Err(OrderError::Phone(PhoneError::WrongCountry))
    );
    assert_eq!(
        phone_of(Some("79OO1234567".to_string())),
        Err(OrderError::Phone(PhoneError::InvalidCharacter('O')))
    );
}

#[test]
fn phone_invalid_integer_is_error() {
    assert!(matches!(phone_of(123u64), Err(OrderError::Phone(_))));
    assert!(matches!(
        phone_of(-79_001_234_567i64),
        Err(OrderError::Phone(_))
    ));
}

#[test]
fn phone_error_hides_number() {
    let message = phone_of("790012345678").unwrap_err().to_string();
    assert!(!message.contains("790012345678"), "{message}");
}

#[test]
fn description_field_is_used() {
    #[derive(KupiKupiOrder)]
    struct Described<'a> {
        #[kupikupi(id)]
        id: u32,
        #[kupikupi(amount)]
        total: u64,
        #[kupikupi(description)]
        title: Option<&'a str>,
    }

    let titled = Described {
        id: 1,
        total: 1,
        title: Some("Two coffees"),
    };
    assert_eq!(titled.description().as_deref(), Some("Two coffees"));
    let untitled = Described {
        id: 1,
        total: 1,
        title: None,
    };
    assert_eq!(untitled.description(), None);
}

#[test]
fn generic_order_uses_its_types() {
    #[derive(KupiKupiOrder)]
    struct Generic<Id, Amount> {
        #[kupikupi(id)]
        id: Id,
        #[kupikupi(amount, rubles)]
        price: Amount,
    }

    let order = Generic {
        id: 5u16,
        price: 3u8,
    };
    assert_eq!(order.amount(), Ok(Kopecks::new(300)));
    assert_eq!(Generic::<u16, u8>::parse_order_id(&wire("5")).unwrap(), 5);
}

#[test]
fn payment_order_reads_derived_order() {
    let order = Prefixed {
        id: 3,
        total: Kopecks::new(500),
    };
    let base: url::Url = "https://shop.example/".parse().unwrap();
    let payment = kupikupi::PaymentOrder::from_order(&order, Some(&base)).unwrap();
    assert_eq!(payment.order_id, wire("shop1-3"));
    assert_eq!(payment.amount, Kopecks::new(500));
    assert_eq!(payment.description.as_deref(), Some("Order 3"));
    assert_eq!(
        payment.success_url.map(String::from).as_deref(),
        Some("https://shop.example/orders/3")
    );
}
