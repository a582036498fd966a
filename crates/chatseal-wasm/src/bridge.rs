//! A small serde bridge between Rust values and plain JS values, in place of `serde-wasm-bindgen`.
//!
//! Why: the bindings only need plain objects, strings, numbers, booleans, `null` and `Uint8Array`,
//! and never show serde's error messages (every failure becomes `invalid_input` or `bad_state`).
//! `serde-wasm-bindgen` formats a message for every error, which links `core::fmt`'s float
//! printing and more (about a fifth of the crypto-only wasm before this file). Here errors are a
//! zero-sized [`Unrepresentable`] that drops the message unformatted, so all of that is dead code.
//!
//! * [`to_js`]: structs and maps become plain objects (`Reflect.set` per field; keys and enum
//!   names are cached as JS strings after their first use), sequences
//!   arrays, `None`/unit `null`, bytes a copied `Uint8Array`, integers numbers (a `u64`/`i64`
//!   outside ±(2^53 − 1) is refused: callers check with `view::exact` first).
//! * [`from_js`]: the inverse for option objects: `undefined`/`null` are `None`/unit, numbers that
//!   are safe integers visit as integers (others as floats, which integer fields refuse), strings,
//!   booleans, arrays, plain objects (own enumerable string keys) and string-valued enums.

use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};
use wasm_bindgen::{JsCast, JsValue};

/// The one error of the bridge; the message serde offers is dropped without being formatted.
#[derive(Debug)]
pub(crate) struct Unrepresentable;

impl core::fmt::Display for Unrepresentable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("value not representable")
    }
}

impl std::error::Error for Unrepresentable {}

impl ser::Error for Unrepresentable {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Unrepresentable
    }
}

impl de::Error for Unrepresentable {
    fn custom<T: core::fmt::Display>(_: T) -> Self {
        Unrepresentable
    }
}

type Result<T> = core::result::Result<T, Unrepresentable>;

/// Largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// `value` as a JS value (see the module docs).
pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue> {
    value.serialize(Serializer)
}

/// A Rust value from a JS value (see the module docs).
pub(crate) fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T> {
    T::deserialize(Deserializer(value))
}

thread_local! {
    /// JS strings for keys and enum names already sent once, so each crosses (and is decoded by
    /// `TextDecoder`) only the first time: field names, unit variants, map keys such as PII
    /// categories. Capped, since map keys can also be application labels.
    static KEYS: core::cell::RefCell<Vec<(Box<str>, JsValue)>> = const { core::cell::RefCell::new(Vec::new()) };
}

/// Most distinct keys cached by [`key`]: the views have about 40.
const MAX_KEYS: usize = 96;

/// `s` as a JS string, from the cache when it was seen before.
fn key(s: &str) -> JsValue {
    KEYS.with(|keys| {
        let mut keys = keys.borrow_mut();
        if let Some((_, value)) = keys.iter().find(|(k, _)| **k == *s) {
            return value.clone();
        }
        let value = JsValue::from_str(s);
        if keys.len() < MAX_KEYS {
            keys.push((s.into(), value.clone()));
        }
        value
    })
}

fn set(target: &JsValue, key: &JsValue, value: &JsValue) -> Result<()> {
    Reflect::set(target, key, value).map(drop).map_err(|_| Unrepresentable)
}

// ----------------------------------------------------------------- serialize --

struct Serializer;

/// A JS array or object under construction.
pub(crate) struct Compound {
    target: JsValue,
    next: u32,
    key: Option<JsValue>,
}

impl Compound {
    fn array() -> Self {
        Compound { target: Array::new().into(), next: 0, key: None }
    }

    fn object() -> Self {
        Compound { target: Object::new().into(), next: 0, key: None }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let value = to_js(value)?;
        set(&self.target, &JsValue::from(self.next), &value)?;
        self.next += 1;
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, name: &str, value: &T) -> Result<()> {
        set(&self.target, &key(name), &to_js(value)?)
    }
}

/// The sequence-like serde traits all append to the array being built.
macro_rules! sequence_like {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound {
            type Ok = JsValue;
            type Error = Unrepresentable;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.push(value)
            }
            fn end(self) -> Result<JsValue> {
                Ok(self.target)
            }
        }
    )*};
}

sequence_like!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, name: &T) -> Result<()> {
        self.key = Some(name.serialize(KeySerializer)?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().ok_or(Unrepresentable)?;
        set(&self.target, &key, &to_js(value)?)
    }
    fn end(self) -> Result<JsValue> {
        Ok(self.target)
    }
}

impl ser::SerializeStruct for Compound {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<JsValue> {
        Ok(self.target)
    }
}

impl ser::SerializeStructVariant for Compound {
    type Ok = JsValue;
    type Error = Unrepresentable;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<()> {
        self.field(key, value)
    }
    fn end(self) -> Result<JsValue> {
        Ok(self.target)
    }
}

fn exact_u64(v: u64) -> Result<JsValue> {
    if v as f64 <= MAX_SAFE {
        Ok(JsValue::from_f64(v as f64))
    } else {
        Err(Unrepresentable)
    }
}

fn exact_i64(v: i64) -> Result<JsValue> {
    if (v as f64).abs() <= MAX_SAFE {
        Ok(JsValue::from_f64(v as f64))
    } else {
        Err(Unrepresentable)
    }
}

impl ser::Serializer for Serializer {
    type Ok = JsValue;
    type Error = Unrepresentable;
    type SerializeSeq = Compound;
    type SerializeTuple = Compound;
    type SerializeTupleStruct = Compound;
    type SerializeTupleVariant = Compound;
    type SerializeMap = Compound;
    type SerializeStruct = Compound;
    type SerializeStructVariant = Compound;

    fn serialize_bool(self, v: bool) -> Result<JsValue> {
        Ok(JsValue::from_bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i16(self, v: i16) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i32(self, v: i32) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_i64(self, v: i64) -> Result<JsValue> {
        exact_i64(v)
    }
    fn serialize_u8(self, v: u8) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u16(self, v: u16) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u32(self, v: u32) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_u64(self, v: u64) -> Result<JsValue> {
        exact_u64(v)
    }
    fn serialize_f32(self, v: f32) -> Result<JsValue> {
        Ok(JsValue::from_f64(v.into()))
    }
    fn serialize_f64(self, v: f64) -> Result<JsValue> {
        Ok(JsValue::from_f64(v))
    }
    fn serialize_char(self, v: char) -> Result<JsValue> {
        let mut buf = [0u8; 4];
        Ok(JsValue::from_str(v.encode_utf8(&mut buf)))
    }
    fn serialize_str(self, v: &str) -> Result<JsValue> {
        Ok(JsValue::from_str(v))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<JsValue> {
        // `Uint8Array::from(&[u8])` copies the bytes into a new JS-owned array.
        Ok(Uint8Array::from(v).into())
    }
    fn serialize_none(self) -> Result<JsValue> {
        Ok(JsValue::NULL)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<JsValue> {
        to_js(value)
    }
    fn serialize_unit(self) -> Result<JsValue> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<JsValue> {
        Ok(JsValue::NULL)
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<JsValue> {
        Ok(key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<JsValue> {
        to_js(value)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<JsValue> {
        let mut object = Compound::object();
        object.field(variant, value)?;
        Ok(object.target)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound> {
        Ok(Compound::array())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound> {
        Ok(Compound::array())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound> {
        Ok(Compound::array())
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound> {
        Err(Unrepresentable)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound> {
        Ok(Compound::object())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound> {
        Ok(Compound::object())
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound> {
        Err(Unrepresentable)
    }
}

/// Map keys: strings only (through the [`key`] cache); anything else is refused.
struct KeySerializer;

impl ser::Serializer for KeySerializer {
    type Ok = JsValue;
    type Error = Unrepresentable;
    type SerializeSeq = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeTuple = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeTupleStruct = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeTupleVariant = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeMap = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeStruct = ser::Impossible<JsValue, Unrepresentable>;
    type SerializeStructVariant = ser::Impossible<JsValue, Unrepresentable>;

    fn serialize_str(self, v: &str) -> Result<JsValue> {
        Ok(key(v))
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<JsValue> {
        Ok(key(variant))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, value: &T) -> Result<JsValue> {
        value.serialize(self)
    }
    fn serialize_bool(self, _: bool) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_i8(self, _: i8) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_i16(self, _: i16) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_i32(self, _: i32) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_i64(self, _: i64) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_u8(self, _: u8) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_u16(self, _: u16) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_u32(self, _: u32) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_u64(self, _: u64) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_f32(self, _: f32) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_f64(self, _: f64) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_char(self, _: char) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_none(self) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_unit(self) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<JsValue> {
        Err(Unrepresentable)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(Unrepresentable)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(Unrepresentable)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        Err(Unrepresentable)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(Unrepresentable)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(Unrepresentable)
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(Unrepresentable)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(Unrepresentable)
    }
}

// --------------------------------------------------------------- deserialize --

struct Deserializer(JsValue);

impl Deserializer {
    fn nullish(&self) -> bool {
        self.0.is_undefined() || self.0.is_null()
    }
}

/// The entries of a plain object, one by one.
struct Entries {
    object: JsValue,
    keys: Array,
    at: u32,
    value: Option<JsValue>,
}

impl<'de> de::MapAccess<'de> for Entries {
    type Error = Unrepresentable;
    fn next_key_seed<K: de::DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.at >= self.keys.length() {
            return Ok(None);
        }
        let key = self.keys.get(self.at);
        self.at += 1;
        self.value = Some(Reflect::get(&self.object, &key).map_err(|_| Unrepresentable)?);
        seed.deserialize(Deserializer(key)).map(Some)
    }
    fn next_value_seed<V: de::DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(Deserializer(self.value.take().ok_or(Unrepresentable)?))
    }
}

/// The elements of an array, one by one.
struct Elements {
    array: Array,
    at: u32,
}

impl<'de> de::SeqAccess<'de> for Elements {
    type Error = Unrepresentable;
    fn next_element_seed<T: de::DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.at >= self.array.length() {
            return Ok(None);
        }
        let value = self.array.get(self.at);
        self.at += 1;
        seed.deserialize(Deserializer(value)).map(Some)
    }
}

impl<'de> de::Deserializer<'de> for Deserializer {
    type Error = Unrepresentable;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let value = self.0;
        if value.is_undefined() || value.is_null() {
            visitor.visit_unit()
        } else if let Some(b) = value.as_bool() {
            visitor.visit_bool(b)
        } else if let Some(n) = value.as_f64() {
            if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
                if n >= 0.0 {
                    visitor.visit_u64(n as u64)
                } else {
                    visitor.visit_i64(n as i64)
                }
            } else {
                visitor.visit_f64(n)
            }
        } else if let Some(s) = value.as_string() {
            visitor.visit_string(s)
        } else if Array::is_array(&value) {
            visitor.visit_seq(Elements { array: value.unchecked_into(), at: 0 })
        } else if value.is_object() && !value.is_function() {
            let object: Object = value.unchecked_into();
            let keys = Object::keys(&object);
            visitor.visit_map(Entries { object: object.into(), keys, at: 0, value: None })
        } else {
            Err(Unrepresentable)
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.nullish() {
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        // Only unit variants, named by a string (e.g. `role: "agent"`).
        let name = self.0.as_string().ok_or(Unrepresentable)?;
        visitor.visit_enum(IntoDeserializer::<Unrepresentable>::into_deserializer(name))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}
