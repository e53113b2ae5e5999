//! Sales tax code mapping by place: city, then county, then state (within a country).

use crate::error::FieldError;

/// Where an order ships to, as far as tax is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub country: String,
    pub region: String,
    pub county: String,
    pub city: String,
}

/// One row of the mapping table. An empty city (and county) makes a broader rule: a row with
/// only country and region is the state-wide fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub country: String,
    pub region: String,
    pub county: String,
    pub city: String,
    pub tax_code: String,
}

impl MappingRow {
    /// Trims every field and upper-cases the country and region codes, so `ny` and `NY` are one place.
    pub fn normalized(country: &str, region: &str, county: &str, city: &str, tax_code: &str) -> Self {
        Self {
            country: country.trim().to_uppercase(),
            region: region.trim().to_uppercase(),
            county: county.trim().to_owned(),
            city: city.trim().to_owned(),
            tax_code: tax_code.trim().to_owned(),
        }
    }
}

/// Finds the tax code for a place: the most specific row wins — city, then county, then state.
pub fn resolve_tax_code<'a>(rows: &'a [MappingRow], place: &Place) -> Option<&'a MappingRow> {
    let same = |a: &str, b: &str| a.trim().eq_ignore_ascii_case(b.trim());
    let in_region = |row: &&MappingRow| same(&row.country, &place.country) && same(&row.region, &place.region);
    let city = rows.iter().filter(in_region).find(|row| {
        !row.city.is_empty()
            && same(&row.city, &place.city)
            && (row.county.is_empty() || same(&row.county, &place.county))
    });
    let county = || {
        rows.iter()
            .filter(in_region)
            .find(|row| row.city.is_empty() && !row.county.is_empty() && same(&row.county, &place.county))
    };
    let state = || rows.iter().filter(in_region).find(|row| row.city.is_empty() && row.county.is_empty());
    city.or_else(county).or_else(state)
}

/// Parses the mapping CSV: a header row naming `City,Region,Country,TaxCode` and optionally
/// `County`, in any order, then one mapping per row. Every bad row is reported with its line.
pub fn parse_mappings_csv(text: &str) -> Result<Vec<MappingRow>, Vec<FieldError>> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| vec![FieldError::new("csv", format!("cannot read the header row: {err}"))])?
        .clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (city, region, country, tax_code) =
        match (column("City"), column("Region"), column("Country"), column("TaxCode")) {
            (Some(a), Some(b), Some(c), Some(d)) => (a, b, c, d),
            _ => {
                return Err(vec![FieldError::new(
                    "csv",
                    "the header row must name the columns City,Region,Country,TaxCode (County is optional)",
                )]);
            }
        };
    let county = column("County");
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        let record = match record {
            Ok(record) => record,
            Err(err) => {
                errors.push(FieldError::new("csv", format!("line {line}: {err}")));
                continue;
            }
        };
        let get = |i: usize| record.get(i).unwrap_or("");
        let row = MappingRow::normalized(get(country), get(region), county.map_or("", get), get(city), get(tax_code));
        match check_row(&row) {
            Ok(()) => rows.push(row),
            Err(message) => errors.push(FieldError::new("csv", format!("line {line}: {message}"))),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if rows.is_empty() {
        return Err(vec![FieldError::new("csv", "the file has a header but no mappings")]);
    }
    Ok(rows)
}

/// The rules every mapping row follows, whether typed in or imported.
pub fn check_row(row: &MappingRow) -> Result<(), String> {
    if row.country.is_empty() {
        return Err("Country is empty (use a two-letter code such as US, CA or GB)".to_owned());
    }
    if row.region.is_empty() {
        return Err("Region is empty (the state or province code, such as NY or ON)".to_owned());
    }
    if row.tax_code.is_empty() {
        return Err("TaxCode is empty".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<MappingRow> {
        vec![
            MappingRow::normalized("US", "NY", "", "", "NYS"),
            MappingRow::normalized("US", "NY", "Kings", "", "Kings Co"),
            MappingRow::normalized("US", "NY", "", "New York", "NYC"),
            MappingRow::normalized("CA", "ON", "", "", "H"),
        ]
    }

    fn place(country: &str, region: &str, county: &str, city: &str) -> Place {
        Place { country: country.into(), region: region.into(), county: county.into(), city: city.into() }
    }

    #[test]
    fn the_city_wins_over_the_county_and_the_state() {
        let rows = table();
        assert_eq!(resolve_tax_code(&rows, &place("US", "NY", "Kings", "new york")).unwrap().tax_code, "NYC");
        assert_eq!(resolve_tax_code(&rows, &place("US", "NY", "Kings", "Brooklyn")).unwrap().tax_code, "Kings Co");
        assert_eq!(resolve_tax_code(&rows, &place("us", "ny", "Erie", "Buffalo")).unwrap().tax_code, "NYS");
        assert_eq!(resolve_tax_code(&rows, &place("CA", "ON", "", "Toronto")).unwrap().tax_code, "H");
        assert!(resolve_tax_code(&rows, &place("US", "NJ", "", "Newark")).is_none());
    }

    #[test]
    fn a_csv_in_the_documented_layout_imports() {
        let rows =
            parse_mappings_csv("City,Region,Country,TaxCode,County\nNew York,NY,US,NYC,\n,NY,US,NYS,\n,ON,ca,H,\n")
                .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[2], MappingRow::normalized("CA", "ON", "", "", "H"));
    }

    #[test]
    fn a_csv_without_county_and_in_another_order_imports() {
        let rows = parse_mappings_csv("TaxCode,Country,Region,City\nNYC,US,NY,New York\n").unwrap();
        assert_eq!(rows, vec![MappingRow::normalized("US", "NY", "", "New York", "NYC")]);
    }

    #[test]
    fn every_bad_row_is_named_by_its_line() {
        let errors = parse_mappings_csv("City,Region,Country,TaxCode\nA,NY,US,\nB,,US,X\nC,NY,US,Y\n").unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 2);
        assert!(messages[0].starts_with("line 2: TaxCode is empty"));
        assert!(messages[1].starts_with("line 3: Region is empty"));
    }

    #[test]
    fn a_csv_without_the_columns_is_refused() {
        let errors = parse_mappings_csv("Town,State\nA,NY\n").unwrap_err();
        assert!(errors[0].message.contains("City,Region,Country,TaxCode"));
    }
}
