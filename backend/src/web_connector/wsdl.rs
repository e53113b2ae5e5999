//! The WSDL describing the Web Connector service this server implements (served at
//! `GET /qbwc?wsdl`, for SOAP tools; the Web Connector itself never reads it).

use quick_xml::escape::escape;

/// An operation: its name, its parameters (name, XSD type) and its result's type.
type Operation = (&'static str, &'static [(&'static str, &'static str)], &'static str);

const OPERATIONS: [Operation; 8] = [
    ("serverVersion", &[], "s:string"),
    ("clientVersion", &[("strVersion", "s:string")], "s:string"),
    ("authenticate", &[("strUserName", "s:string"), ("strPassword", "s:string")], "tns:ArrayOfString"),
    (
        "sendRequestXML",
        &[
            ("ticket", "s:string"),
            ("strHCPResponse", "s:string"),
            ("strCompanyFileName", "s:string"),
            ("qbXMLCountry", "s:string"),
            ("qbXMLMajorVers", "s:int"),
            ("qbXMLMinorVers", "s:int"),
        ],
        "s:string",
    ),
    (
        "receiveResponseXML",
        &[("ticket", "s:string"), ("response", "s:string"), ("hresult", "s:string"), ("message", "s:string")],
        "s:int",
    ),
    ("connectionError", &[("ticket", "s:string"), ("hresult", "s:string"), ("message", "s:string")], "s:string"),
    ("getLastError", &[("ticket", "s:string")], "s:string"),
    ("closeConnection", &[("ticket", "s:string")], "s:string"),
];

/// The WSDL, with the service address set to `endpoint`.
pub fn wsdl(endpoint: &str) -> String {
    let mut types = String::new();
    let mut messages = String::new();
    let mut port_ops = String::new();
    let mut binding_ops = String::new();
    for (op, params, result) in OPERATIONS {
        let fields: String = params
            .iter()
            .map(|(name, kind)| {
                let min = if *kind == "s:int" { 1 } else { 0 };
                format!("<s:element minOccurs=\"{min}\" maxOccurs=\"1\" name=\"{name}\" type=\"{kind}\"/>")
            })
            .collect();
        types.push_str(&format!(
            "<s:element name=\"{op}\"><s:complexType><s:sequence>{fields}</s:sequence></s:complexType></s:element>\
<s:element name=\"{op}Response\"><s:complexType><s:sequence><s:element minOccurs=\"{m}\" maxOccurs=\"1\" name=\"{op}Result\" type=\"{result}\"/></s:sequence></s:complexType></s:element>",
            m = if result == "s:int" { 1 } else { 0 }
        ));
        messages.push_str(&format!(
            "<wsdl:message name=\"{op}SoapIn\"><wsdl:part name=\"parameters\" element=\"tns:{op}\"/></wsdl:message>\
<wsdl:message name=\"{op}SoapOut\"><wsdl:part name=\"parameters\" element=\"tns:{op}Response\"/></wsdl:message>"
        ));
        port_ops.push_str(&format!(
            "<wsdl:operation name=\"{op}\"><wsdl:input message=\"tns:{op}SoapIn\"/><wsdl:output message=\"tns:{op}SoapOut\"/></wsdl:operation>"
        ));
        binding_ops.push_str(&format!(
            "<wsdl:operation name=\"{op}\"><soap:operation soapAction=\"http://developer.intuit.com/{op}\" style=\"document\"/>\
<wsdl:input><soap:body use=\"literal\"/></wsdl:input><wsdl:output><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>"
        ));
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<wsdl:definitions xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" xmlns:s=\"http://www.w3.org/2001/XMLSchema\" \
xmlns:tns=\"http://developer.intuit.com/\" xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" targetNamespace=\"http://developer.intuit.com/\">\
<wsdl:types><s:schema elementFormDefault=\"qualified\" targetNamespace=\"http://developer.intuit.com/\">\
<s:complexType name=\"ArrayOfString\"><s:sequence><s:element minOccurs=\"0\" maxOccurs=\"unbounded\" name=\"string\" nillable=\"true\" type=\"s:string\"/></s:sequence></s:complexType>\
{types}</s:schema></wsdl:types>{messages}\
<wsdl:portType name=\"QBWebConnectorSvcSoap\">{port_ops}</wsdl:portType>\
<wsdl:binding name=\"QBWebConnectorSvcSoap\" type=\"tns:QBWebConnectorSvcSoap\"><soap:binding transport=\"http://schemas.xmlsoap.org/soap/http\"/>{binding_ops}</wsdl:binding>\
<wsdl:service name=\"QBWebConnectorSvc\"><wsdl:port name=\"QBWebConnectorSvcSoap\" binding=\"tns:QBWebConnectorSvcSoap\">\
<soap:address location=\"{}\"/></wsdl:port></wsdl:service></wsdl:definitions>",
        escape(endpoint)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::qbxml::parse_document;

    #[test]
    fn the_wsdl_describes_every_method_at_our_address() {
        let text = wsdl("https://books.example.com/qbwc");
        let root = parse_document(&text).unwrap();
        let port = root.child("portType").unwrap();
        let names: Vec<&str> = port.children.iter().filter_map(|op| op.attribute("name")).collect();
        assert_eq!(names, OPERATIONS.iter().map(|(op, _, _)| *op).collect::<Vec<_>>());
        assert!(text.contains("location=\"https://books.example.com/qbwc\""));
    }
}
