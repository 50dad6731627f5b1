//! Reading typed fields out of a JSON object by their wire names.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::FieldError;

/// The root object of a reply or notification.
#[derive(Debug)]
pub(crate) struct Fields(pub(crate) Map<String, Value>);

impl Fields {
    /// An optional field; `null` counts as absent.
    pub(crate) fn optional<T: DeserializeOwned>(
        &mut self,
        name: &'static str,
    ) -> Result<Option<T>, FieldError> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                serde_json::from_value(value)
                    .map(Some)
                    .map_err(|source| FieldError::Invalid {
                        field: name,
                        source,
                    })
            }
        }
    }

    /// A required field.
    pub(crate) fn required<T: DeserializeOwned>(
        &mut self,
        name: &'static str,
    ) -> Result<T, FieldError> {
        self.optional(name)?.ok_or(FieldError::Missing(name))
    }

    /// A code field that may be written as a string or an integer.
    pub(crate) fn code(&mut self, name: &'static str) -> Result<Option<String>, FieldError> {
        match self.0.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(Value::Number(number)) => Ok(Some(number.to_string())),
            Some(other) => Err(FieldError::Invalid {
                field: name,
                source: serde::de::Error::custom(format_args!(
                    "expected a string or a number, found {other}"
                )),
            }),
        }
    }
}
