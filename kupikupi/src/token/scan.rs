//! A strict single-pass reader of a JSON object's root fields.
//!
//! Token verification runs on every notification before anything else, so
//! it reads the body once. It validates the whole text as JSON (RFC 8259)
//! and borrows every root key and scalar value from the body. Only strings
//! that contain escapes are copied. Nested objects and arrays are validated and
//! skipped. Numbers keep the exact text they were written with.

use std::borrow::Cow;
use std::fmt;

/// Nesting deeper than this is rejected, as `serde_json` does by default, so
/// that a hostile body cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// A root scalar, borrowed from the body where possible.
#[derive(Debug)]
pub(super) enum Scalar<'a> {
    /// A string, unescaped.
    Text(Cow<'a, str>),
    /// A number or boolean, exactly as written.
    Literal(&'a str),
}

impl Scalar<'_> {
    pub(super) fn as_bytes(&self) -> &[u8] {
        match self {
            Scalar::Text(text) => text.as_bytes(),
            Scalar::Literal(literal) => literal.as_bytes(),
        }
    }
}

/// A root field: its key and, for strings, numbers and booleans, its value.
/// Objects, arrays and `null` have no value here.
pub(super) type Entry<'a> = (Cow<'a, str>, Option<Scalar<'a>>);

/// The body is not valid JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// Byte offset of the problem in the body.
    pub offset: usize,
    /// The problem found there.
    pub reason: &'static str,
}

impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for SyntaxError {}

/// The value at the root of a body.
#[derive(Debug)]
pub(super) enum Root<'a> {
    /// An object and its fields in the order written.
    Object(Vec<Entry<'a>>),
    /// Valid JSON that is not an object.
    Other,
}

/// Reads a whole body.
pub(super) fn read_root(body: &[u8]) -> Result<Root<'_>, SyntaxError> {
    let text = std::str::from_utf8(body).map_err(|error| SyntaxError {
        offset: error.valid_up_to(),
        reason: "invalid UTF-8",
    })?;
    let mut reader = Reader {
        text,
        bytes: body,
        position: 0,
    };
    reader.skip_whitespace();
    let root = if reader.peek() == Some(b'{') {
        Root::Object(reader.root_object()?)
    } else {
        reader.skip_value(0)?;
        Root::Other
    };
    reader.skip_whitespace();
    if reader.position != body.len() {
        return Err(reader.error("trailing characters after the JSON value"));
    }
    Ok(root)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, reason: &'static str) -> SyntaxError {
        SyntaxError {
            offset: self.position,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.position).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.position += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8, reason: &'static str) -> Result<(), SyntaxError> {
        if self.peek() == Some(byte) {
            self.position += 1;
            Ok(())
        } else {
            Err(self.error(reason))
        }
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.position += 1;
        }
    }

    fn root_object(&mut self) -> Result<Vec<Entry<'a>>, SyntaxError> {
        let mut entries = Vec::with_capacity(12);
        self.position += 1;
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.position += 1;
            return Ok(entries);
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.string_value()?;
            self.skip_whitespace();
            self.expect(b':', "expected ':' after a key")?;
            self.skip_whitespace();
            let value = match self.peek() {
                Some(b'"') => Some(Scalar::Text(self.string_value()?)),
                Some(b'{' | b'[') => {
                    self.skip_value(1)?;
                    None
                }
                Some(b'n') => {
                    self.literal("null")?;
                    None
                }
                Some(b't') => Some(Scalar::Literal(self.literal("true")?)),
                Some(b'f') => Some(Scalar::Literal(self.literal("false")?)),
                Some(b'-' | b'0'..=b'9') => Some(Scalar::Literal(self.number()?)),
                _ => return Err(self.error("expected a value")),
            };
            entries.push((key, value));
            self.skip_whitespace();
            match self.next() {
                Some(b',') => {}
                Some(b'}') => return Ok(entries),
                _ => {
                    self.position = self.position.saturating_sub(1);
                    return Err(self.error("expected ',' or '}' after a value"));
                }
            }
        }
    }

    /// Validates and skips any value; `depth` counts the containers around it.
    fn skip_value(&mut self, depth: usize) -> Result<(), SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        match self.peek() {
            Some(b'"') => self.skip_string(),
            Some(b'{') => self.skip_container(depth, b'}', true),
            Some(b'[') => self.skip_container(depth, b']', false),
            Some(b'n') => self.literal("null").map(drop),
            Some(b't') => self.literal("true").map(drop),
            Some(b'f') => self.literal("false").map(drop),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            _ => Err(self.error("expected a value")),
        }
    }

    fn skip_container(&mut self, depth: usize, close: u8, keyed: bool) -> Result<(), SyntaxError> {
        self.position += 1;
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.position += 1;
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if keyed {
                if self.peek() != Some(b'"') {
                    return Err(self.error("expected a string key"));
                }
                self.skip_string()?;
                self.skip_whitespace();
                self.expect(b':', "expected ':' after a key")?;
                self.skip_whitespace();
            }
            self.skip_value(depth + 1)?;
            self.skip_whitespace();
            match self.next() {
                Some(b',') => {}
                Some(byte) if byte == close => return Ok(()),
                _ => {
                    self.position = self.position.saturating_sub(1);
                    return Err(self.error("expected ',' or the end of the container"));
                }
            }
        }
    }

    fn literal(&mut self, word: &'static str) -> Result<&'a str, SyntaxError> {
        let end = self.position + word.len();
        match self.text.get(self.position..end) {
            Some(found) if found == word => {
                self.position = end;
                Ok(found)
            }
            _ => Err(self.error("invalid literal")),
        }
    }

    /// Reads a number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<&'a str, SyntaxError> {
        let start = self.position;
        if self.peek() == Some(b'-') {
            self.position += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.skip_digits(),
            _ => return Err(self.error("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.position += 1;
            self.require_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.position += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.position += 1;
            }
            self.require_digits()?;
        }
        // Both ends are ASCII positions, so they are character boundaries.
        Ok(self.text.get(start..self.position).unwrap_or_default())
    }

    fn skip_digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.position += 1;
        }
    }

    fn require_digits(&mut self) -> Result<(), SyntaxError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.error("invalid number: expected a digit"));
        }
        self.skip_digits();
        Ok(())
    }

    /// Finds the end of a string starting at the current `"`, leaves the
    /// position after the closing quote, and returns whether it has escapes.
    fn scan_string(&mut self) -> Result<bool, SyntaxError> {
        self.position += 1;
        let mut escaped = false;
        loop {
            self.position +=
                special_byte_offset(self.bytes.get(self.position..).unwrap_or_default());
            match self.next() {
                Some(b'"') => return Ok(escaped),
                Some(b'\\') => {
                    escaped = true;
                    match self.next() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {}
                        Some(b'u') => {
                            self.hex4()?;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    }
                }
                Some(_) => {
                    self.position -= 1;
                    return Err(self.error("control character in a string"));
                }
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn skip_string(&mut self) -> Result<(), SyntaxError> {
        self.scan_string().map(drop)
    }

    /// Reads a string and returns its value, borrowed unless it has escapes.
    fn string_value(&mut self) -> Result<Cow<'a, str>, SyntaxError> {
        let start = self.position + 1;
        let escaped = self.scan_string()?;
        let end = self.position - 1;
        // The quotes are ASCII, so both ends are character boundaries.
        let raw = self.text.get(start..end).unwrap_or_default();
        if escaped {
            unescape(raw)
                .map(Cow::Owned)
                .map_err(|(offset, reason)| SyntaxError {
                    offset: start + offset,
                    reason,
                })
        } else {
            Ok(Cow::Borrowed(raw))
        }
    }

    fn hex4(&mut self) -> Result<u16, SyntaxError> {
        let digits = self
            .text
            .get(self.position..self.position + 4)
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        let value =
            u16::from_str_radix(digits, 16).map_err(|_| self.error("invalid \\u escape"))?;
        if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(self.error("invalid \\u escape"));
        }
        self.position += 4;
        Ok(value)
    }
}

/// Returns the offset of the first `"`, `\\` or control character in
/// `bytes`, or its length if there is none. Eight bytes are tested at a time:
/// most of a body is string content, so this loop is the reader's hot path.
fn special_byte_offset(bytes: &[u8]) -> usize {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A byte of `word - ONES * n` has its high bit set where a byte of `word`
    // was below `n`, as long as that byte's own high bit was clear.
    let has_below = |word: u64, n: u8| word.wrapping_sub(ONES * u64::from(n)) & !word & HIGHS;
    let has_byte = |word: u64, byte: u8| has_below(word ^ (ONES * u64::from(byte)), 1);
    let mut offset = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut array = [0u8; 8];
        array.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(array);
        if has_byte(word, b'"') | has_byte(word, b'\\') | has_below(word, 0x20) != 0 {
            break;
        }
        offset += 8;
    }
    offset
        + bytes[offset..]
            .iter()
            .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
            .unwrap_or(bytes.len() - offset)
}

/// Decodes the escapes of a string already checked by `scan_string`. Errors
/// carry an offset into `raw`.
fn unescape(raw: &str) -> Result<String, (usize, &'static str)> {
    let mut output = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(backslash) = rest.find('\\') {
        output.push_str(&rest[..backslash]);
        let offset = raw.len() - rest.len() + backslash;
        let escape = rest.as_bytes().get(backslash + 1).copied();
        rest = &rest[backslash + 2..];
        let character = match escape {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let (unit, after) = take_hex4(rest).ok_or((offset, "invalid \\u escape"))?;
                rest = after;
                match unit {
                    0xD800..=0xDBFF => {
                        let low = rest
                            .strip_prefix("\\u")
                            .and_then(take_hex4)
                            .filter(|(low, _)| (0xDC00..=0xDFFF).contains(low));
                        let (low, after) =
                            low.ok_or((offset, "lone leading surrogate in a \\u escape"))?;
                        rest = after;
                        let code = 0x10000
                            + ((u32::from(unit) - 0xD800) << 10)
                            + (u32::from(low) - 0xDC00);
                        char::from_u32(code).ok_or((offset, "invalid \\u escape"))?
                    }
                    0xDC00..=0xDFFF => {
                        return Err((offset, "lone trailing surrogate in a \\u escape"));
                    }
                    _ => char::from_u32(u32::from(unit)).ok_or((offset, "invalid \\u escape"))?,
                }
            }
            _ => return Err((offset, "invalid escape in a string")),
        };
        output.push(character);
    }
    output.push_str(rest);
    Ok(output)
}

fn take_hex4(text: &str) -> Option<(u16, &str)> {
    let digits = text.get(..4)?;
    if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    Some((u16::from_str_radix(digits, 16).ok()?, &text[4..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(body: &str) -> Vec<Entry<'_>> {
        match read_root(body.as_bytes()).unwrap() {
            Root::Object(entries) => entries,
            Root::Other => panic!("not an object: {body}"),
        }
    }

    fn rejects(body: &str) {
        assert!(read_root(body.as_bytes()).is_err(), "accepted {body:?}");
    }

    #[test]
    fn reads_scalars_as_written() {
        let entries = object(r#"{"A":"x","B":6300.0,"C":-1e3,"D":true,"E":null,"F":{"G":[1]}}"#);
        let values: Vec<Option<&[u8]>> = entries
            .iter()
            .map(|(_, value)| value.as_ref().map(Scalar::as_bytes))
            .collect();
        assert_eq!(
            values,
            [
                Some(&b"x"[..]),
                Some(b"6300.0"),
                Some(b"-1e3"),
                Some(b"true"),
                None,
                None
            ]
        );
    }

    #[test]
    fn unescapes_strings_and_keys() {
        let entries = object(r#"{"\u0041":"\u0417\ud83c\udf81\n\"\\\/"}"#);
        assert_eq!(entries[0].0, "A");
        assert_eq!(
            entries[0].1.as_ref().unwrap().as_bytes(),
            "З🎁\n\"\\/".as_bytes()
        );
    }

    #[test]
    fn borrows_strings_without_escapes() {
        let entries = object(r#"{"Key":"Заказ"}"#);
        assert!(matches!(entries[0].0, Cow::Borrowed(_)));
        assert!(matches!(entries[0].1, Some(Scalar::Text(Cow::Borrowed(_)))));
    }

    #[test]
    fn other_roots_are_not_objects() {
        for body in ["[1,2]", "1", "\"x\"", "null", " true "] {
            assert!(
                matches!(read_root(body.as_bytes()), Ok(Root::Other)),
                "{body}"
            );
        }
    }

    #[test]
    fn rejects_invalid_json() {
        for body in [
            "",
            "{",
            "}",
            "{\"A\"}",
            "{\"A\":}",
            "{\"A\":1,}",
            "{,}",
            "{\"A\":1 \"B\":2}",
            "{A:1}",
            "{\"A\":01}",
            "{\"A\":1.}",
            "{\"A\":.5}",
            "{\"A\":1e}",
            "{\"A\":-}",
            "{\"A\":+1}",
            "{\"A\":tru}",
            "{\"A\":nul}",
            "{\"A\":\"x}",
            "{\"A\":\"\\x\"}",
            "{\"A\":\"\\u12\"}",
            "{\"A\":\"a\u{1}b\"}",
            "{\"A\":[1,]}",
            "{\"A\":{\"B\"}}",
            "{\"A\":[}",
            "{} x",
            "{}{}",
            "{\"A\":\"\\ud800\"}",
            "{\"A\":\"\\udc00\"}",
            "{\"A\":NaN}",
            "{\"A\":'x'}",
        ] {
            rejects(body);
        }
    }

    #[test]
    fn rejects_invalid_utf8() {
        let error = read_root(b"{\"A\":\"\xff\"}").unwrap_err();
        assert_eq!(error.offset, 6);
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = format!("{{\"A\":{}{}}}", "[".repeat(200), "]".repeat(200));
        rejects(&deep);
    }

    #[test]
    fn accepts_nesting_within_limit() {
        let nested = format!("{{\"A\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(read_root(nested.as_bytes()).is_ok());
    }

    #[test]
    fn special_byte_offset_finds_first_special() {
        assert_eq!(special_byte_offset(b""), 0);
        assert_eq!(special_byte_offset(b"abc"), 3);
        assert_eq!(special_byte_offset(b"abcdefgh\"abc"), 8);
        assert_eq!(special_byte_offset(b"abcdefghijklmno\\"), 15);
        assert_eq!(special_byte_offset(b"ab\x01cdefghij"), 2);
        assert_eq!(special_byte_offset("ЗаказЗаказ\"".as_bytes()), 20);
        assert_eq!(special_byte_offset(b"\x7f\xff\x80 ~!#$%&'()"), 13);
        for position in 0..20 {
            let mut bytes = vec![b'a'; 20];
            bytes[position] = b'"';
            assert_eq!(special_byte_offset(&bytes), position);
        }
    }

    #[test]
    fn error_names_offset() {
        let error = read_root(b"{\"A\":x}").unwrap_err();
        assert_eq!(
            error,
            SyntaxError {
                offset: 5,
                reason: "expected a value"
            }
        );
    }
}
