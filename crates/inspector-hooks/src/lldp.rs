//! LLDP TLVs as the ramdisk reports them (`[type, "hex value"]`), decoded into
//! upstream's named fields. A malformed TLV is skipped with a warning, never
//! fatal: the bytes come from whatever switch the node is cabled to.

use serde_json::{Map, Value, json};

/// Why one TLV was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlvError {
    /// The value is not hexadecimal text.
    Hex(String),
    /// A fixed-length TLV has another length.
    Length {
        /// What was expected.
        expected: usize,
        /// What came.
        got: usize,
    },
    /// The value is too short or not what its type says.
    Malformed(String),
}

impl std::fmt::Display for TlvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Hex(text) => write!(f, "value {text:?} is not hexadecimal"),
            Self::Length { expected, got } => {
                write!(f, "expected {expected} bytes, got {got}")
            }
            Self::Malformed(why) => f.write_str(why),
        }
    }
}

type Parsed<T> = Result<T, TlvError>;

/// Decodes hexadecimal text (upper or lower case, even length).
pub fn hex_decode(text: &str) -> Parsed<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return Err(TlvError::Hex(text.to_owned()));
    }
    (0..text.len())
        .step_by(2)
        .map(|at| {
            text.get(at..at + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| TlvError::Hex(text.to_owned()))
        })
        .collect()
}

fn short(what: &str) -> TlvError {
    TlvError::Malformed(format!("{what} is too short"))
}

fn exactly(bytes: &[u8], expected: usize) -> Parsed<()> {
    if bytes.len() == expected {
        Ok(())
    } else {
        Err(TlvError::Length {
            expected,
            got: bytes.len(),
        })
    }
}

fn text(bytes: &[u8]) -> Parsed<String> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| TlvError::Malformed("text is not valid UTF-8".to_owned()))
}

fn u16_at(bytes: &[u8], at: usize, what: &str) -> Parsed<u16> {
    bytes
        .get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| short(what))
}

/// `aa:bb:cc:dd:ee:ff` of the first six bytes.
fn mac(bytes: &[u8]) -> Parsed<String> {
    let bytes = bytes.get(..6).ok_or_else(|| short("MAC address"))?;
    Ok(bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// A family byte (1 IPv4, 2 IPv6, 6 MAC) and an address; `None` for another family.
fn network_address(bytes: &[u8]) -> Parsed<Option<String>> {
    let (family, address) = bytes.split_first().ok_or_else(|| short("address"))?;
    Ok(match family {
        1 => {
            let b: [u8; 4] = address
                .get(..4)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| short("IPv4 address"))?;
            Some(std::net::Ipv4Addr::from(b).to_string())
        }
        2 => {
            let b: [u8; 16] = address
                .get(..16)
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| short("IPv6 address"))?;
            Some(std::net::Ipv6Addr::from(b).to_string())
        }
        6 => Some(mac(address)?),
        _ => None,
    })
}

/// Chassis ID (type 1): the identifier as text, or null for an address of an
/// unknown family.
pub fn chassis_id(bytes: &[u8]) -> Parsed<Value> {
    let (subtype, rest) = bytes.split_first().ok_or_else(|| short("chassis ID"))?;
    match subtype {
        1 | 2 | 3 | 6 | 7 => text(rest).map(Value::String),
        4 => mac(rest).map(Value::String),
        5 => network_address(rest).map(|a| a.map_or(Value::Null, Value::String)),
        other => Err(TlvError::Malformed(format!(
            "unknown chassis ID subtype {other}"
        ))),
    }
}

/// Port ID (type 2).
pub fn port_id(bytes: &[u8]) -> Parsed<Value> {
    let (subtype, rest) = bytes.split_first().ok_or_else(|| short("port ID"))?;
    match subtype {
        1 | 2 | 5 | 7 => text(rest).map(Value::String),
        3 => mac(rest).map(Value::String),
        4 => network_address(rest).map(|a| a.map_or(Value::Null, Value::String)),
        other => Err(TlvError::Malformed(format!(
            "unsupported port ID subtype {other}"
        ))),
    }
}

const SYSTEM_CAPABILITIES: [(u16, &str); 10] = [
    (1, "Repeater"),
    (2, "Bridge"),
    (3, "WLAN"),
    (4, "Router"),
    (5, "Telephone"),
    (6, "DOCSIS cable device"),
    (7, "Station only"),
    (8, "C-Vlan"),
    (9, "S-Vlan"),
    (10, "TPMR"),
];

fn capability_names(bitmap: u16) -> Value {
    SYSTEM_CAPABILITIES
        .iter()
        .filter(|(bit, _)| bitmap & (1 << bit) != 0)
        .map(|(_, name)| json!(name))
        .collect()
}

/// PMD auto-negotiation capability bits (bit 14 down to bit 0).
const PMD_CAPABILITIES: [(u16, &str); 15] = [
    (14, "10BASE-T hdx"),
    (13, "10BASE-T fdx"),
    (12, "10BASE-T4"),
    (11, "100BASE-TX hdx"),
    (10, "100BASE-TX fdx"),
    (9, "100BASE-T2 hdx"),
    (8, "100BASE-T2 fdx"),
    (7, "PAUSE fdx"),
    (6, "Asym PAUSE fdx"),
    (5, "Sym PAUSE fdx"),
    (4, "Asym and Sym PAUSE fdx"),
    (3, "1000BASE-X hdx"),
    (2, "1000BASE-X fdx"),
    (1, "1000BASE-T hdx"),
    (0, "1000BASE-T fdx"),
];

const MAU_TYPES: [&str; 54] = [
    "Unknown",
    "AUI",
    "10BASE-5",
    "FOIRL",
    "10BASE-2",
    "10BASE-T duplex mode unknown",
    "10BASE-FP",
    "10BASE-FB",
    "10BASE-FL duplex mode unknown",
    "10BROAD36",
    "10BASE-T half duplex",
    "10BASE-T full duplex",
    "10BASE-FL half duplex",
    "10BASE-FL full duplex",
    "100 BASE-T4",
    "100BASE-TX half duplex",
    "100BASE-TX full duplex",
    "100BASE-FX half duplex",
    "100BASE-FX full duplex",
    "100BASE-T2 half duplex",
    "100BASE-T2 full duplex",
    "1000BASE-X half duplex",
    "1000BASE-X full duplex",
    "1000BASE-LX half duplex",
    "1000BASE-LX full duplex",
    "1000BASE-SX half duplex",
    "1000BASE-SX full duplex",
    "1000BASE-CX half duplex",
    "1000BASE-CX full duplex",
    "1000BASE-T half duplex",
    "1000BASE-T full duplex",
    "10GBASE-X",
    "10GBASE-LX4",
    "10GBASE-R",
    "10GBASE-ER",
    "10GBASE-LR",
    "10GBASE-SR",
    "10GBASE-W",
    "10GBASE-EW",
    "10GBASE-LW",
    "10GBASE-SW",
    "10GBASE-CX4",
    "2BASE-TL",
    "10PASS-TS",
    "100BASE-BX10D",
    "100BASE-BX10U",
    "100BASE-LX10",
    "1000BASE-BX10D",
    "1000BASE-BX10U",
    "1000BASE-LX10",
    "1000BASE-PX10D",
    "1000BASE-PX10U",
    "1000BASE-PX20D",
    "1000BASE-PX20U",
];

/// The named values one TLV yields: `(name, value, is_list)`.
type Fields = Vec<(&'static str, Value, bool)>;

fn single(name: &'static str, value: Value) -> (&'static str, Value, bool) {
    (name, value, false)
}

fn listed(name: &'static str, value: Value) -> (&'static str, Value, bool) {
    (name, value, true)
}

fn link_aggregation(payload: &[u8]) -> Parsed<Fields> {
    exactly(payload, 5)?;
    let id = u32::from_be_bytes([payload[1], payload[2], payload[3], payload[4]]);
    Ok(vec![
        single(
            "switch_port_link_aggregation_enabled",
            json!(payload[0] & 0x02 != 0),
        ),
        single(
            "switch_port_link_aggregation_support",
            json!(payload[0] & 0x01 != 0),
        ),
        single("switch_port_link_aggregation_id", json!(id)),
    ])
}

fn ieee_802_1(subtype: u8, payload: &[u8]) -> Parsed<Fields> {
    Ok(match subtype {
        1 => vec![single(
            "switch_port_untagged_vlan_id",
            json!(u16_at(payload, 0, "port VLAN ID")?),
        )],
        2 => {
            exactly(payload, 3)?;
            vec![
                single(
                    "switch_port_protocol_vlan_enabled",
                    json!(payload[0] & 0x04 != 0),
                ),
                single(
                    "switch_port_protocol_vlan_support",
                    json!(payload[0] & 0x02 != 0),
                ),
                listed(
                    "switch_port_protocol_vlan_ids",
                    json!(u16_at(payload, 1, "protocol VLAN ID")?),
                ),
            ]
        }
        3 => {
            let id = u16_at(payload, 0, "VLAN name")?;
            let length = usize::from(*payload.get(2).ok_or_else(|| short("VLAN name"))?);
            let name = payload
                .get(3..3 + length)
                .ok_or_else(|| short("VLAN name"))?;
            vec![listed(
                "switch_port_vlans",
                json!({"name": text(name)?, "id": id}),
            )]
        }
        4 => {
            let length = usize::from(*payload.first().ok_or_else(|| short("protocol identity"))?);
            let identity = payload
                .get(1..1 + length)
                .ok_or_else(|| short("protocol identity"))?;
            let hex: String = identity.iter().map(|b| format!("{b:02x}")).collect();
            vec![listed("switch_protocol_identities", json!(hex))]
        }
        6 => vec![single(
            "switch_port_management_vlan_id",
            json!(u16_at(payload, 0, "management VLAN ID")?),
        )],
        7 => link_aggregation(payload)?,
        _ => Vec::new(),
    })
}

fn ieee_802_3(subtype: u8, payload: &[u8]) -> Parsed<Fields> {
    Ok(match subtype {
        1 => {
            exactly(payload, 5)?;
            let capabilities = u16::from_be_bytes([payload[1], payload[2]]);
            let mau = u16::from_be_bytes([payload[3], payload[4]]);
            let mau = MAU_TYPES
                .get(usize::from(mau))
                .ok_or_else(|| TlvError::Malformed(format!("unknown MAU type {mau}")))?;
            let mut physical: Vec<&str> = PMD_CAPABILITIES
                .iter()
                .filter(|(bit, _)| capabilities & (1 << bit) != 0)
                .map(|(_, name)| *name)
                .collect();
            physical.sort_unstable();
            physical.dedup();
            vec![
                single(
                    "switch_port_autonegotiation_enabled",
                    json!(payload[0] & 0x02 != 0),
                ),
                single(
                    "switch_port_autonegotiation_support",
                    json!(payload[0] & 0x01 != 0),
                ),
                single("switch_port_physical_capabilities", json!(physical)),
                single("switch_port_mau_type", json!(mau)),
            ]
        }
        3 => link_aggregation(payload)?,
        4 => vec![single(
            "switch_port_mtu",
            json!(u16_at(payload, 0, "maximum frame size")?),
        )],
        _ => Vec::new(),
    })
}

/// The fields one TLV yields.
fn fields(kind: u64, bytes: &[u8]) -> Parsed<Fields> {
    Ok(match kind {
        1 => vec![single("switch_chassis_id", chassis_id(bytes)?)],
        2 => vec![single("switch_port_id", port_id(bytes)?)],
        4 => vec![single("switch_port_description", json!(text(bytes)?))],
        5 => vec![single("switch_system_name", json!(text(bytes)?))],
        6 => vec![single("switch_system_description", json!(text(bytes)?))],
        7 => {
            exactly(bytes, 4)?;
            vec![
                single(
                    "switch_capabilities_support",
                    capability_names(u16_at(bytes, 0, "capabilities")?),
                ),
                single(
                    "switch_capabilities_enabled",
                    capability_names(u16_at(bytes, 2, "capabilities")?),
                ),
            ]
        }
        8 => {
            let length = usize::from(*bytes.first().ok_or_else(|| short("management address"))?);
            let address = bytes
                .get(1..1 + length)
                .ok_or_else(|| short("management address"))?;
            match network_address(address)? {
                Some(address) => vec![listed("switch_mgmt_addresses", json!(address))],
                None => Vec::new(),
            }
        }
        127 => {
            if bytes.len() < 4 {
                return Err(short("organizationally specific TLV"));
            }
            let (oui, subtype, payload) = (&bytes[..3], bytes[3], &bytes[4..]);
            match oui {
                [0x00, 0x80, 0xc2] => ieee_802_1(subtype, payload)?,
                [0x00, 0x12, 0x0f] => ieee_802_3(subtype, payload)?,
                other => {
                    let oui: String = other.iter().map(|b| format!("{b:02x}")).collect();
                    tracing::warn!(%oui, "ignoring an LLDP TLV of an unknown organisation");
                    Vec::new()
                }
            }
        }
        // 0 End, 3 TTL and types without a name produce nothing.
        _ => Vec::new(),
    })
}

/// Decodes an interface's TLVs (`[[type, "hex"], ...]`) into named values:
/// single-valued names keep the first value seen, list-valued names
/// accumulate. Malformed TLVs are skipped with a warning.
pub fn parse_tlvs(interface: &str, tlvs: &[Value]) -> Map<String, Value> {
    let mut result = Map::new();
    for (index, tlv) in tlvs.iter().enumerate() {
        let pair = tlv.as_array().filter(|pair| pair.len() == 2);
        let (Some(kind), Some(value)) = (
            pair.and_then(|p| p[0].as_u64()),
            pair.and_then(|p| p[1].as_str()),
        ) else {
            tracing::warn!(interface, index, tlv = %tlv, "skipping an LLDP TLV that is not [type, hex value]");
            continue;
        };
        let parsed = hex_decode(value).and_then(|bytes| fields(kind, &bytes));
        match parsed {
            Ok(fields) => {
                for (name, value, is_list) in fields {
                    if is_list {
                        if let Value::Array(items) = result
                            .entry(name)
                            .or_insert_with(|| Value::Array(Vec::new()))
                        {
                            items.push(value);
                        }
                    } else {
                        result.entry(name).or_insert(value);
                    }
                }
            }
            Err(error) => {
                tracing::warn!(interface, index, tlv_type = kind, %error, "skipping a malformed LLDP TLV");
            }
        }
    }
    result
}

#[cfg(test)]
mod tests;
