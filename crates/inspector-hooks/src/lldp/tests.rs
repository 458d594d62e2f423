//! LLDP TLV parsing: the spec's example, each TLV type and malformed input.

use rstest::rstest;
use serde_json::{Value, json};

use super::*;

fn parse(tlvs: Value) -> Value {
    Value::Object(parse_tlvs("eth0", tlvs.as_array().expect("a list")))
}

/// The spec's worked example (interface `em1`).
#[test]
fn the_reference_example() {
    let tlvs = json!([
        [1, "04112233aabbcc"],
        [2, "07373334"],
        [3, "003c"],
        [
            4,
            "686f737430322e6c61622e656e6720706f727420332028426f6e6429"
        ],
        [5, "737730312d646973742d31622d623132"],
        [7, "00140014"],
        [8, "0501c000020f020000000000"],
        [8, "110220010db885a3000000008a2e03707334020000000000"],
        [8, "0706aa11bb22cc3302000003e900"],
        [127, "00120f01036c110010"],
        [127, "00120f030300000002"],
        [127, "00120f0405ea"],
        [127, "0080c2010066"],
        [127, "0080c20206000a"],
        [127, "0080c202060014"],
        [127, "0080c204080026424203000000"],
        [127, "0080c203006507766c616e313031"],
        [127, "0080c203006607766c616e313032"],
        [127, "0080c2060058"],
        [0, ""]
    ]);
    assert_eq!(
        parse(tlvs),
        json!({"switch_chassis_id":"11:22:33:aa:bb:cc","switch_port_id":"734",
         "switch_port_description":"host02.lab.eng port 3 (Bond)",
         "switch_system_name":"sw01-dist-1b-b12",
         "switch_capabilities_support":["Bridge","Router"],
         "switch_capabilities_enabled":["Bridge","Router"],
         "switch_mgmt_addresses":["192.0.2.15","2001:db8:85a3::8a2e:370:7334","aa:11:bb:22:cc:33"],
         "switch_port_autonegotiation_enabled":true,"switch_port_autonegotiation_support":true,
         "switch_port_physical_capabilities":["1000BASE-T fdx","100BASE-TX fdx","100BASE-TX hdx","10BASE-T fdx","10BASE-T hdx","Asym and Sym PAUSE fdx"],
         "switch_port_mau_type":"100BASE-TX full duplex",
         "switch_port_link_aggregation_enabled":true,"switch_port_link_aggregation_support":true,
         "switch_port_link_aggregation_id":2,"switch_port_mtu":1514,
         "switch_port_untagged_vlan_id":102,
         "switch_port_protocol_vlan_enabled":true,"switch_port_protocol_vlan_support":true,
         "switch_port_protocol_vlan_ids":[10,20],
         "switch_protocol_identities":["0026424203000000"],
         "switch_port_vlans":[{"name":"vlan101","id":101},{"name":"vlan102","id":102}],
         "switch_port_management_vlan_id":88})
    );
}

/// LLDPDUs in the shapes three switch vendors send.
#[rstest]
#[case::cisco_nx_os(
    json!([[1, "0400defb123456"], [2, "0545746865726e6574312f3138"], [3, "0078"],
           [4, "45746865726e6574312f3138"], [5, "6e657875732d396b2d61"],
           [6, "436973636f204e65787573204f7065726174696e672053797374656d20284e582d4f532920536f66747761726520392e33283829"],
           [7, "00140004"], [8, "05010a000001020000000000"], [127, "0080c20100c8"], [0, ""]]),
    json!({"switch_chassis_id": "00:de:fb:12:34:56", "switch_port_id": "Ethernet1/18",
           "switch_port_description": "Ethernet1/18", "switch_system_name": "nexus-9k-a",
           "switch_system_description": "Cisco Nexus Operating System (NX-OS) Software 9.3(8)",
           "switch_capabilities_support": ["Bridge", "Router"], "switch_capabilities_enabled": ["Bridge"],
           "switch_mgmt_addresses": ["10.0.0.1"], "switch_port_untagged_vlan_id": 200}))]
#[case::juniper_junos(
    json!([[1, "042c6bf5aabbcc"], [2, "07353134"], [3, "0078"], [4, "67652d302f302f312e30"],
           [5, "716678353130302d6c65616631"], [7, "00140014"], [127, "00120f01036c01001e"],
           [127, "00120f042400"], [127, "0080c203006407766c616e313030"], [0, ""]]),
    json!({"switch_chassis_id": "2c:6b:f5:aa:bb:cc", "switch_port_id": "514",
           "switch_port_description": "ge-0/0/1.0", "switch_system_name": "qfx5100-leaf1",
           "switch_capabilities_support": ["Bridge", "Router"], "switch_capabilities_enabled": ["Bridge", "Router"],
           "switch_port_autonegotiation_enabled": true, "switch_port_autonegotiation_support": true,
           "switch_port_physical_capabilities": ["1000BASE-T fdx", "100BASE-TX fdx", "100BASE-TX hdx", "10BASE-T fdx", "10BASE-T hdx"],
           "switch_port_mau_type": "1000BASE-T full duplex", "switch_port_mtu": 9216,
           "switch_port_vlans": [{"name": "vlan100", "id": 100}]}))]
#[case::arista_eos(
    json!([[1, "04001c73010203"], [2, "0545746865726e657431"], [3, "0078"], [5, "6172697374612d37303530"],
           [6, "417269737461204e6574776f726b7320454f532076657273696f6e20342e32382e334d"], [7, "00140014"],
           [8, "110220010db800000000000000000000000102000000000000"], [127, "0080c2010001"],
           [127, "00120f0303000003e8"], [127, "00120f042328"], [0, ""]]),
    json!({"switch_chassis_id": "00:1c:73:01:02:03", "switch_port_id": "Ethernet1",
           "switch_system_name": "arista-7050",
           "switch_system_description": "Arista Networks EOS version 4.28.3M",
           "switch_capabilities_support": ["Bridge", "Router"], "switch_capabilities_enabled": ["Bridge", "Router"],
           "switch_mgmt_addresses": ["2001:db8::1"], "switch_port_untagged_vlan_id": 1,
           "switch_port_link_aggregation_enabled": true, "switch_port_link_aggregation_support": true,
           "switch_port_link_aggregation_id": 1000, "switch_port_mtu": 9000}))]
fn vendor_lldpdus(#[case] tlvs: Value, #[case] expected: Value) {
    assert_eq!(parse(tlvs), expected);
}

#[rstest]
#[case::chassis_local(json!([[1, "0773773031"]]), json!({"switch_chassis_id": "sw01"}))]
#[case::chassis_ipv4(json!([[1, "0501c000020f"]]), json!({"switch_chassis_id": "192.0.2.15"}))]
#[case::chassis_unknown_family(json!([[1, "0509c000020f"]]), json!({"switch_chassis_id": null}))]
#[case::port_mac(json!([[2, "03885a92ec5458"]]), json!({"switch_port_id": "88:5a:92:ec:54:58"}))]
#[case::empty_texts(json!([[4, ""], [5, ""], [6, ""]]),
    json!({"switch_port_description": "", "switch_system_name": "", "switch_system_description": ""}))]
#[case::first_chassis_kept(json!([[1, "0773773031"], [1, "0773773032"]]), json!({"switch_chassis_id": "sw01"}))]
#[case::upper_case_hex(json!([[5, "5357"]]), json!({"switch_system_name": "SW"}))]
// Organisation-specific TLVs count even before any other (upstream drops them there).
#[case::org_specific_alone(json!([[127, "0080c2010066"]]), json!({"switch_port_untagged_vlan_id": 102}))]
#[case::unknown_type(json!([[9, "00"], [126, "0102"]]), json!({}))]
#[case::unknown_oui(json!([[127, "00000001ff"]]), json!({}))]
#[case::unknown_org_subtype(json!([[127, "0080c209ff"]]), json!({}))]
#[case::mgmt_unknown_family(json!([[8, "050ac000020f"]]), json!({}))]
fn single_tlvs(#[case] tlvs: Value, #[case] expected: Value) {
    assert_eq!(parse(tlvs), expected);
}

/// Truncated, garbage and malformed TLVs are skipped; the rest still counts.
#[rstest]
#[case::short_mgmt_address(json!([[8, "0501"]]))]
#[case::capabilities_length(json!([[7, "0014"]]))]
#[case::odd_hex(json!([[5, "abc"]]))]
#[case::not_hex(json!([[5, "zz"]]))]
#[case::empty_chassis(json!([[1, ""]]))]
#[case::unknown_chassis_subtype(json!([[1, "0041"]]))]
#[case::agent_circuit_port(json!([[2, "0641"]]))]
#[case::truncated_mac(json!([[2, "03885a"]]))]
#[case::bad_utf8(json!([[2, "05ff"]]))]
#[case::truncated_ipv6(json!([[1, "05022001"]]))]
#[case::truncated_vlan_name(json!([[127, "0080c2030065077676"]]))]
#[case::protocol_vlan_length(json!([[127, "0080c20206000a00"]]))]
#[case::mau_out_of_range(json!([[127, "00120f0103000000ff"]]))]
#[case::link_aggregation_length(json!([[127, "00120f03030000"]]))]
#[case::short_org(json!([[127, "0080"]]))]
#[case::not_a_pair(json!([[5]]))]
#[case::type_not_number(json!([["5", "41"]]))]
#[case::value_not_text(json!([[5, 65]]))]
#[case::not_a_list(json!([{"type": 5}]))]
fn malformed_tlvs_are_skipped(#[case] bad: Value) {
    let mut tlvs = vec![json!([5, "7377"])];
    tlvs.extend(bad.as_array().expect("a list").iter().cloned());
    tlvs.push(json!([4, "7031"]));
    assert_eq!(
        parse(Value::Array(tlvs)),
        json!({"switch_system_name": "sw", "switch_port_description": "p1"})
    );
}

proptest::proptest! {
    /// Whatever a switch sends, parsing ends and yields only named fields
    /// (the bounded `cargo xtask fuzz` run explores much further).
    #[test]
    fn arbitrary_tlvs_never_panic(
        tlvs in proptest::collection::vec((0_u64..=130, proptest::collection::vec(proptest::num::u8::ANY, 0..40)), 0..12)
    ) {
        let tlvs: Vec<Value> = tlvs
            .iter()
            .map(|(kind, bytes)| {
                let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
                json!([kind, hex])
            })
            .collect();
        let parsed = parse_tlvs("eth0", &tlvs);
        proptest::prop_assert!(parsed.keys().all(|k| k.starts_with("switch_")));
    }
}
