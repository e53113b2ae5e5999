//! The Host/Company/Preferences answer the Web Connector hands over with the first
//! `sendRequestXML` of every session (`strHCPResponse`).

use super::dom::XmlError;
use super::request::QbxmlVersion;
use super::response::QbxmlResponse;

/// What Ledgerbridge learns about the company file at the start of a session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CompanyProfile {
    /// e.g. "QuickBooks Pro 2014".
    pub product_name: Option<String>,
    /// US, CA or UK.
    pub country: Option<String>,
    pub supported_versions: Vec<QbxmlVersion>,
    pub company_name: Option<String>,
    /// The FileID the Web Connector stored in this company file under `owner_id`, if any.
    pub file_id: Option<String>,
    pub uses_class_tracking: Option<bool>,
    pub uses_inventory: Option<bool>,
}

/// Reads the HCP answer. `owner_id` is the OwnerID from the .qwc file, whose FileID data
/// extension tells which connection the company file was paired with.
pub fn parse_company_profile(xml: &str, owner_id: &str) -> Result<CompanyProfile, XmlError> {
    let answer = QbxmlResponse::parse(xml)?;
    let mut profile = CompanyProfile::default();
    let flag = |text: Option<&str>| text.map(|t| t.eq_ignore_ascii_case("true"));
    for rs in &answer.responses {
        let Some(ret) = rs.rets().next() else { continue };
        match rs.name.as_str() {
            "HostQueryRs" => {
                profile.product_name = ret.child_text("ProductName").map(String::from);
                profile.country = ret.child_text("Country").map(String::from);
                profile.supported_versions =
                    ret.children_named("SupportedQBXMLVersion").filter_map(|v| QbxmlVersion::parse(&v.text)).collect();
            }
            "CompanyQueryRs" => {
                profile.company_name = ret.child_text("CompanyName").map(String::from);
                let wanted_owner = owner_id.trim_matches(['{', '}']).to_ascii_lowercase();
                profile.file_id = ret
                    .children_named("DataExtRet")
                    .find(|ext| {
                        ext.child_text("OwnerID")
                            .is_some_and(|o| o.trim_matches(['{', '}']).to_ascii_lowercase() == wanted_owner)
                            && ext.child_text("DataExtName") == Some("FileID")
                    })
                    .and_then(|ext| ext.child_text("DataExtValue"))
                    .map(String::from);
            }
            "PreferencesQueryRs" => {
                profile.uses_class_tracking =
                    flag(ret.path(&["AccountingPreferences", "IsUsingClassTracking"]).map(|n| n.text.as_str()));
                profile.uses_inventory =
                    flag(ret.path(&["PurchasesAndVendorsPreferences", "IsUsingInventory"]).map(|n| n.text.as_str()));
            }
            _ => {}
        }
    }
    Ok(profile)
}

/// Normalises a GUID for comparison: no braces, lower case.
pub fn same_guid(a: &str, b: &str) -> bool {
    a.trim().trim_matches(['{', '}']).eq_ignore_ascii_case(b.trim().trim_matches(['{', '}']))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_quickbooks_pro_2014_answer_is_read() {
        let path =
            format!("{}/../../shared/qb/samples/qbwc-gem_strHCPResponse_QBPro2014.xml", env!("CARGO_MANIFEST_DIR"));
        let captured = std::fs::read_to_string(path).unwrap();
        // The capture was redacted with one broken tag (see the samples' README): a parser
        // that accepts it is too lenient; with the tag mended it must read everything.
        assert!(parse_company_profile(&captured, "{x}").is_err());
        let xml = captured.replace("<yzer/DataExtType>", "</DataExtType>");
        let profile = parse_company_profile(&xml, "{512349B1-1111-2222-3333-000DE1813D20}").unwrap();
        assert_eq!(profile.product_name.as_deref(), Some("QuickBooks Pro 2014"));
        assert_eq!(profile.country.as_deref(), Some("US"));
        assert_eq!(profile.company_name.as_deref(), Some("myCompany"));
        assert_eq!(QbxmlVersion::negotiate(profile.supported_versions.clone()).to_string(), "13.0");
        assert!(profile.file_id.is_some(), "the FileID data extension under our OwnerID is found");
        let other_owner = parse_company_profile(&xml, "{00000000-0000-0000-0000-000000000000}").unwrap();
        assert_eq!(other_owner.file_id, None);
    }

    #[test]
    fn guids_compare_without_braces_or_case() {
        assert!(same_guid("{ABC-1}", "abc-1"));
        assert!(!same_guid("{ABC-1}", "abc-2"));
    }
}
