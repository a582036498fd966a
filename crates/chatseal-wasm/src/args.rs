//! Arguments from JavaScript, checked before anything is copied into wasm memory.
//!
//! Every binding takes its parameters as `&JsValue` and converts them here, so wasm-bindgen's
//! generated glue never converts (or copies) an argument itself. The checks use only operations
//! that cannot be fooled or interrupted by the value: `typeof`, and intrinsic getters called on
//! the value (`%TypedArray%.prototype.length`, its `@@toStringTag`), which read internal slots
//! and never reach a Proxy trap or a getter the caller defined. Every call that may run the
//! caller's code (a Proxy trap, a getter) is imported with `catch`, so a JS exception never
//! unwinds through wasm frames: that is what would leave an object borrowed ("locked") for good.
//!
//! * Bytes are `Uint8Array`s (a Node `Buffer` is one); their length is checked against the limit
//!   before the copy, and the copy goes into a zeroizing buffer of exactly that size.
//! * Text is a primitive string without lone surrogates (they would be silently replaced),
//!   encoded by `TextEncoder.encodeInto` straight into a zeroizing wasm buffer (no JS copy).
//! * Option objects are plain objects with known fields. Each field's value is first copied into
//!   a data-only snapshot (fresh arrays and null-prototype objects holding primitives, read once),
//!   and only the snapshot is given to `serde-wasm-bindgen`, which reads objects with plain property
//!   access and must never see a Proxy or a getter.

use crate::error::{JsError, JsResult};
use crate::scrub::Wiped;
use js_sys::{Array, Uint8Array};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use zeroize::Zeroizing;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Reflect, js_name = get, catch)]
    fn reflect_get(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = ownKeys, catch)]
    fn reflect_own_keys(target: &JsValue) -> Result<Array, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = getOwnPropertyDescriptor, catch)]
    fn reflect_descriptor(target: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = getPrototypeOf, catch)]
    fn reflect_prototype(target: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = apply, catch)]
    fn reflect_apply(function: &JsValue, this: &JsValue, args: &Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_namespace = Reflect, js_name = set, catch)]
    fn reflect_set(target: &JsValue, key: &JsValue, value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Array, js_name = isArray, catch)]
    fn is_array(value: &JsValue) -> Result<bool, JsValue>;
    #[wasm_bindgen(js_namespace = Object, js_name = create)]
    fn object_create(prototype: &JsValue) -> JsValue;
    #[wasm_bindgen(js_namespace = Object, js_name = entries)]
    fn object_entries(object: &JsValue) -> JsValue;

    /// `TextEncoder` (browsers, workers, Node).
    type TextEncoder;
    #[wasm_bindgen(constructor)]
    fn new() -> TextEncoder;
    /// Encodes a primitive string into `into`; returns `{ read, written }`.
    #[wasm_bindgen(method, js_name = encodeInto)]
    fn encode_into(this: &TextEncoder, text: &JsValue, into: &Uint8Array) -> JsValue;

    /// A `RegExp`, tested against a JS string without copying it into wasm.
    #[wasm_bindgen(js_name = RegExp)]
    type Pattern;
    #[wasm_bindgen(constructor, js_class = RegExp)]
    fn new(source: &str, flags: &str) -> Pattern;
    #[wasm_bindgen(method, js_class = RegExp)]
    fn test(this: &Pattern, text: &JsValue) -> bool;
}

/// Most fields an options object (or a nested object) may have, and most array items.
const MAX_ITEMS: u32 = 64;
/// Most values in one snapshot, and its deepest nesting.
const MAX_NODES: u32 = 256;
const MAX_DEPTH: u32 = 4;

/// The built-ins the checks call, looked up once at first use (before any caller code runs in
/// them). `None` only in an environment without typed arrays, where every check refuses.
struct Intrinsics {
    object_prototype: JsValue,
    /// `%TypedArray%.prototype[@@toStringTag]`'s getter: the array's kind, or `undefined`.
    kind: JsValue,
    /// `%TypedArray%.prototype.length`'s getter.
    length: JsValue,
    /// `%TypedArray%.prototype.set`.
    set: JsValue,
    uint8_array: JsValue,
    encoder: TextEncoder,
    /// Matches a lone surrogate in a string (in `u` mode a pair is one code point).
    lone_surrogate: Pattern,
    /// Property names read on every call, made into JS strings once (each `&str` → JS string
    /// conversion is a `TextDecoder` call).
    enumerable: JsValue,
    length_key: JsValue,
    written: JsValue,
}

impl Intrinsics {
    fn load() -> Option<Self> {
        let typed = reflect_prototype(&reflect_prototype(&Uint8Array::new_with_length(0)).ok()?).ok()?;
        let getter = |key: &JsValue| reflect_get(&reflect_descriptor(&typed, key).ok()?, &"get".into()).ok();
        Some(Intrinsics {
            object_prototype: reflect_prototype(&js_sys::Object::new()).ok()?,
            kind: getter(&js_sys::Symbol::to_string_tag().into())?,
            length: getter(&"length".into())?,
            set: reflect_get(&typed, &"set".into()).ok()?,
            uint8_array: JsValue::from_str("Uint8Array"),
            encoder: TextEncoder::new(),
            lone_surrogate: Pattern::new("[\\uD800-\\uDFFF]", "u"),
            enumerable: JsValue::from_str("enumerable"),
            length_key: JsValue::from_str("length"),
            written: JsValue::from_str("written"),
        })
    }
}

thread_local! {
    static INTRINSICS: Option<Intrinsics> = Intrinsics::load();
}

fn with_intrinsics<T>(f: impl FnOnce(&Intrinsics) -> Option<T>) -> Option<T> {
    INTRINSICS.with(|i| i.as_ref().and_then(f))
}

/// `target[name]` for one of the cached property names; `Err` when reading throws.
fn get_cached(target: &JsValue, name: impl FnOnce(&Intrinsics) -> &JsValue) -> Result<JsValue, ()> {
    INTRINSICS.with(|i| match i.as_ref() {
        Some(i) => reflect_get(target, name(i)).map_err(|_| ()),
        None => Err(()),
    })
}

/// `target[key]` for a string key; `Err` when reading throws (or `target` is not an object).
pub(crate) fn get(target: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    reflect_get(target, &JsValue::from_str(key))
}

/// Whether `value` is an `Error` (checked with `instanceof`, which wasm-bindgen guards).
pub(crate) fn is_error(value: &JsValue) -> bool {
    value.dyn_ref::<js_sys::Error>().is_some()
}

/// The length of `value` if it is a `Uint8Array` (a `Buffer` included), read from its internal
/// slots. A detached or out-of-bounds array has length 0.
fn uint8_length(value: &JsValue) -> Option<f64> {
    if !value.is_object() {
        return None;
    }
    with_intrinsics(|i| {
        let no_args = Array::new();
        if reflect_apply(&i.kind, value, &no_args).ok()? != i.uint8_array {
            return None;
        }
        reflect_apply(&i.length, value, &no_args).ok()?.as_f64()
    })
}

/// Copies the `Uint8Array` `src` (exactly `dst.len()` bytes long) into `dst`.
fn copy_into(src: &JsValue, dst: &mut [u8]) -> Option<()> {
    if dst.is_empty() {
        return Some(());
    }
    // The view is made after `dst` was allocated (an allocation can grow, and so replace, the
    // memory's buffer) and used at once.
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let view = Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), dst.as_mut_ptr() as u32, dst.len() as u32);
    with_intrinsics(|i| reflect_apply(&i.set, &view, &Array::of1(src)).ok().map(|_| ()))
}

/// A `Uint8Array` argument of at most `max` bytes, copied into zeroizing wasm memory.
pub(crate) fn bytes(value: &JsValue, what: &str, max: usize) -> JsResult<Wiped<Vec<u8>>> {
    let length = uint8_length(value).ok_or_else(|| JsError::invalid(what, "a Uint8Array"))?;
    if length > max as f64 {
        return Err(JsError::too_large(what, &format!("{max} bytes")));
    }
    let mut out = Wiped::new(vec![0u8; length as usize]);
    copy_into(value, &mut out).ok_or_else(|| JsError::invalid(what, "a readable Uint8Array"))?;
    Ok(out)
}

/// A `Uint8Array` argument of exactly `N` bytes (a key), copied into zeroizing wasm memory.
pub(crate) fn array<const N: usize>(value: &JsValue, what: &str) -> JsResult<Zeroizing<[u8; N]>> {
    let expected = || JsError::invalid(what, &format!("a Uint8Array of {N} bytes"));
    if uint8_length(value).ok_or_else(expected)? != N as f64 {
        return Err(expected());
    }
    let mut out = Zeroizing::new([0u8; N]);
    copy_into(value, &mut *out).ok_or_else(expected)?;
    Ok(out)
}

/// Checks that `value` is a primitive string of at most `max_units` UTF-16 code units; returns
/// its length in units.
fn string_units(value: &JsValue, what: &str, max_units: usize) -> JsResult<usize> {
    if !value.is_string() {
        return Err(JsError::invalid(what, "a string"));
    }
    let units = value.unchecked_ref::<js_sys::JsString>().length() as usize;
    if units > max_units {
        return Err(JsError::too_large(what, &format!("{max_units} characters")));
    }
    Ok(units)
}

/// Refuses a string holding a lone surrogate.
fn no_lone_surrogate(value: &JsValue, what: &str) -> JsResult<()> {
    if with_intrinsics(|i| Some(i.lone_surrogate.test(value))).unwrap_or(true) {
        return Err(JsError::invalid(what, "well-formed text (no lone surrogates)"));
    }
    Ok(())
}

/// A text argument of at most `max` UTF-8 bytes, in zeroizing wasm memory. `TextEncoder.encodeInto`
/// writes it straight into a wasm buffer sized for the worst case (3 bytes per UTF-16 unit), so no
/// copy of it is made in JS (the string itself belongs to the JS engine: see the README on what
/// zeroization cannot reach). The encoder turns a lone surrogate into U+FFFD, so only text whose
/// UTF-8 may hold U+FFFD (a 0xEF byte) is searched for lone surrogates (a genuine U+FFFD passes).
pub(crate) fn text(value: &JsValue, what: &str, max: usize) -> JsResult<Wiped<String>> {
    let units = string_units(value, what, max)?;
    let mut out = Wiped::new(vec![0u8; units * 3]);
    let written = encode_into(value, &mut out).ok_or_else(|| JsError::invalid(what, "a string"))?;
    if written > max {
        return Err(JsError::too_large(what, &format!("{max} bytes")));
    }
    out.truncate(written);
    // U+FFFD is EF BF BD; `contains` on bytes is core's word-at-a-time memchr.
    if out.contains(&0xEF) {
        no_lone_surrogate(value, what)?;
    }
    // TextEncoder writes UTF-8, so this reuses the buffer and never fails.
    match String::from_utf8(core::mem::take(&mut *out)) {
        Ok(text) => Ok(Wiped::new(text)),
        Err(e) => {
            drop(Wiped::new(e.into_bytes()));
            Err(JsError::invalid(what, "a string"))
        }
    }
}

/// `TextEncoder.encodeInto(value, dst)` on a view of `dst` in wasm memory; the bytes written.
/// `dst` must hold 3 bytes per UTF-16 unit of `value`, so the whole string fits.
fn encode_into(value: &JsValue, dst: &mut [u8]) -> Option<usize> {
    if dst.is_empty() {
        return Some(0);
    }
    // The view is made after `dst` was allocated (an allocation can grow, and so replace, the
    // memory's buffer) and used at once.
    let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let view = Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), dst.as_mut_ptr() as u32, dst.len() as u32);
    with_intrinsics(|i| {
        let result = i.encoder.encode_into(value, &view);
        let written = reflect_get(&result, &i.written).ok()?.as_f64()?;
        (written >= 0.0 && written <= dst.len() as f64).then_some(written as usize)
    })
}

/// A short, non-secret string argument (an id, a name).
pub(crate) fn short_string(value: &JsValue, what: &str, max_units: usize) -> JsResult<String> {
    string_units(value, what, max_units)?;
    let text = value.as_string().ok_or_else(|| JsError::invalid(what, "a string"))?;
    // As in `text`: the glue's encoder turned any lone surrogate into U+FFFD (EF BF BD), so the
    // `RegExp` (slow on long strings: `fromText` of a whole envelope) runs only if one may be there.
    if text.as_bytes().contains(&0xEF) {
        no_lone_surrogate(value, what)?;
    }
    Ok(text)
}

/// An optional string argument: `undefined` is `None`.
pub(crate) fn optional_text(value: &JsValue, what: &str, max: usize) -> JsResult<Option<Wiped<String>>> {
    if value.is_undefined() {
        Ok(None)
    } else {
        text(value, what, max).map(Some)
    }
}

/// Whether `value` is a plain object: its prototype is `null` or a root prototype (one whose own
/// prototype is `null`: `Object.prototype` of this realm or of another one, such as an iframe's or
/// a WebDriver sandbox's). Class instances, arrays, typed arrays, dates and functions are not.
/// `Err` when asking runs into a Proxy trap that throws.
fn is_plain_object(value: &JsValue) -> Result<bool, ()> {
    if !value.is_object() || is_array(value).map_err(|_| ())? {
        return Ok(false);
    }
    let prototype = reflect_prototype(value).map_err(|_| ())?;
    if prototype.is_null() || with_intrinsics(|i| Some(prototype == i.object_prototype)).unwrap_or(false) {
        return Ok(true);
    }
    Ok(prototype.is_object() && reflect_prototype(&prototype).map_err(|_| ())?.is_null())
}

/// The own enumerable string-keyed properties of a plain object, read once each.
fn own_entries(object: &JsValue) -> Result<Vec<(JsValue, JsValue)>, ()> {
    let keys = reflect_own_keys(object).map_err(|_| ())?;
    if keys.length() > MAX_ITEMS {
        return Err(());
    }
    let mut out = Vec::new();
    for key in keys.iter() {
        if !key.is_string() {
            continue; // symbol keys are not data
        }
        let descriptor = reflect_descriptor(object, &key).map_err(|_| ())?;
        if descriptor.is_undefined() || !get_cached(&descriptor, |i| &i.enumerable)?.is_truthy() {
            continue;
        }
        let value = reflect_get(object, &key).map_err(|_| ())?;
        out.push((key, value));
    }
    Ok(out)
}

/// A data-only copy of `value`: primitives as they are, arrays and plain objects copied into
/// fresh ones (null prototype, so a `__proto__` key is an ordinary key), anything else refused.
fn snapshot(value: &JsValue, depth: u32, nodes: &mut u32) -> Result<JsValue, ()> {
    *nodes += 1;
    if *nodes > MAX_NODES || depth > MAX_DEPTH {
        return Err(());
    }
    if value.is_undefined() || value.is_string() || value.as_bool().is_some() || value.as_f64().is_some() {
        return Ok(value.clone());
    }
    if !value.is_object() {
        return Err(()); // null, bigint, symbol, function
    }
    if is_array(value).map_err(|_| ())? {
        let length = get_cached(value, |i| &i.length_key)?.as_f64().ok_or(())?;
        if !(0.0..=f64::from(MAX_ITEMS)).contains(&length) {
            return Err(());
        }
        let out = Array::new();
        for i in 0..length as u32 {
            let item = reflect_get(value, &JsValue::from(i)).map_err(|_| ())?;
            out.push(&snapshot(&item, depth + 1, nodes)?);
        }
        return Ok(out.into());
    }
    if !is_plain_object(value)? {
        return Err(());
    }
    let out = object_create(&JsValue::NULL);
    for (key, item) in own_entries(value)? {
        reflect_set(&out, &key, &snapshot(&item, depth + 1, nodes)?).map_err(|_| ())?;
    }
    Ok(out)
}

/// The fields of an options argument (a plain object or `undefined`), read once each. A field
/// not in the allowed list is refused (a misspelt option is an error, not ignored); a field set
/// to `undefined` counts as absent.
pub(crate) struct Options {
    what: &'static str,
    fields: Vec<(&'static str, JsValue)>,
}

impl Options {
    pub(crate) fn read(value: &JsValue, what: &'static str, allowed: &[&'static str]) -> JsResult<Options> {
        let mut fields = Vec::new();
        if value.is_undefined() {
            return Ok(Options { what, fields });
        }
        let shape = || JsError::invalid(what, &format!("undefined or a plain object with only {}", allowed.join(", ")));
        if !is_plain_object(value).map_err(|()| shape())? {
            return Err(shape());
        }
        for (key, item) in own_entries(value).map_err(|()| shape())? {
            // Field names are short: only those are copied to compare.
            let name = (key.unchecked_ref::<js_sys::JsString>().length() <= 32)
                .then(|| key.as_string())
                .flatten()
                .and_then(|k| allowed.iter().find(|a| **a == k).copied())
                .ok_or_else(shape)?;
            if !item.is_undefined() {
                fields.push((name, item));
            }
        }
        Ok(Options { what, fields })
    }

    /// Whether `field` was given.
    #[cfg(not(feature = "pii"))]
    pub(crate) fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(n, _)| *n == field)
    }

    /// The raw value of `field`, for fields with a custom conversion.
    pub(crate) fn raw(&self, field: &str) -> Option<&JsValue> {
        self.fields.iter().find(|(n, _)| *n == field).map(|(_, v)| v)
    }

    /// `param.field`, for messages.
    pub(crate) fn name(&self, field: &str) -> String {
        format!("{}.{}", self.what, field)
    }

    /// `field` converted to `T` (`expected` describes it in the error), if given.
    pub(crate) fn get<T: DeserializeOwned>(&self, field: &str, expected: &str) -> JsResult<Option<T>> {
        self.raw(field).map(|value| data(value, &self.name(field), expected)).transpose()
    }
}

/// `value` (a snapshot of it) converted to `T` with serde-wasm-bindgen.
pub(crate) fn data<T: DeserializeOwned>(value: &JsValue, what: &str, expected: &str) -> JsResult<T> {
    let copy = snapshot(value, 0, &mut 0).map_err(|()| JsError::invalid(what, expected))?;
    serde_wasm_bindgen::from_value(copy).map_err(|_| JsError::invalid(what, expected))
}

/// `[key, value]` string pairs from a `Record<string, string>`, or also from an array of pairs
/// when `pairs_too`.
pub(crate) fn string_pairs(
    value: &JsValue,
    what: &str,
    expected: &str,
    pairs_too: bool,
) -> JsResult<Vec<(String, String)>> {
    let invalid = || JsError::invalid(what, expected);
    // A plain object of strings (the common case: labels, a mask policy) is read directly: its
    // own entries are read once each, like a snapshot would, and every value must be a primitive
    // string. Anything else goes through a snapshot and serde-wasm-bindgen.
    if value.is_object() && !is_array(value).map_err(|_| invalid())? {
        if !is_plain_object(value).map_err(|()| invalid())? {
            return Err(invalid());
        }
        return own_entries(value)
            .map_err(|()| invalid())?
            .into_iter()
            .map(|(key, item)| Some((key.as_string()?, item.as_string()?)))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(invalid);
    }
    let copy = snapshot(value, 0, &mut 0).map_err(|()| invalid())?;
    let pairs = if is_array(&copy).map_err(|_| invalid())? {
        if !pairs_too {
            return Err(invalid());
        }
        copy
    } else if copy.is_object() {
        object_entries(&copy)
    } else {
        return Err(invalid());
    };
    serde_wasm_bindgen::from_value(pairs).map_err(|_| invalid())
}

/// An array argument of at most `max` items, each read once.
pub(crate) fn items(value: &JsValue, what: &str, expected: &str, max: u32) -> JsResult<Vec<JsValue>> {
    let invalid = || JsError::invalid(what, expected);
    if !value.is_object() || !is_array(value).map_err(|_| invalid())? {
        return Err(invalid());
    }
    let length = get_cached(value, |i| &i.length_key).map_err(|()| invalid())?.as_f64().ok_or_else(invalid)?;
    if length > f64::from(max) {
        return Err(JsError::too_large(what, &format!("{max} items")));
    }
    (0..length as u32).map(|i| reflect_get(value, &JsValue::from(i)).map_err(|_| invalid())).collect()
}

/// Calls `function` (a caller's callback) on `this` with `args`; its exception comes back as `Err`.
pub(crate) fn call(function: &JsValue, this: &JsValue, args: &Array) -> Result<JsValue, JsValue> {
    reflect_apply(function, this, args)
}

/// A `Uint8Array` returned to JS: copied out of wasm memory (then wiped there by the caller's
/// `Zeroizing`).
pub(crate) fn to_uint8_array(bytes: &[u8]) -> Uint8Array {
    Uint8Array::from(bytes)
}
